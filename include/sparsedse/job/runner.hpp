#pragma once
// Runs a job (job.hpp): every sweep entry through the pipeline steps, each step checkpointed, then the
// sweep comparison. Output layout (one entry: directly in OUTDIR; a sweep: OUTDIR/<entry id>/ each):
//   model.json, model.weights.bin       the IR of the model (thresholds 0)              step 1 import
//   sparsity.json                       window statistics at thresholds 0 (calibration)  step 2 profile
//   designs/dense.json                  the dense reference design (statistics ignored)  step 3 dense
//   designs/baseline.json, designs/<run>.json, iterations.csv/.json, summary.json,
//   throughput_vs_accuracy.svg, sparsity_per_layer.svg                                   step 4 threshold
//   hls/<design>/                       HLS projects                                     step 5 hls
//   report.md, report.html                                                               step 6 report
//   config/                             the effective platform, optimiser, hardware and threshold settings
// and OUTDIR/sweep.md, sweep.json for a sweep. OUTDIR/.state/ holds the job fingerprint, a marker per
// completed step (with digests of its outputs) and the thresholding checkpoint; --resume continues from
// there and ends with the same bytes as an uninterrupted run. Every file is written atomically.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/common/progress.hpp"
#include "sparsedse/job/distribution.hpp"
#include "sparsedse/job/job.hpp"

namespace sparsedse::job {

struct RunOptions {
  std::filesystem::path outdir;
  bool force = false;   // an existing OUTDIR from an earlier run is deleted and the job starts afresh
  bool resume = false;  // continue the run in OUTDIR (a fresh start if there is none)
  Progress* progress = nullptr;            // null: silent
  Distribution* distribution = nullptr;    // null: this process runs every entry
};

struct EntryResult {
  std::string id;
  std::filesystem::path dir;
  nlohmann::json row;  // the entry's line of the sweep comparison (report::sweep_row)
};

struct JobResult {
  std::filesystem::path outdir;
  std::vector<EntryResult> entries;  // every entry on rank 0 (and in a single process), in sweep order
};

// The pipeline steps of an entry, in order.
const std::vector<std::string>& step_names();

// The default OUTDIR of a job: out/<job name>.
std::filesystem::path default_outdir(const JobSpec& job);

// Throws InputError (exit 2) when OUTDIR exists and is not empty and neither force nor resume is set,
// when force would delete a directory that is not a sparsedse output, or when resume meets the state
// of a different job.
JobResult run_job(const JobSpec& job, const RunOptions& options);

}  // namespace sparsedse::job
