#pragma once
// A whole thresholding job (what `sparsedse threshold` and the job runner call): load the model, the
// datasets, the platform and the optimiser settings; run or resume the loop with a checkpoint after
// every completed iteration (OUTDIR/checkpoint.json); write the outputs (outputs.hpp).
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "sparsedse/threshold/config.hpp"
#include "sparsedse/threshold/loop.hpp"

namespace sparsedse::threshold {

struct ThresholdJob {
  std::filesystem::path model;         // .onnx or JSON IR
  std::filesystem::path dataset;       // dataset JSON; the calibration subset is its first N images
  std::filesystem::path test_dataset;  // held-out test set; empty = the dataset's images after the first N
  std::string platform = "u250";       // name or file (hw::find_platform)
  std::filesystem::path optimiser;     // optimiser config JSON; empty = defaults (model.md §7.2)
  std::filesystem::path hardware_options;  // hardware model options JSON; empty = defaults
  ThresholdConfig config;
  std::filesystem::path outdir;
  bool resume = false;                 // continue from OUTDIR/checkpoint.json if it exists
  int threads = 0;                     // engine threads; <= 0 = all cores
  bool export_onnx = false;            // also write OUTDIR/models/<run>.onnx (ThresholdedRelu + histograms)
  int max_steps = -1;                  // stop after this many loop steps (resumable); < 0 = run to the end
};

inline constexpr const char* kCheckpointFile = "checkpoint.json";

// Runs the job; progress lines go to `progress`. Returns the final state (unfinished when `max_steps`
// stopped it: the outputs are then not written). Bad inputs, and a checkpoint written for different
// inputs, are InputErrors.
LoopState run_threshold_job(const ThresholdJob& job, std::ostream& progress);

}  // namespace sparsedse::threshold
