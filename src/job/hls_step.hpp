#pragma once
// Step 5 of a job entry: HLS projects (hwgen) for the chosen designs, and what the reports list.
#include <filesystem>
#include <string>
#include <vector>

#include "sparsedse/data/dataset.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/report/report.hpp"

namespace sparsedse::job {

// Testbench images per project: the first calibration images (real data, so the golden outputs and the
// sparse datapath see the activations the statistics were measured on).
inline constexpr int kHlsTestbenchImages = 4;

// Emits hls/<design name>/ under `dir` for `design` on `graph` (the model at thresholds 0; the design
// carries its thresholds). A design the emitter cannot realise (hwgen InputError, e.g. weights
// reloading) is recorded in hls/status.json with the reason instead of failing the run. Returns the
// files written, relative to `dir`.
std::vector<std::string> emit_hls(const ir::Graph& graph, const data::Dataset& images, const std::filesystem::path& dir,
                                  const std::vector<report::NamedDesign>& designs);

// The HLS projects recorded in dir/hls/status.json (for the reports), in emission order.
std::vector<report::HlsProject> hls_projects(const std::filesystem::path& dir);

// hls/<name>: "latency-aware/optimised-hw" → "latency-aware_optimised-hw".
std::string hls_dir_name(const std::string& design_name);

}  // namespace sparsedse::job
