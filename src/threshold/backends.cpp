#include "sparsedse/threshold/backends.hpp"

#include <algorithm>
#include <cmath>

#include "sparsedse/common/error.hpp"
#include "sparsedse/dse/headroom.hpp"
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

TopOneHits ProfilerMeasurer::test_hits(const ThresholdMap& thresholds) {
  for (const auto& [name, value] : thresholds) engine_.set_threshold(name, float(value));
  engine::EvalOptions options;
  options.batch = batch_;
  const engine::EvalResult result = engine::evaluate(engine_, test_, options);
  TopOneHits hits(result.predictions.size());
  for (std::size_t i = 0; i < hits.size(); ++i) hits[i] = result.predictions[i] == test_.label(std::int64_t(i));
  return hits;
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
    PartitionLatency part;
    part.memory_bound = design.partitions[p].slow_down_factor > 1.0;
    std::vector<LayerLatency>& layers = part.layers;
    for (int v : design.partitions[p].nodes) {
      const hw::HwLayer& l = design.network.layers.at(v);
      const hw::LayerMetrics& metrics = design.layer_metrics.at(v);
      const double latency = double(metrics.latency);
      layers.push_back({design.network.names.at(v), latency, hw::is_sparse(l.kind), latency,
                        metrics.weights_stream_bits_per_cycle * latency});
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
    m.layers.push_back(std::move(part));
  }
  return m;
}

namespace {

constexpr int kMaxPolishRounds = 4;   // annealing rounds after the solver
constexpr double kPolishGain = 0.002;  // stop polishing once a round gains less than 0.2 % of the cost

// Feasible beats infeasible, then the lower cost; ties keep the incumbent.
bool better(const dse::Design& candidate, const dse::Design& incumbent) {
  if (candidate.feasible() != incumbent.feasible()) return candidate.feasible();
  return candidate.cost() < incumbent.cost();
}

}  // namespace

Measured DseHardware::optimise(const ir::Graph& graph, const nlohmann::json* warm_start, std::uint64_t seed) {
  const DseSettings& s = settings_;
  auto run_solver = [&](dse::Solver solver, const dse::Design* warm, std::uint64_t run_seed) {
    dse::OptimiseOptions run;
    run.solver = solver;
    run.chains = s.chains;
    run.seed = run_seed;
    run.warm_start = warm;
    return dse::optimise(graph, s.platform, s.model, s.optimiser, run).design;
  };
  auto keep_better = [](std::optional<dse::Design>& best, dse::Design candidate) {
    if (!best || better(candidate, *best)) best = std::move(candidate);
  };
  std::optional<dse::Design> best;
  if (warm_start) {
    // The warm design itself under the new statistics (more zeros never slow a fixed design down, so
    // a re-optimised design is never slower than the previous one); annealing below moves it on.
    keep_better(best, dse::evaluate(dse::design_from_json(*warm_start, "threshold-loop warm start"), graph));
    if (!s.anneal) keep_better(best, run_solver(s.solver, &*best, seed));
  } else {
    keep_better(best, run_solver(s.solver, nullptr, seed));
    if (s.anneal && s.solver != dse::Solver::sa) keep_better(best, run_solver(dse::Solver::sa, nullptr, seed));
  }
  // Simulated annealing from the best so far, repeated while it still gains: every design the loop
  // compares (the threshold-0 baseline as much as each re-optimisation) is searched to the same
  // convergence, so a throughput gain comes from the statistics, not from extra search effort.
  if (s.anneal)
    for (int round = 0; round < kMaxPolishRounds; ++round) {
      const double before = best->cost();
      try {
        keep_better(best, run_solver(dse::Solver::sa, &*best, seed + 1 + std::uint64_t(round)));
      } catch (const InputError&) {
        break;  // annealing found no fitting start from this design: keep what we have
      }
      if (!(best->cost() < before - kPolishGain * std::abs(before))) break;
    }
  return measure(*best);
}

Measured DseHardware::evaluate(const nlohmann::json& design, const ir::Graph& graph) {
  return measure(dse::evaluate(dse::design_from_json(design, "threshold-loop design"), graph));
}

Measured DseHardware::add_headroom(const nlohmann::json& design, const ir::Graph& graph, const ir::Graph& limit) {
  const dse::Design d = dse::evaluate(dse::design_from_json(design, "threshold-0 design"), graph);
  return measure(dse::add_headroom(d, graph, limit));
}

Measured optimise_dense(Hardware& hardware, const ir::Graph& graph, std::uint64_t seed) {
  ir::Graph dense = graph;
  for (ir::Vertex v : dense.topological_order()) dense.layer(v).sparsity.reset();
  return hardware.optimise(dense, nullptr, seed);
}

}  // namespace sparsedse::threshold
