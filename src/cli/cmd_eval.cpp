// `sparsedse eval`: top-1 / top-5 of a model on a labelled dataset and the fraction of zeros at the output
// of every ReLU, in float32 or in the hardware's fixed-point arithmetic (docs/fixed-point.md).
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
#include "sparsedse/engine/evaluate.hpp"
#include "sparsedse/frontend/model.hpp"

namespace sparsedse::cli {

namespace {

struct EvalOptions {
  std::string model;
  std::string dataset;
  std::int64_t limit = -1;
  std::int64_t offset = 0;
  double threshold = 0.0;
  bool uniform_threshold = false;
  std::string thresholds_file;
  std::string numerics = "fixed:16.8";
  int threads = 0;
  int batch = 64;
  bool json = false;
};

void run_eval(const EvalOptions& o) {
  if (o.limit == 0 || o.limit < -1) throw InputError("--limit", "expected at least 1 image");
  if (o.offset < 0) throw InputError("--offset", "expected a non-negative image index");
  if (o.uniform_threshold && !(std::isfinite(o.threshold) && o.threshold >= 0.0))
    throw InputError("--threshold", "expected a finite threshold >= 0");
  if (o.threads < 0) throw InputError("--threads", "expected 0 (all cores) or a positive count");
  if (o.batch < 1) throw InputError("--batch", "expected a positive batch size");

  const engine::Numerics numerics = engine::Numerics::parse(o.numerics, "--numerics");
  ir::Graph graph = frontend::load_model(o.model);
  // Without --threshold / --thresholds the thresholds stored in the model (ThresholdedRelu alpha) apply.
  if (o.uniform_threshold) engine::apply_thresholds(graph, engine::Thresholds::uniform(float(o.threshold)));
  if (!o.thresholds_file.empty()) engine::apply_thresholds(graph, engine::Thresholds::read(o.thresholds_file));
  const data::Dataset dataset = data::Dataset::load(o.dataset, data::Subset{o.offset, o.limit});
  const engine::Engine engine(graph, numerics, o.threads);

  const auto start = std::chrono::steady_clock::now();
  engine::EvalOptions options;
  options.batch = o.batch;
  const engine::EvalResult r = engine::evaluate(engine, dataset, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (o.json) {
    nlohmann::json sparsity = nlohmann::json::object();
    for (const auto& [name, zeros] : r.relu_sparsity) sparsity[name] = zeros;
    nlohmann::json out = {{"images", r.images},       {"top1", r.top1},
                          {"top5", r.top5},           {"relu_sparsity", sparsity},
                          {"numerics", numerics.to_string()}, {"model", std::filesystem::path(o.model).filename().string()}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf("%s on %lld images (%s, %s) in %.1f s (%.0f images/s)\n",
              std::filesystem::path(o.model).filename().string().c_str(), static_cast<long long>(r.images),
              dataset.describe().c_str(), numerics.to_string().c_str(), seconds, double(r.images) / seconds);
  std::printf("top-1 %.2f %%  top-5 %.2f %%\n", 100.0 * r.top1, 100.0 * r.top5);
  if (r.relu_sparsity.empty()) return;
  std::printf("%-40s %10s %10s\n", "relu", "threshold", "zeros");
  for (ir::Vertex v : graph.topological_order()) {  // in network order
    const ir::Layer& l = graph.layer(v);
    auto it = r.relu_sparsity.find(l.name);
    if (it != r.relu_sparsity.end()) std::printf("%-40s %10.4g %10.4f\n", l.name.c_str(), l.threshold, it->second);
  }
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Evaluate a model on a labelled dataset: top-1, top-5 and the fraction of zeros at every ReLU output");
  cmd->add_option("model", o->model, "Model: .onnx or .json IR")->required();
  cmd->add_option("--dataset", o->dataset, "Dataset JSON file (docs/datasets.md)")->required();
  cmd->add_option("--limit", o->limit, "Evaluate at most N images (default: all)");
  cmd->add_option("--offset", o->offset, "Index of the first image (default 0)");
  auto* uniform = cmd->add_option_function<double>(
      "--threshold",
      [o](double t) {
        o->threshold = t;
        o->uniform_threshold = true;
      },
      "Threshold t of every ReLU (y = x if x > t else 0)");
  auto* file = cmd->add_option("--thresholds", o->thresholds_file,
                               "Per-ReLU thresholds JSON {\"default\": t, \"relu\": {\"<node name>\": t}}");
  uniform->excludes(file);
  file->excludes(uniform);
  cmd->add_option("--numerics", o->numerics, "float, fixed or fixed:W.F (default fixed:16.8)");
  cmd->add_option("--threads", o->threads, "Threads (default 0 = all cores)");
  cmd->add_option("--batch", o->batch, "Images per engine batch (default 64)");
  cmd->add_flag("--json", o->json, "Print {\"images\", \"top1\", \"top5\", \"relu_sparsity\"} as JSON");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace sparsedse::cli
