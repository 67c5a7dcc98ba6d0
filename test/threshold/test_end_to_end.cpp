// The thresholding job end to end on a real model and data: the profiler, the engine and the DSE.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/threshold/driver.hpp"
#include "sparsedse/threshold/outputs.hpp"

using namespace sparsedse;
using namespace sparsedse::threshold;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("sparsedse_threshold_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// The shipped Fashion-MNIST ResNet-20, or (until it is trained) the zoo topology for 1-channel input.
fs::path model_path() {
  if (fs::exists("models/resnet20-fmnist.onnx")) return "models/resnet20-fmnist.onnx";
  fs::path p = fs::temp_directory_path() / "sparsedse_threshold_resnet20.onnx";
  if (!fs::exists(p)) {
    frontend::ZooOptions zo;
    zo.in_channels = 1;
    frontend::write_zoo_model("resnet20-cifar", zo, p);
  }
  return p;
}

ThresholdJob small_job(const fs::path& outdir) {
  ThresholdJob job;
  job.model = model_path();
  job.dataset = "configs/datasets/fashion-mnist-test.json";
  job.outdir = outdir;
  job.config.calibration = 100;
  job.config.test_images = 200;
  job.config.step = 0.05;
  job.config.refinements = 1;
  job.config.max_iterations = 2;
  job.config.solver = dse::Solver::greedy;
  return job;
}

const char* kOutputs[] = {"iterations.csv",      "iterations.json", "summary.json",
                          "report.md",           "throughput_vs_accuracy.svg", "sparsity_per_layer.svg",
                          "designs/baseline.json", "designs/uniform.json", "checkpoint.json",
                          "thresholds/latency-aware_baseline-hw.json"};

}  // namespace

TEST_CASE("threshold job on ResNet-20 / Fashion-MNIST: outputs, budget, determinism and resume", "[threshold][e2e]") {
  fs::path a = scratch("a"), b = scratch("b");
  std::ostringstream log_a, log_b;
  ThresholdJob job_a = small_job(a);
  job_a.export_onnx = true;
  LoopState full = run_threshold_job(job_a, log_a);
  REQUIRE(full.done());
  for (const char* f : kOutputs) CHECK(fs::exists(a / f));
  CHECK(log_a.str().find("threshold: uniform #1") != std::string::npos);
  // The threshold-0 design competed with the dense design of the same search and is not slower.
  const std::string dense_line = "threshold: dense reference design ";
  const std::size_t at = log_a.str().find(dense_line);
  REQUIRE(at != std::string::npos);
  const double dense = std::stod(log_a.str().substr(at + dense_line.size()));
  CHECK(dense > 0);
  CHECK(full.baseline_throughput >= dense - 0.005);

  // The ceiling of the fixed design: above it at thresholds 0, held by one layer of its one partition.
  REQUIRE(full.baseline_ceiling);
  CHECK(full.baseline_ceiling->throughput > full.baseline_throughput);
  CHECK(full.baseline_ceiling->bound_by.size() == 1);

  // Three runs (uniform, latency-aware steered by each design), each within its two iterations.
  REQUIRE(full.runs.size() == 3);
  for (const RunState& run : full.runs) {
    CAPTURE(run.name);
    CHECK(run.done);
    CHECK(run.iteration <= 2);
    REQUIRE(run.top1_test);
    const ThresholdMap* last = nullptr;
    for (const IterationRecord& r : full.records) {
      if (r.run != run.name) continue;
      if (!r.accepted) {
        CHECK(full.top1_zero - r.top1 > 1.0);
        continue;
      }
      CHECK(full.top1_zero - r.top1 <= 1.0 + 1e-9);
      REQUIRE(r.baseline_throughput);
      CHECK(*r.baseline_throughput > 0);
      CHECK(*r.baseline_throughput <= full.baseline_ceiling->throughput);  // no thresholds beat the ceiling
      if (last)
        for (const auto& [relu, t] : *last) CHECK(r.thresholds.at(relu) >= t);
      last = &r.thresholds;
    }
  }

  // The final thresholds as a thresholds file and as a thresholded ONNX model with histograms.
  const RunState& uniform = full.runs.front();
  engine::Thresholds tf = engine::Thresholds::read((a / "thresholds" / "uniform.json").string());
  ir::Graph exported = frontend::load_model(a / "models" / "uniform.onnx");
  for (const auto& [relu, t] : uniform.thresholds) {
    CHECK(tf.at(relu) == float(t));
    CHECK(exported.layer(relu).threshold == float(t));
  }
  for (ir::Vertex v = 0; v < exported.size(); ++v)
    if (exported.layer(v).kind == ir::LayerKind::Convolution) CHECK(exported.layer(v).sparsity.has_value());

  CHECK(read_file(a / "report.md").find("- Latency-aware bottleneck: the slowest layer a threshold can still speed up "
                                        "(rule `relievable`); relieved by its nearest ReLUs, or the residual block's branch ReLUs once "
                                        "those are frozen (reach `residual-when-frozen`).\n") != std::string::npos);

  nlohmann::json summary = read_json(a / "summary.json");
  CHECK(summary["numerics"] == "fixed:16.8");
  CHECK(summary["test_images"] == 200);
  REQUIRE(summary["results"].size() == 2);
  CHECK(summary["results"][0]["baseline_hardware"]["gain"].is_number());
  CHECK(summary["results"][1]["optimised_hardware"]["top1_test"].is_number());

  // Interrupted after four steps, then resumed: byte-identical outputs.
  ThresholdJob job = small_job(b);
  job.max_steps = 4;
  LoopState part = run_threshold_job(job, log_b);
  CHECK_FALSE(part.done());
  CHECK_FALSE(fs::exists(b / "summary.json"));
  job.max_steps = -1;
  job.resume = true;
  run_threshold_job(job, log_b);
  CHECK(log_b.str().find("resuming from") != std::string::npos);
  for (const char* f : kOutputs) {
    CAPTURE(f);
    CHECK(read_file(a / f) == read_file(b / f));
  }

  // A checkpoint from other inputs is refused.
  job.config.step = 0.04;
  CHECK_THROWS_WITH(run_threshold_job(job, log_b), Catch::Contains("checkpoint.json") && Catch::Contains("'config'"));

  // A higher iteration limit is the one change a resume absorbs: the runs stopped at the old limit go on,
  // the others stay as they were, and the outputs are written again. A lower one is refused.
  job.config = small_job(b).config;
  job.config.max_iterations = 3;
  const LoopState extended = run_threshold_job(job, log_b);
  CHECK(log_b.str().find("raising the iteration limit to 3") != std::string::npos);
  int reopened = 0;
  for (std::size_t i = 0; i < full.runs.size(); ++i) {
    CAPTURE(full.runs[i].name);
    if (full.runs[i].stop_reason == "iteration limit reached") {
      ++reopened;
      CHECK(extended.runs[i].iteration == 3);
    } else {
      CHECK(extended.runs[i] == full.runs[i]);
    }
  }
  CHECK(reopened > 0);
  CHECK(read_json(b / "summary.json") != read_json(a / "summary.json"));
  job.config.max_iterations = 2;
  CHECK_THROWS_WITH(run_threshold_job(job, log_b), Catch::Contains("checkpoint.json") && Catch::Contains("'config'"));
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST_CASE("threshold CLI: a bad config key exits 2 naming the file and key", "[threshold][cli]") {
  fs::path dir = scratch("cli");
  write_file_atomic(dir / "t.json", "{\"budgett\": 1.0}");
  std::string cmd = std::string(SPARSEDSE_CLI_PATH) + " threshold " + model_path().string() +
                    " --dataset configs/datasets/fashion-mnist-test.json --config " + (dir / "t.json").string() +
                    " -o " + (dir / "out").string() + " 2> " + (dir / "err.txt").string();
  int status = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(status) == 2);
  std::string err = read_file(dir / "err.txt");
  CHECK(err.find("t.json: /budgett") != std::string::npos);
  CHECK(err.find("did you mean 'budget'") != std::string::npos);

  write_file_atomic(dir / "t.json", "{\"bottleneck_band\": 1.0}");
  status = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(status) == 2);
  err = read_file(dir / "err.txt");
  CHECK(err.find("t.json: /bottleneck_band: expected a fraction in [0, 1)") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
  fs::remove_all(dir);
}
