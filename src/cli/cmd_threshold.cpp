// `sparsedse threshold`: the post-training ReLU thresholding loop (model.md §8): raise ReLU thresholds
// uniformly or where the hardware's bottleneck is, until top-1 drops by more than the budget, and report
// the throughput gain of the fixed and the re-optimised hardware.
#include <iostream>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/threshold/driver.hpp"

namespace sparsedse::cli {

namespace {

struct ThresholdOptions {
  std::string model, dataset, test_dataset, platform = "u250", config_file, optimiser, hardware_options, outdir;
  std::string policy, hardware, numerics, solver;
  double step = 0, budget = -1;
  std::int64_t calibration = 0, test_images = 0;
  int max_iterations = 0, refinements = -1, threads = 0, chains = 0;
  long long seed = -1;
  bool resume = false, faithful_accumulate = false, export_onnx = false, no_anneal = false;
};

void run_threshold(const ThresholdOptions& o, CLI::App& cmd) {
  threshold::ThresholdJob job;
  job.model = o.model;
  job.dataset = o.dataset;
  job.test_dataset = o.test_dataset;
  job.platform = o.platform;
  job.optimiser = o.optimiser;
  job.hardware_options = o.hardware_options;
  job.outdir = o.outdir;
  job.resume = o.resume;
  job.export_onnx = o.export_onnx;
  if (o.threads < 0) throw InputError("--threads", "expected 0 (all cores) or a positive count");
  job.threads = o.threads;

  // The config file first, then the command-line options given explicitly.
  threshold::ThresholdConfig& c = job.config;
  if (!o.config_file.empty()) c = threshold::read_threshold_config(o.config_file);
  auto given = [&](const char* name) { return cmd.count(name) > 0; };
  if (given("--policy")) c.policies = threshold::parse_policies(o.policy, "--policy");
  if (given("--hardware")) {
    if (o.hardware == "both") c.hardware = threshold::HardwareMode::both;
    else if (o.hardware == "baseline") c.hardware = threshold::HardwareMode::baseline;
    else if (o.hardware == "optimised") c.hardware = threshold::HardwareMode::optimised;
    else throw InputError("--hardware", "expected both, baseline or optimised, got '" + o.hardware + "'");
  }
  if (given("--step")) {
    if (!(o.step > 0)) throw InputError("--step", "expected a positive threshold step");
    c.step = o.step;
  }
  if (given("--refinements")) {
    if (o.refinements < 0) throw InputError("--refinements", "expected a count >= 0");
    c.refinements = o.refinements;
  }
  if (given("--budget")) {
    if (!(o.budget >= 0)) throw InputError("--budget", "expected a non-negative number of top-1 percentage points");
    c.budget = o.budget;
  }
  if (given("--calibration")) {
    if (o.calibration < 1) throw InputError("--calibration", "expected at least 1 image");
    c.calibration = o.calibration;
  }
  if (given("--test-images")) {
    if (o.test_images < 0) throw InputError("--test-images", "expected a count >= 0 (0 = the whole test set)");
    c.test_images = o.test_images;
  }
  if (given("--max-iterations")) {
    if (o.max_iterations < 1) throw InputError("--max-iterations", "expected at least 1");
    c.max_iterations = o.max_iterations;
  }
  if (given("--numerics")) c.numerics = o.numerics;
  if (given("--solver")) c.solver = dse::solver_from_string(o.solver);
  if (given("--seed")) {
    if (o.seed < 0) throw InputError("--seed", "expected a non-negative integer");
    c.seed = std::uint64_t(o.seed);
  }
  if (o.faithful_accumulate) c.accumulate = false;
  if (o.no_anneal) c.anneal = false;
  if (given("--chains")) {
    if (o.chains < 1 || o.chains > dse::kMaxChains)
      throw InputError("--chains", "expected 1 to " + std::to_string(dse::kMaxChains) + " chains");
    c.chains = o.chains;
  }
  threshold::run_threshold_job(job, std::cerr);
}

}  // namespace

void add_threshold_command(CLI::App& app) {
  auto o = std::make_shared<ThresholdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "threshold",
      "Raise ReLU thresholds after training (y = x if x > t else 0) until top-1 drops by more than the budget; "
      "report the throughput gain of the threshold-0 design re-evaluated (baseline hardware) and re-optimised "
      "(optimised hardware), for the uniform and the latency-aware policy. Writes OUTDIR/report.md, summary.json, "
      "iterations.csv/.json, plots and a checkpoint after every iteration (--resume continues from it).");
  cmd->add_option("model", o->model, "model (.onnx or JSON IR)")->required();
  cmd->add_option("--dataset", o->dataset, "dataset JSON; the calibration subset is its first N images")->required();
  cmd->add_option("--test-dataset", o->test_dataset,
                  "held-out test dataset JSON (default: the dataset's images after the calibration subset)");
  cmd->add_option("--platform", o->platform, "platform name or JSON file")->capture_default_str();
  cmd->add_option("--config", o->config_file, "threshold JSON (policy, hardware, step, budget, calibration, ...)");
  cmd->add_option("--policy", o->policy, "uniform | latency-aware | both (default both)");
  cmd->add_option("--hardware", o->hardware, "both | baseline | optimised (default both)");
  cmd->add_option("--step", o->step, "threshold step per iteration (default 0.05)");
  cmd->add_option("--refinements", o->refinements, "halvings of a ReLU's step after a raise of it breaks the budget, before it freezes (default 2)");
  cmd->add_option("--budget", o->budget, "allowed top-1 drop in percentage points (default 1.0)");
  cmd->add_option("--calibration", o->calibration, "calibration images (default 1000)");
  cmd->add_option("--test-images", o->test_images, "held-out images for the final accuracy (default 0 = all)");
  cmd->add_option("--max-iterations", o->max_iterations, "iterations per run (default 40)");
  cmd->add_option("--numerics", o->numerics, "fixed (default, the hardware's 16-bit format), fixed:W.F or float");
  cmd->add_option("--solver", o->solver, "greedy (default), sa or rule");
  cmd->add_option("--optimiser", o->optimiser, "optimiser config JSON (configs/optimisers/)");
  cmd->add_option("--hardware-options", o->hardware_options, "hardware model options JSON");
  cmd->add_flag("--no-anneal", o->no_anneal,
                "use the solver alone (default: also simulated annealing, repeated from the best design while it gains)");
  cmd->add_option("--chains", o->chains,
                  "independent annealing chains per annealing run, run in parallel; the best is kept (default 1)");
  cmd->add_option("--seed", o->seed, "solver seed (default 0)");
  cmd->add_option("--threads", o->threads, "engine threads (0 = all cores)");
  cmd->add_flag("--no-accumulate", o->faithful_accumulate,
                "upstream main's behaviour (Q17 faithful): chosen ReLUs are set to the step, never accumulating");
  cmd->add_flag("--export-onnx", o->export_onnx,
                "also write OUTDIR/models/<run>.onnx: the model with ThresholdedRelu(alpha = t) and the "
                "calibration histograms (channel_sparsity_hist) of its final thresholds");
  cmd->add_flag("--resume", o->resume, "continue from OUTDIR/checkpoint.json when it exists");
  cmd->add_option("-o,--output", o->outdir, "output directory")->required();
  cmd->callback([o, cmd] { run_threshold(*o, *cmd); });
}

}  // namespace sparsedse::cli
