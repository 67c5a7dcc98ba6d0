// report.html: one self-contained static page. Inline CSS, inline SVG charts and a few lines of inline
// JS (click a table header to sort); nothing is fetched, so it opens offline and from a CI artefact.
// Element ids (summary, comparison, plot-throughput-accuracy, plot-sparsity, designs, resources,
// bottlenecks, sparsity-table, folding-table) are a contract the browser test checks.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "report_internal.hpp"

namespace sparsedse::report {

namespace {

constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f3f3f3; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort=ascending]::after { content: " \25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \25BC"; }
tr.bottleneck td { background: #fff3d6; }
.gain { font-weight: bold; font-size: 1.1em; }
.note { color: #555; font-size: .9em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.partition { margin: .6em 0 1.2em; }
.partition h4 { margin: .3em 0; font-weight: normal; } .partition h4 b { font-weight: 600; }
.bar-row { display: flex; align-items: center; gap: .6em; margin: .15em 0; font-size: .85em; }
.bar-label { width: 4em; text-align: right; }
.bar { position: relative; width: 420px; height: 14px; background: #eee; border-radius: 2px; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; background: #0072B2; border-radius: 2px; }
.fill.over { background: #D55E00; }
.limit { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #333; }
.bar-value { font-variant-numeric: tabular-nums; color: #333; }
details { margin: .6em 0; } summary { cursor: pointer; }
.scroll { overflow-x: auto; }
)css";

// Click a header to sort by that column (numbers by data-value); click again to reverse. With
// #selftest in the URL the page sorts every table by its last numeric column and records whether the
// order held (data-selftest on <body>), for the browser test.
constexpr const char* kScript = R"js(
(function () {
  function key(cell, numeric) {
    var v = cell.getAttribute('data-value');
    if (!numeric) return (v === null ? cell.textContent : v).trim();
    var x = parseFloat(v === null ? cell.textContent : v);
    return isNaN(x) ? -Infinity : x;
  }
  function sortBy(table, col, ascending) {
    var body = table.tBodies[0];
    var numeric = table.tHead.rows[0].cells[col].getAttribute('data-type') === 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col], numeric), y = key(b.cells[col], numeric);
      var r = numeric ? (x < y ? -1 : x > y ? 1 : 0) : x.localeCompare(y);
      return ascending ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
    table.tHead.rows[0].cells[col].setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener('click', function () {
        sortBy(table, col, th.getAttribute('aria-sort') !== 'ascending');
      });
    });
  });
  if (location.hash === '#selftest') {
    var failed = [];
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.tHead.rows[0].cells, col = -1;
      for (var i = heads.length - 1; i >= 0 && col < 0; --i) if (heads[i].getAttribute('data-type') === 'num') col = i;
      if (col < 0) return;
      heads[col].click();
      var rows = table.tBodies[0].rows;
      for (var r = 1; r < rows.length; ++r)
        if (key(rows[r - 1].cells[col], true) > key(rows[r].cells[col], true)) { failed.push(table.id); break; }
    });
    document.body.setAttribute('data-selftest', failed.length ? 'fail: ' + failed.join(' ') : 'pass');
  }
})();
)js";

std::string esc(const std::string& s) { return html_escape(s); }

std::string num_cell(double value, const std::string& text) {
  return "<td class=\"num\" data-value=\"" + (std::isfinite(value) ? fixed(value, 6) : std::string("")) + "\">" +
         esc(text) + "</td>";
}
std::string num_cell(std::int64_t value) { return num_cell(double(value), grouped(value)); }

std::string header_row(const std::vector<std::pair<std::string, bool>>& columns) {
  std::string out = "<thead><tr>";
  for (const auto& [name, numeric] : columns)
    out += numeric ? "<th class=\"num\" data-type=\"num\">" + esc(name) + "</th>" : "<th>" + esc(name) + "</th>";
  return out + "</tr></thead>";
}

void summary_section(std::ostringstream& h, const RunReport& r) {
  const threshold::ThresholdConfig& c = r.info.config;
  const hw::Platform& p = r.baseline.design.platform;
  h << "<section id=\"summary\"><h2>Inputs</h2><table>";
  auto row = [&](const std::string& k, const std::string& v) { h << "<tr><th>" << esc(k) << "</th><td>" << v << "</td></tr>"; };
  if (!r.job_file.empty()) row("job", "<code>" + esc(r.job_file) + "</code>");
  row("model", "<code>" + esc(r.info.model) + "</code>" + (r.model_summary.empty() ? "" : " — " + esc(r.model_summary)));
  row("platform", esc(r.info.platform + " (" + p.part + ", " + fixed(p.clock_mhz, 0) + " MHz)"));
  row("calibration", "first " + std::to_string(r.state.calibration_images) + " images of <code>" + esc(r.info.dataset) +
                         "</code>");
  row("test", std::to_string(r.state.test_images) + " images of <code>" +
                  esc(r.info.test_dataset.empty() ? r.info.dataset : r.info.test_dataset) + "</code>" +
                  (r.info.test_dataset.empty() ? " after the calibration images" : ""));
  row("numerics", "<code>" + esc(r.info.numerics) + "</code>");
  std::string policies;
  for (threshold::Policy pol : c.policies) policies += (policies.empty() ? "" : ", ") + std::string(to_string(pol));
  row("thresholding", esc(policies + "; hardware " + std::string(to_string(c.hardware)) + "; step " + fixed(c.step, 3) +
                          "; budget " + fixed(c.budget, 2) + " points; " + std::string(dse::to_string(c.solver)) +
                          " solver; seed " + std::to_string(c.seed)));
  h << "</table></section>\n";
}

void comparison_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"comparison\"><h2>Throughput gain at the accuracy budget</h2>"
    << "<p>Over the threshold-0 design (" << fixed(r.state.baseline_throughput, 1) << " img/s; top-1 "
    << fixed(r.state.top1_zero, 2) << " % calibration"
    << (r.state.top1_test_zero ? ", " + fixed(*r.state.top1_test_zero, 2) + " % test" : std::string()) << "). Budget: "
    << fixed(r.info.config.budget, 2) << " top-1 points.</p>"
    << "<table><thead><tr><th>policy</th><th>baseline hardware</th><th>optimised hardware</th></tr></thead><tbody>";
  for (threshold::Policy p : {threshold::Policy::uniform, threshold::Policy::latency_aware}) {
    h << "<tr><th>" << to_string(p) << "</th>";
    for (bool optimised : {false, true}) {
      auto o = r.info.config.runs(p) ? threshold::outcome(r.state, p, optimised) : std::nullopt;
      if (!o) {
        h << "<td class=\"note\">not run</td>";
        continue;
      }
      h << "<td><span class=\"gain\">" << signed_percent(o->gain) << "</span><br>" << fixed(o->throughput, 1)
        << " img/s<br>top-1 " << threshold::top1_at_budget(*o, r.info.config.budget) << "</td>";
    }
    h << "</tr>";
  }
  h << "</tbody></table><p class=\"note\">In brackets: each top-1's change from thresholds 0 on the same images, "
       "± one standard error (paired: only the images that change class count).</p>";
  if (auto ceiling = threshold::ceiling_gain(r.state))
    h << "<p class=\"note\">Baseline-hardware ceiling: " << signed_percent(*ceiling)
      << " (the threshold-0 design with every threshold-sensitive layer's input windows all zero).</p>";
  h << "<p class=\"note\">Published (talk abstract): uniform +16 % / +29 %, latency-aware +23 % / "
       "+36 % (baseline / optimised hardware) at &lt; 1 % top-1 loss.</p></section>\n";
}

void plots_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"plots\"><h2>Throughput and sparsity</h2>"
    << "<figure id=\"plot-throughput-accuracy\">" << threshold::throughput_vs_accuracy_svg(r.state) << "</figure>"
    << "<figure id=\"plot-sparsity\">" << threshold::sparsity_per_layer_svg(r.state, r.layers) << "</figure></section>\n";
}

void designs_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"designs\"><h2>Designs</h2><table>"
    << header_row({{"design", false}, {"file", false}, {"throughput (img/s)", true}, {"partitions", true}, {"LUT", true},
                   {"FF", true}, {"DSP", true}, {"BRAM18", true}, {"URAM", true}, {"fits", false}})
    << "<tbody>";
  auto row = [&](const NamedDesign& d, const std::string& label) {
    const DesignFigures f = figures(d.design);
    h << "<tr><td>" << esc(label) << "</td><td><a href=\"" << esc(d.file) << "\">" << esc(d.file) << "</a></td>"
      << num_cell(f.throughput, fixed(f.throughput, 1)) << num_cell(std::int64_t(f.partitions))
      << num_cell(f.peak.lut) << num_cell(f.peak.ff) << num_cell(f.peak.dsp) << num_cell(f.peak.bram)
      << num_cell(f.peak.uram) << "<td>" << (f.feasible ? "yes" : "<b>no</b>") << "</td></tr>";
  };
  if (r.dense) row(*r.dense, "dense reference (statistics ignored)");
  row(r.baseline, "sparse, thresholds 0 (baseline hardware)");
  for (const NamedDesign& d : r.finals) row(d, d.name + ", final");
  h << "</tbody></table></section>\n";
}

void bar(std::ostringstream& h, const std::string& label, std::int64_t used, std::int64_t budget, double limit) {
  const double u = budget > 0 ? double(used) / double(budget) : (used > 0 ? 1.0 : 0.0);
  h << "<div class=\"bar-row\"><span class=\"bar-label\">" << label << "</span><div class=\"bar\"><div class=\"fill"
    << (u > limit + 1e-12 ? " over" : "") << "\" style=\"width:" << fixed(std::min(u, 1.0) * 100.0, 2)
    << "%\"></div><div class=\"limit\" style=\"left:" << fixed(std::min(limit, 1.0) * 100.0, 2)
    << "%\"></div></div><span class=\"bar-value\">" << grouped(used) << " / " << grouped(budget) << " ("
    << percent(u) << ")</span></div>";
}

void resources_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"resources\"><h2>Resources per partition</h2><p class=\"note\">Against the platform's usable "
       "budget; the black mark is the optimiser's limit (resource allocation for LUT/FF/DSP, RAM usage for "
       "BRAM/URAM). Partitions run one after another, reconfiguring the device in between.</p>";
  std::vector<const NamedDesign*> designs{&best_design(r)};
  if (designs[0] != &r.baseline) designs.push_back(&r.baseline);
  for (const NamedDesign* nd : designs) {
    const dse::Design& d = nd->design;
    const hw::ResourceBudget& b = d.platform.usable;
    h << "<h3>" << esc(nd->name) << " <span class=\"note\">(" << esc(nd->file) << ")</span></h3>";
    for (std::size_t p = 0; p < d.partitions.size(); ++p) {
      const hw::PartitionMetrics& m = d.partition_metrics.at(p);
      h << "<div class=\"partition\"><h4><b>Partition " << p << "</b> · " << d.partitions[p].nodes.size()
        << " layers · interval " << grouped(m.interval) << " cycles · bottleneck <code>"
        << esc(m.bottleneck >= 0 ? d.network.names.at(std::size_t(m.bottleneck)) : std::string("squeeze")) << "</code></h4>";
      bar(h, "LUT", m.resources.lut, b.lut, d.options.rsc_allocation);
      bar(h, "FF", m.resources.ff, b.ff, d.options.rsc_allocation);
      bar(h, "DSP", m.resources.dsp, b.dsp, d.options.rsc_allocation);
      bar(h, "BRAM18", m.resources.bram, b.bram, d.options.ram_fraction());
      bar(h, "URAM", m.resources.uram, b.uram, d.options.ram_fraction());
      h << "</div>";
    }
  }
  h << "</section>\n";
}

void bottlenecks_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"bottlenecks\"><h2>Bottleneck of each partition</h2><table>"
    << header_row({{"design", false}, {"partition", true}, {"bottleneck layer", false}, {"kind", false},
                   {"interval (cycles)", true}, {"batch latency (ms)", true}})
    << "<tbody>";
  std::vector<const NamedDesign*> designs{&r.baseline};
  for (const NamedDesign& d : r.finals) designs.push_back(&d);
  for (const NamedDesign* nd : designs) {
    const dse::Design& d = nd->design;
    for (std::size_t p = 0; p < d.partitions.size(); ++p) {
      const hw::PartitionMetrics& m = d.partition_metrics.at(p);
      const bool layer = m.bottleneck >= 0;
      h << "<tr><td>" << esc(nd->name) << "</td>" << num_cell(std::int64_t(p)) << "<td><code>"
        << esc(layer ? d.network.names.at(std::size_t(m.bottleneck)) : std::string("squeeze")) << "</code></td><td>"
        << (layer ? hw::to_string(d.network.layers.at(std::size_t(m.bottleneck)).kind) : "Squeeze") << "</td>"
        << num_cell(m.interval) << num_cell(m.latency_s * 1e3, fixed(m.latency_s * 1e3, 3)) << "</tr>";
    }
  }
  h << "</tbody></table></section>\n";
}

void sparsity_section(std::ostringstream& h, const RunReport& r) {
  h << "<section id=\"sparsity\"><h2>Per-layer input sparsity</h2><p class=\"note\">Zero fraction of the input "
       "windows on the calibration subset at thresholds 0 (histogram statistics) and at each run's final "
       "thresholds. All-zero windows are skipped by the sparse hardware.</p><div class=\"scroll\"><table "
       "class=\"sortable\" id=\"sparsity-table\">";
  std::vector<std::pair<std::string, bool>> cols{{"#", true},           {"layer", false},           {"kernel", false},
                                                 {"channels", true},    {"mean sparsity (t=0)", true}, {"all-zero windows (t=0)", true},
                                                 {"min channel", true}, {"max channel", true}};
  for (const threshold::RunState& run : r.state.runs) cols.push_back({run.name + " final", true});
  h << header_row(cols) << "<tbody>";
  for (std::size_t i = 0; i < r.layers.size(); ++i) {
    const std::string& name = r.layers[i];
    h << "<tr>" << num_cell(std::int64_t(i)) << "<td><code>" << esc(name) << "</code></td>";
    const ir::SparsityStats* s = nullptr;
    if (r.profile) {
      auto it = r.profile->result.layers.find(name);
      if (it != r.profile->result.layers.end()) s = &it->second;
    }
    if (s) {
      const std::vector<double> ch = s->channel_sparsity();
      double all_zero = 0.0;
      for (const auto& row : s->histogram) all_zero += row.empty() ? 0.0 : row.back();
      all_zero /= std::max<std::size_t>(1, s->histogram.size());
      const auto [lo, hi] = ch.empty() ? std::pair<double, double>{0, 0}
                                       : std::pair<double, double>{*std::min_element(ch.begin(), ch.end()),
                                                                   *std::max_element(ch.begin(), ch.end())};
      h << "<td>" << s->kernel_rows << "×" << s->kernel_cols << "</td>" << num_cell(std::int64_t(s->histogram.size()))
        << num_cell(s->mean_sparsity, fixed(s->mean_sparsity, 3)) << num_cell(all_zero, fixed(all_zero, 3))
        << num_cell(lo, fixed(lo, 3)) << num_cell(hi, fixed(hi, 3));
    } else {
      h << "<td></td>";
      for (int k = 0; k < 5; ++k) h << "<td class=\"num\" data-value=\"\"></td>";
    }
    for (const threshold::RunState& run : r.state.runs) {
      const threshold::IterationRecord& rec = threshold::final_record(r.state, run);
      auto it = rec.mean_sparsity.find(name);
      if (it == rec.mean_sparsity.end()) h << "<td class=\"num\" data-value=\"\"></td>";
      else h << num_cell(it->second, fixed(it->second, 3));
    }
    h << "</tr>";
  }
  h << "</tbody></table></div></section>\n";
}

void folding_table(std::ostringstream& h, const dse::Design& d, const std::string& id) {
  h << "<div class=\"scroll\"><table class=\"sortable\" id=\"" << id << "\">"
    << header_row({{"#", true}, {"partition", true}, {"layer", false}, {"kind", false}, {"coarse_in", true},
                   {"coarse_out", true}, {"fine", true}, {"latency (cycles)", true}, {"DSP", true}, {"BRAM18", true},
                   {"LUT", true}})
    << "<tbody>";
  const std::vector<LayerRow> rows = layer_rows(d);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LayerRow& l = rows[i];
    h << "<tr" << (l.bottleneck ? " class=\"bottleneck\"" : "") << ">" << num_cell(std::int64_t(i))
      << num_cell(std::int64_t(l.partition)) << "<td><code>" << esc(l.name) << "</code></td><td>" << esc(l.kind)
      << "</td>" << num_cell(std::int64_t(l.folding.coarse_in)) << num_cell(std::int64_t(l.folding.coarse_out))
      << num_cell(std::int64_t(l.folding.fine)) << num_cell(l.latency) << num_cell(l.resources.dsp)
      << num_cell(l.resources.bram) << num_cell(l.resources.lut) << "</tr>";
  }
  h << "</tbody></table></div>";
}

void folding_section(std::ostringstream& h, const RunReport& r) {
  const NamedDesign& best = best_design(r);
  h << "<section id=\"folding\"><h2>Folding of the final design</h2><p>" << esc(best.name) << " (<a href=\""
    << esc(best.file) << "\">" << esc(best.file) << "</a>). The highlighted row of each partition is its bottleneck."
    << "</p>";
  folding_table(h, best.design, "folding-table");
  int k = 0;
  auto other = [&](const NamedDesign& d) {
    if (&d == &best) return;
    h << "<details><summary>" << esc(d.name) << " (" << esc(d.file) << ")</summary>";
    folding_table(h, d.design, "folding-table-" + std::to_string(++k));
    h << "</details>";
  };
  other(r.baseline);
  for (const NamedDesign& d : r.finals) other(d);
  if (r.dense) other(*r.dense);
  h << "</section>\n";
}

void hls_section(std::ostringstream& h, const RunReport& r) {
  if (r.hls.empty()) return;
  h << "<section id=\"hls\"><h2>HLS projects</h2><ul>";
  for (const HlsProject& p : r.hls) {
    if (!p.emitted) {
      h << "<li>" << esc(p.design) << ": not emitted — " << esc(p.reason) << "</li>";
      continue;
    }
    h << "<li><code>" << esc(p.dir) << "/</code> (" << esc(p.design) << ")";
    if (!p.files.empty()) {
      h << ":";
      for (const std::string& f : p.files) h << " <a href=\"" << esc(p.dir + "/" + f) << "\">" << esc(f) << "</a>";
    }
    h << "</li>";
  }
  h << "</ul></section>\n";
}

}  // namespace

std::string render_html(const RunReport& r) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << esc(r.title) << " — sparsedse report</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n"
    << "<h1>" << esc(r.title) << "</h1>\n";
  if (!r.description.empty()) h << "<p>" << esc(r.description) << "</p>\n";
  summary_section(h, r);
  comparison_section(h, r);
  plots_section(h, r);
  designs_section(h, r);
  resources_section(h, r);
  bottlenecks_section(h, r);
  sparsity_section(h, r);
  folding_section(h, r);
  hls_section(h, r);
  h << "<p class=\"note\">Generated by sparsedse. The same results as text: <a href=\"report.md\">report.md</a>.</p>\n"
    << "<script>" << kScript << "</script>\n</body>\n</html>\n";
  return h.str();
}

}  // namespace sparsedse::report
