// `sparsedse run`: the whole pipeline from one job file (docs/user-guide.md, docs/schemas.md "Job").
#include <chrono>
#include <iostream>
#include <memory>

#include <unistd.h>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/progress.hpp"
#include "sparsedse/job/distribution.hpp"
#include "sparsedse/job/job.hpp"
#include "sparsedse/job/runner.hpp"

namespace sparsedse::cli {

namespace {

struct RunCliOptions {
  std::string job, outdir;
  bool force = false, resume = false, quiet = false, log_json = false;
};

void run_run(const RunCliOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  // Under mpirun every rank parses the same job; rank r runs entries r, r + N, ... (job/distribution.hpp).
  std::unique_ptr<job::Distribution> mpi = job::mpi_distribution();
  const bool several = mpi && mpi->size() > 1;

  const std::filesystem::path file = o.job.empty() ? job::default_job_file() : std::filesystem::path(o.job);
  const job::JobSpec spec = job::read_job(file);

  ProgressStyle style = o.quiet ? ProgressStyle::quiet
                        : o.log_json ? ProgressStyle::json
                        : several ? ProgressStyle::lines  // bars of several processes would overwrite each other
                                  : default_progress_style(STDERR_FILENO);
  StreamProgress progress(std::cerr, style);
  if (several) progress.set_prefix("[rank " + std::to_string(mpi->rank()) + "] ");

  job::RunOptions options;
  options.outdir = o.outdir;
  options.force = o.force;
  options.resume = o.resume;
  options.progress = &progress;
  options.distribution = mpi.get();
  const job::JobResult result = job::run_job(spec, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!mpi || mpi->rank() == 0) progress.log("run: finished in " + format_duration(seconds));
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run the whole pipeline from one job file: import the model, profile sparsity on the calibration subset, "
      "optimise the dense and sparse designs, run the thresholding loops, emit HLS and write report.md and "
      "report.html. A job listing several models, platforms or policies is a sweep (sweep.md compares them); "
      "under mpirun its entries are spread over the ranks. Without JOB, runs the embedded default job "
      "(configs/jobs/default.json).");
  cmd->add_option("job", o->job, "job JSON (docs/schemas.md); default: configs/jobs/default.json");
  cmd->add_option("-o,--output", o->outdir, "output directory (default: out/<job name>)");
  cmd->add_flag("--force", o->force, "overwrite an existing output directory");
  cmd->add_flag("--resume", o->resume, "continue an interrupted run in the output directory from its last completed step");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->add_flag("--log-json", o->log_json, "progress and log as one JSON object per line on stderr");
  cmd->callback([o] { run_run(*o); });
}

}  // namespace sparsedse::cli
