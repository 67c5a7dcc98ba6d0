#include "sparsedse/threshold/driver.hpp"

#include <cstdio>
#include <ostream>
#include <set>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/threshold/backends.hpp"
#include "sparsedse/threshold/outputs.hpp"

namespace sparsedse::threshold {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// FNV-1a of the model file: a checkpoint is only resumed for the very same model bytes.
std::string file_digest(const fs::path& path) {
  std::string bytes = read_file(path);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::vector<std::string> weighted_layers(const ir::Graph& graph) {
  std::vector<std::string> names;
  for (ir::Vertex v : graph.topological_order())
    if (graph.layer(v).is_weighted()) names.push_back(graph.layer(v).name);
  return names;
}

}  // namespace

LoopState run_threshold_job(const ThresholdJob& job, std::ostream& progress) {
  const ThresholdConfig& config = job.config;
  ir::Graph graph = frontend::load_model(job.model);
  const engine::Numerics numerics = engine::Numerics::parse(config.numerics, "threshold config: /numerics");

  // Calibration: the first N images of the dataset. Test: a separate set, or the rest of the dataset.
  const data::DatasetSpec spec = data::DatasetSpec::read(job.dataset);
  const data::Dataset calibration = data::Dataset::load(spec, {0, config.calibration});
  const std::int64_t test_limit = config.test_images > 0 ? config.test_images : -1;
  data::Dataset test;
  if (!job.test_dataset.empty()) {
    test = data::Dataset::load(job.test_dataset, {0, test_limit});
  } else {
    if (calibration.size() < config.calibration)
      throw InputError(job.dataset.string(), "has only " + std::to_string(calibration.size()) +
                                                 " images, all used for calibration: nothing is left for the "
                                                 "held-out test (pass --test-dataset or a smaller --calibration)");
    try {
      test = data::Dataset::load(spec, {config.calibration, test_limit});
    } catch (const InputError&) {
      throw InputError(job.dataset.string(), "has no images after the " + std::to_string(config.calibration) +
                                                 " calibration images (pass --test-dataset or a smaller --calibration)");
    }
  }

  DseSettings dse;
  dse.platform = hw::find_platform(job.platform);
  if (!job.hardware_options.empty())
    dse.model = hw::parse_model_options(read_json(job.hardware_options), job.hardware_options.string());
  if (!job.optimiser.empty()) dse.optimiser = dse::read_optimiser_config(job.optimiser);
  dse.solver = config.solver;
  dse.anneal = config.anneal;
  dse.chains = config.chains;

  RunInfo info{job.model.string(), job.dataset.string(), job.test_dataset.string(), job.platform,
               numerics.to_string(), config};
  json fingerprint = to_json(info);
  fingerprint["model_digest"] = file_digest(job.model);
  fingerprint["optimiser"] = job.optimiser.string();
  fingerprint["hardware_options"] = job.hardware_options.string();

  sparsity::ProfilerOptions popts;
  popts.threads = job.threads;
  popts.hist_source = config.hist_source;
  ProfilerMeasurer measurer(graph, numerics, calibration, test, popts);
  DseHardware hardware(dse);
  ThresholdLoop loop(graph, config, measurer, hardware);

  ensure_directory(job.outdir);
  const fs::path checkpoint = job.outdir / kCheckpointFile;
  LoopState state;
  if (job.resume && path_exists(checkpoint)) {
    state = loop_state_from_json(read_json(checkpoint), checkpoint.string());
    if (state.fingerprint != fingerprint) {
      if (!extend_iteration_limit(state, fingerprint, json::json_pointer("/config/max_iterations"))) {
        std::string key = first_difference(state.fingerprint, fingerprint);
        throw InputError(checkpoint.string(), "was written for different inputs ('" + key +
                                                  "' differs); run without --resume or use another output directory");
      }
      progress << "threshold: raising the iteration limit to " << config.max_iterations
               << "; runs stopped at the old limit go on\n";
    }
    progress << "threshold: resuming from " << checkpoint.string() << " (" << state.records.size()
             << " iterations done)\n";
  } else {
    state = loop.initial_state(fingerprint);
  }
  progress << "threshold: " << graph.name << ", " << calibration.size() << " calibration and " << test.size()
           << " test images, " << numerics.to_string() << ", step " << config.step << ", budget " << config.budget
           << " points, runs:";
  for (const RunState& r : state.runs) progress << " " << r.name;
  progress << "\n" << std::flush;
  if (!state.started) {
    // As in a job: the threshold-0 design must not be slower than the dense design of the same search.
    const Measured dense = optimise_dense(hardware, graph, config.seed);
    progress << "threshold: dense reference design " << fixed2(dense.throughput) << " img/s\n" << std::flush;
    loop.compete_with(dense.design);
  }

  std::set<std::string> finished;
  for (const RunState& r : state.runs)
    if (r.done && r.top1_test) finished.insert(r.name);
  int steps = 0;
  while (job.max_steps < 0 || steps < job.max_steps) {
    const std::size_t first = state.records.size();
    if (!loop.step(state)) break;
    ++steps;
    const LoopState& s = state;
    for (std::size_t i = first; i < s.records.size(); ++i) progress << progress_line(s, s.records[i]) << "\n";
    for (const RunState& r : s.runs)
      if (r.done && r.top1_test && finished.insert(r.name).second)
        progress << "threshold: " << r.name << " stopped after " << r.iteration << " iterations (" << r.stop_reason
                 << "); test top-1 " << fixed2(*r.top1_test) << "%\n";
    progress << std::flush;
    write_json_atomic(checkpoint, to_json(s));
  }
  if (!state.done()) {
    progress << "threshold: stopped after " << steps << " steps; continue with --resume\n";
    return state;
  }
  write_outputs(job.outdir, state, info, weighted_layers(graph));
  if (job.export_onnx) {
    // model.md §8.2 onnx_run: ThresholdedRelu(alpha = t) and the calibration histograms of the final thresholds.
    ensure_directory(job.outdir / "models");
    for (const RunState& r : state.runs) {
      fs::path path = job.outdir / "models" / fs::path(design_file(r)).replace_extension(".onnx");
      frontend::save_onnx(loop.measured_graph(r.thresholds, measurer.calibrate(r.thresholds)), path);
      progress << "threshold: wrote " << path.string() << "\n";
    }
  }
  progress << "threshold: wrote " << (job.outdir / "report.md").string() << "\n";
  return state;
}

}  // namespace sparsedse::threshold
