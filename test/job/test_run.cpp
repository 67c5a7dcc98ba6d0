// Jobs end to end on a real (tiny) model and data: every step's outputs, consistency between steps,
// the output-directory contract, determinism, and the report page in a browser.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "report/browser.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/job/runner.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/threshold/loop.hpp"

using namespace sparsedse;
using namespace test_job;

TEST_CASE("a job writes every step's outputs, a rerun needs --force and gives the same bytes", "[job][e2e]") {
  const fs::path dir = scratch("run");
  const fs::path out = dir / "out";
  const job::JobSpec spec = job::read_job(write_job(dir, tiny_job_json()));
  std::ostringstream log;
  StreamProgress progress(log, ProgressStyle::lines);
  job::RunOptions options;
  options.outdir = out;
  options.progress = &progress;
  const job::JobResult result = job::run_job(spec, options);
  REQUIRE(result.entries.size() == 1);
  CHECK(result.entries[0].dir == out);  // one entry: directly in OUTDIR

  for (const char* f : {"model.json", "model.weights.bin", "sparsity.json", "designs/dense.json", "designs/baseline.json",
                        "designs/uniform.json", "designs/latency-aware_optimised-hw.json", "iterations.csv",
                        "iterations.json", "summary.json", "throughput_vs_accuracy.svg", "sparsity_per_layer.svg",
                        "report.md", "report.html", "config/platform.json", "config/optimiser.json",
                        "config/hardware.json", "config/thresholds.json", ".state/job.json",
                        ".state/resnet20-cifar_u250/threshold.json", ".state/resnet20-cifar_u250/step-6-report.done"}) {
    CAPTURE(f);
    CHECK(fs::exists(out / f));
  }
  CHECK_FALSE(fs::exists(out / "sweep.md"));
  CHECK(log.str().find("step 4/6 threshold") != std::string::npos);

  // The steps agree with each other: the IR is the zoo network, the profile step's calibration
  // accuracy is the loop's at thresholds 0, and every Conv/FC layer has statistics.
  const ir::Graph g = frontend::load_json_model(out / "model.json");
  const sparsity::Stats stats = sparsity::read_stats(out / "sparsity.json");
  std::size_t weighted = 0;
  for (ir::Vertex v : g.topological_order())
    if (g.layer(v).is_weighted()) {
      ++weighted;
      CHECK(stats.result.layers.count(g.layer(v).name) == 1);
    }
  CHECK(stats.result.layers.size() == weighted);
  CHECK(stats.result.images == 64);
  const threshold::LoopState state = threshold::loop_state_from_json(
      read_json(out / ".state/resnet20-cifar_u250/threshold.json"), "checkpoint");
  REQUIRE(state.done());
  CHECK(state.top1_zero == Approx(100.0 * stats.result.top1));
  CHECK(state.test_images == 64);
  // The dense design ignores the statistics: no sparse layer; the threshold-0 design uses them.
  const dse::Design dense = dse::read_design(out / "designs/dense.json");
  for (const hw::HwLayer& l : dense.network.layers) CHECK_FALSE(hw::is_sparse(l.kind));
  const dse::Design baseline = dse::read_design(out / "designs/baseline.json");
  CHECK(baseline.metrics.throughput == Approx(state.baseline_throughput));

  // HLS for the best design at the budget, with a testbench on the first calibration images.
  const json hls = read_json(out / "hls/status.json");
  REQUIRE(hls.size() == 1);
  CAPTURE(hls.dump());
  CHECK(hls[0]["emitted"] == true);
  const std::string hls_dir = hls[0]["dir"].get<std::string>();
  CHECK(fs::exists(out / hls_dir / "Makefile"));
  CHECK(fs::exists(out / hls_dir / "p0" / "manifest.json"));
  CHECK(fs::exists(out / hls_dir / "p0" / "tb" / "data" / "input.bin"));

  const std::string md = read_file(out / "report.md");
  CHECK(md.find("## HLS") != std::string::npos);
  CHECK(md.find(hls_dir + "/Makefile") != std::string::npos);
  CHECK(md.rfind("# tiny\n\ntiny test job\n", 0) == 0);
  CHECK(md.find("| uniform | **") != std::string::npos);
  CHECK(md.find("| latency-aware | **") != std::string::npos);
  CHECK(md.find("| dense reference (statistics ignored) |") != std::string::npos);
  CHECK(md.find("| model | `zoo:resnet20-cifar?in_channels=1`") != std::string::npos);
  CHECK(md.find(out.string()) == std::string::npos);  // no absolute output paths: outputs are relocatable

  // The page in a browser: the elements are there and no script fails.
  {
    INFO("headless Chromium is required (tools/install-deps.sh installs it)");
    REQUIRE(test_browser::chromium_installed());
    const fs::path build = fs::path(SPARSEDSE_CLI_PATH).parent_path();
    const test_browser::PageResult page = test_browser::open_page(out / "report.html", "#selftest", build / "report-job.png");
    CHECK(page.console.empty());
    CHECK(page.dom.find("data-selftest=\"pass\"") != std::string::npos);
    for (const char* id : {"comparison", "plot-throughput-accuracy", "resources", "bottlenecks", "sparsity-table",
                           "folding-table"})
      CHECK(page.dom.find(std::string("id=\"") + id + "\"") != std::string::npos);
    CHECK(page.screenshot);
  }

  // An existing OUTDIR is never overwritten without --force; with it, the same inputs give the same bytes.
  const auto first = outputs(out);
  CHECK_THROWS_WITH(job::run_job(spec, options), Catch::Contains(out.string()) && Catch::Contains("--force"));
  options.force = true;
  job::run_job(spec, options);
  CHECK(outputs(out) == first);
  fs::remove_all(dir);
}

TEST_CASE("a sweep writes one directory per entry and sweep.md comparing them, with a mean per seed group",
          "[job][e2e]") {
  const fs::path dir = scratch("sweep");
  json doc = tiny_job_json();
  doc["thresholds"] = {{"step", 0.05}, {"refinements", 0}, {"max_iterations", 1}, {"test_images", 32}, {"solver", "greedy"},
                       {"hardware", "optimised"}};
  doc["dataset"]["calibration"]["images"] = 32;
  doc["policies"] = json::array({"uniform", "latency-aware"});
  doc["seeds"] = json::array({0, 1});
  doc["emit"] = {{"html", false}, {"hls", "none"}};
  const job::JobSpec spec = job::read_job(write_job(dir, doc));
  job::RunOptions options;
  options.outdir = dir / "out";
  const job::JobResult result = job::run_job(spec, options);
  REQUIRE(result.entries.size() == 4);
  const std::string md = read_file(dir / "out" / "sweep.md");
  for (const auto& e : result.entries) {
    CAPTURE(e.id);
    CHECK(fs::exists(dir / "out" / e.id / "report.md"));
    CHECK_FALSE(fs::exists(dir / "out" / e.id / "report.html"));  // emit.html = false
    CHECK(md.find("| [" + e.id + "](" + e.id + "/report.md) |") != std::string::npos);
    // The row carries the entry's own summary figures.
    const json summary = read_json(dir / "out" / e.id / "summary.json");
    CHECK(e.row["baseline_throughput"] == summary["threshold_zero"]["throughput"]);
  }
  CHECK(result.entries[0].id == "resnet20-cifar_u250_uniform_seed0");
  CHECK(result.entries[1].id == "resnet20-cifar_u250_uniform_seed1");
  CHECK(result.entries[1].row["seed"] == 1);
  CHECK(result.entries[0].row["results"].contains("uniform/optimised"));
  CHECK_FALSE(result.entries[0].row["results"].contains("latency-aware/optimised"));
  CHECK(result.entries[2].row["results"].contains("latency-aware/optimised"));
  CHECK(read_json(dir / "out" / "sweep.json").size() == 4);
  // One mean row per policy over its two seeds: the mean of the entries' own gains.
  const json& u0 = result.entries[0].row["results"]["uniform/optimised"];
  const json& u1 = result.entries[1].row["results"]["uniform/optimised"];
  char mean_gain[32];
  std::snprintf(mean_gain, sizeof mean_gain, "**%+.1f %%**", 100 * (u0["gain"].get<double>() + u1["gain"].get<double>()) / 2);
  const std::size_t mean = md.find("| **resnet20-cifar_u250_uniform, mean of 2 seeds** |");
  REQUIRE(mean != std::string::npos);
  CHECK(md.find(mean_gain, mean) != std::string::npos);
  CHECK(md.find("| **resnet20-cifar_u250_latency-aware, mean of 2 seeds** |") != std::string::npos);
  fs::remove_all(dir);
}
