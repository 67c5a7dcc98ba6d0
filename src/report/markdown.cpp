// report.md: the run's inputs, the designs at thresholds 0, the thresholding results (the 2×2 table
// of threshold/outputs.hpp), the final design's partitions and the HLS projects.
#include <sstream>

#include "report_internal.hpp"

namespace sparsedse::report {

namespace {

void design_row(std::ostringstream& md, const NamedDesign& d, const std::string& label, double reference) {
  const DesignFigures f = figures(d.design);
  md << "| " << label << " | [" << d.file << "](" << d.file << ") | " << fixed(f.throughput, 1);
  if (reference > 0) md << " (" << signed_percent(f.throughput / reference - 1.0) << ")";
  md << " | " << f.partitions << " | " << grouped(f.peak.lut) << " | " << grouped(f.peak.ff) << " | "
     << grouped(f.peak.dsp) << " | " << grouped(f.peak.bram) << " | " << grouped(f.peak.uram) << " | "
     << (f.feasible ? "yes" : "**no**") << " |\n";
}

// The thresholding report of threshold/outputs.hpp, nested one heading level down under ours.
std::string nested_threshold_report(const RunReport& r) {
  std::string body = threshold::report_markdown(r.state, r.info, r.layers);
  const std::size_t first_line = body.find('\n');
  body = first_line == std::string::npos ? "" : body.substr(first_line + 1);
  body.erase(0, body.find_first_not_of('\n'));
  std::string out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out += (line.rfind("#", 0) == 0 ? "#" + line : line) + "\n";
  return out;
}

}  // namespace

std::string render_markdown(const RunReport& r) {
  std::ostringstream md;
  md << "# " << r.title << "\n\n";
  if (!r.description.empty()) md << r.description << "\n\n";
  const threshold::ThresholdConfig& c = r.info.config;
  const hw::Platform& platform = r.baseline.design.platform;
  md << "| input | |\n|---|---|\n";
  if (!r.job_file.empty()) md << "| job | `" << r.job_file << "` |\n";
  md << "| model | `" << r.info.model << "`" << (r.model_summary.empty() ? "" : " — " + r.model_summary) << " |\n";
  md << "| platform | " << r.info.platform << " (" << platform.part << ", " << fixed(platform.clock_mhz, 0)
     << " MHz; usable DSP " << grouped(platform.usable.dsp) << ", BRAM18 " << grouped(platform.usable.bram) << ", LUT "
     << grouped(platform.usable.lut) << ") |\n";
  md << "| calibration | first " << r.state.calibration_images << " images of `" << r.info.dataset << "` |\n";
  md << "| test | " << r.state.test_images << " images of `"
     << (r.info.test_dataset.empty() ? r.info.dataset + "` after the calibration images" : r.info.test_dataset + "`")
     << " |\n";
  md << "| numerics | `" << r.info.numerics << "` |\n";
  md << "| thresholding | policies:";
  for (threshold::Policy p : c.policies) md << " " << to_string(p);
  md << "; hardware: " << to_string(c.hardware) << "; step " << fixed(c.step, 3) << "; budget " << fixed(c.budget, 2)
     << " points; " << dse::to_string(c.solver) << " solver; seed " << c.seed << " |\n\n";

  md << "## Designs\n\n| design | file | throughput (img/s) | partitions | LUT | FF | DSP | BRAM18 | URAM | fits |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  const double dense_tp = r.dense ? r.dense->design.metrics.throughput : 0.0;
  if (r.dense) design_row(md, *r.dense, "dense reference (statistics ignored)", 0.0);
  design_row(md, r.baseline, "sparse, thresholds 0 (baseline hardware)", dense_tp);
  for (const NamedDesign& d : r.finals) design_row(md, d, d.name + ", final", dense_tp);
  if (r.dense) md << "\nGains in brackets are over the dense reference design.\n";
  md << "\n## ReLU thresholding\n\n" << nested_threshold_report(r);

  const NamedDesign& best = best_design(r);
  md << "\n## Final design: " << best.name << "\n\n"
     << "The highest-throughput design at the accuracy budget ([" << best.file << "](" << best.file
     << ")). Per partition, the bottleneck is the layer whose latency sets the partition's interval.\n\n"
     << "| partition | layers | bottleneck | interval (cycles) | batch latency (ms) | LUT | DSP | BRAM18 | URAM |\n"
        "|---|---|---|---|---|---|---|---|---|\n";
  const dse::Design& d = best.design;
  for (std::size_t p = 0; p < d.partitions.size(); ++p) {
    const hw::PartitionMetrics& m = d.partition_metrics.at(p);
    const hw::Utilisation& u = m.utilisation;
    md << "| " << p << " | " << d.partitions[p].nodes.size() << " | "
       << (m.bottleneck >= 0 ? "`" + d.network.names.at(std::size_t(m.bottleneck)) + "`" : "a squeeze adapter") << " | "
       << grouped(m.interval) << " | " << fixed(m.latency_s * 1e3, 3) << " | " << percent(u.lut) << " | "
       << percent(u.dsp) << " | " << percent(u.bram) << " | " << percent(u.uram) << " |\n";
  }
  md << "\nUtilisation is of the platform's usable resources; the optimiser keeps LUT/FF/DSP within "
     << percent(d.options.rsc_allocation, 0) << " and BRAM/URAM within " << percent(d.options.ram_fraction(), 0)
     << ".\n";

  if (!r.hls.empty()) {
    md << "\n## HLS\n\n";
    for (const HlsProject& h : r.hls) {
      if (!h.emitted) {
        md << "- " << h.design << ": not emitted — " << h.reason << "\n";
        continue;
      }
      md << "- `" << h.dir << "/` (" << h.design << ")";
      if (!h.files.empty()) {
        md << ":";
        for (const std::string& f : h.files) md << " [" << f << "](" << h.dir << "/" << f << ")";
      }
      md << "\n";
    }
    md << "\nSee docs/user-guide.md, \"Exporting to Vivado\", for synthesis.\n";
  }
  md << "\nThe same results as one page: [report.html](report.html).\n";
  return md.str();
}

}  // namespace sparsedse::report
