#pragma once
// What a thresholding run leaves in its output directory, all written atomically and deterministically
// (no timestamps; the same state gives the same bytes):
//   iterations.csv / iterations.json  every iteration of every run
//   summary.json                      per policy and hardware mode: gain over the threshold-0 design,
//                                     throughput, test top-1 and thresholds at the budget
//   report.md                         the 2×2 table {uniform, latency-aware} × {baseline, optimised}
//   throughput_vs_accuracy.svg, sparsity_per_layer.svg
//   designs/baseline.json, designs/<run>.json   the threshold-0 design and each run's final design
//   thresholds/<run>.json             each run's final thresholds ({"default": 0, "relu": {...}})
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/threshold/loop.hpp"

namespace sparsedse::threshold {

// What the run was started with. Its JSON form is the checkpoint fingerprint: a resume must match it.
struct RunInfo {
  std::string model;         // model file (as given)
  std::string dataset;       // calibration dataset JSON
  std::string test_dataset;  // held-out test dataset JSON ("" = the dataset after the calibration images)
  std::string platform;      // platform name or file
  std::string numerics;      // engine::Numerics::to_string() of the measurement format
  ThresholdConfig config;
};
nlohmann::json to_json(const RunInfo& info);

// The result of one policy on one hardware mode, at the budget.
struct Outcome {
  const RunState* run = nullptr;
  const IterationRecord* record = nullptr;  // the last accepted iteration
  double throughput = 0.0;
  double gain = 0.0;  // throughput / threshold-0 throughput − 1
};
// nullopt when the configuration did not run that policy or hardware mode.
std::optional<Outcome> outcome(const LoopState& state, Policy policy, bool optimised_hardware);

// The accuracy of an outcome for its table cell: "91.39 % test (−1.08 ± 0.16), 93.20 % cal. (−0.70 ± 0.26)",
// each drop from thresholds 0 with one standard error (PairedDrop); ", test drop over the budget" when the
// held-out images lose more than `budget` points.
std::string top1_at_budget(const Outcome& o, double budget);

// The baseline-hardware ceiling (LoopState::baseline_ceiling) as a gain over the threshold-0 design.
std::optional<double> ceiling_gain(const LoopState& state);

nlohmann::json summary_json(const LoopState& state, const RunInfo& info);
nlohmann::json iterations_json(const LoopState& state);
std::string iterations_csv(const LoopState& state);
// `layers` orders the per-layer columns and bars (the Conv/IP layers in topological order).
std::string report_markdown(const LoopState& state, const RunInfo& info, const std::vector<std::string>& layers);
std::string throughput_vs_accuracy_svg(const LoopState& state);
std::string sparsity_per_layer_svg(const LoopState& state, const std::vector<std::string>& layers);

// File name of a run's files under designs/ and thresholds/ ("latency-aware/optimised-hw" →
// latency-aware_optimised-hw.json).
std::string design_file(const RunState& run);

void write_outputs(const std::filesystem::path& outdir, const LoopState& state, const RunInfo& info,
                   const std::vector<std::string>& layers);

// One progress line per iteration (stderr), e.g. "threshold: uniform #3 step 0.05 raised 17 top-1 91.20%
// (-0.40) baseline-hw 5123.0 img/s (+3.1 %) optimised-hw 5301.2 img/s (+6.6 %)"; rolled-back steps end
// with "over budget: rolled back".
std::string progress_line(const LoopState& state, const IterationRecord& record);

}  // namespace sparsedse::threshold
