// `sparsedse profile`: window zero histograms of every convolution (model.md §5.1) and top-1 / top-5 on
// a calibration set, measured in one engine pass, written as a statistics file.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/data/dataset.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/sparsity/profiler.hpp"
#include "sparsedse/sparsity/stats.hpp"

namespace sparsedse::cli {

namespace {

struct ProfileOptions {
  std::string model;
  std::string dataset;
  std::int64_t limit = sparsity::kDefaultCalibrationImages;
  std::int64_t offset = 0;
  double threshold = 0.0;
  std::string thresholds_file;
  std::string numerics = "fixed:16.8";
  std::string hist_source = "activations";
  int threads = 0;
  std::string output;
  bool json = false;
};

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * fraction);
  return buf;
}

void run_profile(const ProfileOptions& o) {
  if (o.limit < 1) throw InputError("--limit", "expected at least 1 image");
  if (o.offset < 0) throw InputError("--offset", "expected a non-negative image index");
  if (!(o.threshold >= 0.0) || !std::isfinite(o.threshold))
    throw InputError("--threshold", "expected a finite threshold >= 0");
  if (o.threads < 0) throw InputError("--threads", "expected 0 (all cores) or a positive count");

  const engine::Numerics numerics = engine::Numerics::parse(o.numerics, "--numerics");
  const auto hist_source = sparsity::hist_source_from_string(o.hist_source);
  if (!hist_source) throw InputError("--hist-source", "expected activations or products, got '" + o.hist_source + "'");
  engine::Thresholds thresholds = o.thresholds_file.empty() ? engine::Thresholds::uniform(float(o.threshold))
                                                            : engine::Thresholds::read(o.thresholds_file);
  const ir::Graph graph = frontend::load_model(o.model);
  const data::Dataset calibration = data::Dataset::load(o.dataset, data::Subset{o.offset, o.limit});

  const auto start = std::chrono::steady_clock::now();
  sparsity::ProfilerOptions options;
  options.cache_bytes = 0;  // one pass, nothing to re-profile
  options.threads = o.threads;
  options.hist_source = *hist_source;
  sparsity::Profiler profiler(graph, numerics, calibration, options);
  sparsity::Stats stats;
  stats.model = std::filesystem::path(o.model).filename().string();
  stats.numerics = numerics.to_string();
  stats.hist_source = std::string(sparsity::to_string(*hist_source));
  stats.thresholds = thresholds;
  stats.result = profiler.profile(thresholds);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sparsity::write_stats(o.output, stats);

  const sparsity::ProfileResult& r = stats.result;
  if (o.json) {
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& [name, s] : r.layers)
      layers[name] = {{"kernel", {s.kernel_rows, s.kernel_cols}},
                      {"channels", s.histogram.size()},
                      {"mean_sparsity", s.mean_sparsity}};
    nlohmann::json summary = {{"output", o.output},  {"model", stats.model}, {"images", r.images},
                              {"top1", r.top1},      {"top5", r.top5},       {"numerics", stats.numerics},
                              {"layers", layers},    {"relu_zero_fraction", r.relu_zero_fraction}};
    std::cout << summary.dump(2) << "\n";
    return;
  }
  std::printf("profiled %s on %lld images (%s) in %.1f s: top-1 %s, top-5 %s\n", stats.model.c_str(),
              static_cast<long long>(r.images), stats.numerics.c_str(), seconds, percent(r.top1).c_str(),
              percent(r.top5).c_str());
  std::printf("%-40s %-7s %9s %14s\n", "layer", "kernel", "channels", "mean sparsity");
  for (ir::Vertex v : graph.topological_order()) {
    const std::string& name = graph.layer(v).name;
    auto it = r.layers.find(name);
    if (it == r.layers.end()) continue;
    const ir::SparsityStats& s = it->second;
    const std::string kernel = std::to_string(s.kernel_rows) + "x" + std::to_string(s.kernel_cols);
    std::printf("%-40s %-7s %9zu %14.4f\n", name.c_str(), kernel.c_str(), s.histogram.size(), s.mean_sparsity);
  }
  std::printf("wrote %s\n", o.output.c_str());
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto o = std::make_shared<ProfileOptions>();
  CLI::App* cmd = app.add_subcommand(
      "profile",
      "Measure the per-channel window zero histograms of every convolution and inner product (model.md §5.1) "
      "and top-1 / top-5 on a calibration set, in one engine pass, and write them as a statistics file");
  cmd->add_option("model", o->model, "Model: .onnx or .json IR")->required();
  cmd->add_option("--dataset", o->dataset, "Dataset JSON file (docs/datasets.md)")->required();
  cmd->add_option("--limit", o->limit, "Calibration images (default 1000, or the whole set if smaller)");
  cmd->add_option("--offset", o->offset, "Index of the first calibration image (default 0)");
  auto* uniform = cmd->add_option("--threshold", o->threshold, "Threshold of every ReLU (default 0)");
  auto* file = cmd->add_option("--thresholds", o->thresholds_file,
                               "Per-ReLU thresholds JSON {\"default\": t, \"relu\": {name: t}}");
  uniform->excludes(file);
  file->excludes(uniform);
  cmd->add_option("--numerics", o->numerics, "float, fixed or fixed:W.F (default fixed:16.8)");
  cmd->add_option("--hist-source", o->hist_source,
                  "activations (default: the zeros the hardware's non-zero check sees) or products (upstream's "
                  "statistic: zero activation x weight products, each window once per filter; model.md Q16)");
  cmd->add_option("--threads", o->threads, "Threads (default 0 = all cores)");
  cmd->add_option("-o,--output", o->output, "Statistics file to write (JSON)")->required();
  cmd->add_flag("--json", o->json, "Print a JSON summary on stdout instead of a table");
  cmd->callback([o] { run_profile(*o); });
}

}  // namespace sparsedse::cli
