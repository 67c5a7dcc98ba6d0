#pragma once
// Reports of a pipeline run: report.md and report.html (one self-contained static page: inline SVG,
// CSS and a few lines of JS for sortable tables; no network, scripts or fonts from outside), and the
// sweep comparison sweep.md. Everything rendered is deterministic text (no timestamps).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/dse/design.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/threshold/loop.hpp"
#include "sparsedse/threshold/outputs.hpp"

namespace sparsedse::report {

struct NamedDesign {
  std::string name;  // "dense", "baseline", or the thresholding run ("latency-aware/optimised-hw")
  std::string file;  // relative to the report ("designs/baseline.json")
  dse::Design design;
};

struct HlsProject {
  std::string design;  // which design it implements
  std::string dir;     // relative to the report
  std::vector<std::string> files;  // the files to open first (Makefile, README, manifests), relative to dir
  bool emitted = true;
  std::string reason;  // why not, when the emitter cannot realise the design
};

// Everything one run's report shows.
struct RunReport {
  std::string title;        // job (and sweep entry) name
  std::string description;  // from the job file
  std::string job_file;
  std::string model_summary;  // e.g. "21 Conv, 271 402 parameters, 40.6 MMAC/image"
  threshold::RunInfo info;
  threshold::LoopState state;
  std::vector<std::string> layers;          // Conv / InnerProduct layers, topological order
  std::optional<sparsity::Stats> profile;   // thresholds-0 statistics of the calibration subset
  std::optional<NamedDesign> dense;         // dense reference design
  NamedDesign baseline;                     // the threshold-0 design ("baseline hardware")
  std::vector<NamedDesign> finals;          // each run's final re-optimised design
  std::vector<HlsProject> hls;
};

// The design at the budget with the highest throughput: the re-optimised design of the best run, or
// the baseline design when no run re-optimised. Index into finals, or -1 for the baseline.
int best_final(const RunReport& report);

std::string render_markdown(const RunReport& report);
std::string render_html(const RunReport& report);

// One line of a sweep comparison: the entry's headline figures (JSON, gathered across processes).
nlohmann::json sweep_row(const RunReport& report, const std::string& entry_id);
// sweep.md: one row per entry, the 2×2 gains side by side. Rows are in the order given.
std::string sweep_markdown(const std::string& title, const std::vector<nlohmann::json>& rows);

// Text helpers shared by the renderers.
std::string html_escape(const std::string& text);
std::string fixed(double value, int decimals);
std::string grouped(std::int64_t value);  // 1728000 → "1 728 000"

}  // namespace sparsedse::report
