#include "sparsedse/threshold/backends.hpp"

#include <algorithm>

#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/engine/evaluate.hpp"

namespace sparsedse::threshold {

engine::Thresholds to_engine(const ThresholdMap& thresholds) {
  engine::Thresholds t;
  for (const auto& [name, value] : thresholds) t.per_relu[name] = float(value);
  return t;
}

ProfilerMeasurer::ProfilerMeasurer(const ir::Graph& graph, const engine::Numerics& numerics,
                                   const data::Dataset& calibration, const data::Dataset& test,
                                   sparsity::ProfilerOptions options)
    : profiler_(graph, numerics, calibration, options),
      engine_(graph, numerics, options.threads),
      test_(test),
      calibration_images_(calibration.size()),
      batch_(options.batch) {
  engine::check_input_shape(engine_, test_);
}

sparsity::ProfileResult ProfilerMeasurer::calibrate(const ThresholdMap& thresholds) {
  return profiler_.profile(to_engine(thresholds));
}

double ProfilerMeasurer::test_top1(const ThresholdMap& thresholds) {
  for (const auto& [name, value] : thresholds) engine_.set_threshold(name, float(value));
  engine::EvalOptions options;
  options.batch = batch_;
  return engine::evaluate(engine_, test_, options).top1;
}

Measured measure(const dse::Design& design) {
  Measured m;
  m.design = dse::to_json(design);
  m.throughput = design.metrics.throughput;
  m.latency_s = design.metrics.latency_s;
  m.feasible = design.feasible();
  for (std::size_t p = 0; p < design.partitions.size(); ++p) {
    const hw::Resources& r = design.partition_metrics.at(p).resources;
    m.resources.lut = std::max(m.resources.lut, double(r.lut));
    m.resources.ff = std::max(m.resources.ff, double(r.ff));
    m.resources.dsp = std::max(m.resources.dsp, double(r.dsp));
    m.resources.bram = std::max(m.resources.bram, double(r.bram));
    m.resources.uram = std::max(m.resources.uram, double(r.uram));
    std::vector<LayerLatency> layers;
    for (int v : design.partitions[p].nodes) {
      const hw::HwLayer& l = design.network.layers.at(v);
      const double latency = double(design.layer_metrics.at(v).latency);
      layers.push_back({design.network.names.at(v), latency, hw::is_sparse(l.kind), latency});
      if (hw::is_sparse(l.kind) && l.sparsity) {
        // The floor: the same layer with every input window all zeros (skipped), so only the parts
        // of its latency that do not depend on the data remain (e.g. streaming the padded input).
        hw::HwLayer empty = l;
        std::vector<std::vector<double>> all_zero(l.sparsity->channels(),
                                                  std::vector<double>(l.sparsity->kernel_size() + 1, 0.0));
        for (auto& row : all_zero) row.back() = 1.0;
        empty.sparsity = hw::SparseProfile::from_histogram(std::move(all_zero), l.sparsity->kernel_size(),
                                                           design.network.names.at(v));
        layers.back().floor = double(hw::layer_latency(empty, design.options));
      }
    }
    m.layers.push_back(std::move(layers));
  }
  return m;
}

namespace {

// Feasible beats infeasible, then the lower cost; ties keep the incumbent.
bool better(const dse::Design& candidate, const dse::Design& incumbent) {
  if (candidate.feasible() != incumbent.feasible()) return candidate.feasible();
  return candidate.cost() < incumbent.cost();
}

}  // namespace

Measured DseHardware::optimise(const ir::Graph& graph, const nlohmann::json* warm_start, std::uint64_t seed) {
  const DseSettings& s = settings_;
  auto run_solver = [&](dse::Solver solver, const dse::Design* warm) {
    dse::OptimiseOptions run;
    run.solver = solver;
    run.seed = seed;
    run.warm_start = warm;
    return dse::optimise(graph, s.platform, s.model, s.optimiser, run).design;
  };
  std::optional<dse::Design> warm;
  if (warm_start) {
    warm = dse::design_from_json(*warm_start, "threshold-loop warm start");
    // The previous design's ReLUs carry the previous thresholds; a ReLU becomes a ThresholdedReLU
    // once its threshold is positive (same cost, model.md §8.1), so take the graph's thresholds.
    for (int v = 0; v < warm->network.size(); ++v) {
      hw::HwLayer& l = warm->network.layers[v];
      const std::string& name = warm->network.names[v];
      if ((l.kind == hw::LayerKind::relu || l.kind == hw::LayerKind::thresholded_relu) && graph.contains(name)) {
        l.threshold = graph.layer(name).threshold;
        l.kind = l.threshold > 0.0f ? hw::LayerKind::thresholded_relu : hw::LayerKind::relu;
      }
    }
  }
  // Greedy and rule only ever raise folding: warm-started from a design that already fills the device
  // they cannot move resources to the new bottleneck, so they also start afresh. Annealing moves both
  // ways and starts from the warm design alone when there is one.
  const bool annealer = s.solver == dse::Solver::sa;
  std::optional<dse::Design> best;
  if (!warm || !annealer) best = run_solver(s.solver, nullptr);
  if (warm) {
    dse::Design from_warm = run_solver(s.solver, &*warm);
    if (!best || better(from_warm, *best)) best = std::move(from_warm);
  }
  if (s.anneal && !annealer) {
    dse::Design annealed = run_solver(dse::Solver::sa, &*best);
    if (better(annealed, *best)) best = std::move(annealed);
  }
  return measure(*best);
}

Measured DseHardware::evaluate(const nlohmann::json& design, const ir::Graph& graph) {
  return measure(dse::evaluate(dse::design_from_json(design, "threshold-loop design"), graph));
}

}  // namespace sparsedse::threshold
