// report.md, report.html and sweep.md of a thresholding run on the analytic test world
// (test/threshold/world.hpp: known sparsity and accuracy) with the real DSE, and the page in a browser.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "report/browser.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/report/report.hpp"
#include "sparsedse/threshold/backends.hpp"
#include "threshold/world.hpp"

using namespace sparsedse;
using namespace sparsedse::threshold;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

std::vector<std::string> weighted_layers(const ir::Graph& g) {
  std::vector<std::string> out;
  for (ir::Vertex v : g.topological_order())
    if (g.layer(v).is_weighted()) out.push_back(g.layer(v).name);
  return out;
}

report::RunReport world_report() {
  const ir::Graph g = test_world::network();
  test_world::WorldMeasurer measurer(g);
  ThresholdConfig c;
  c.step = 0.05;
  c.refinements = 0;
  c.max_iterations = 3;
  DseSettings settings{hw::find_platform("u250"), {}, {}, dse::Solver::greedy};
  DseHardware hardware(settings);
  ThresholdLoop loop(g, c, measurer, hardware);
  report::RunReport r;
  r.state = loop.initial_state(json::object());
  loop.run(r.state);
  r.title = "world <test>";
  r.description = "Analytic world & real DSE.";
  r.info = {"world.onnx", "cal.json", "", "u250", "fixed:16.8", c};
  r.layers = weighted_layers(g);
  ThresholdMap zeros;
  for (const auto& relu : relu_names(g)) zeros[relu] = 0.0;
  sparsity::Stats profile;
  profile.model = "world.onnx";
  profile.numerics = "fixed:16.8";
  profile.result = measurer.calibrate(zeros);
  r.profile = profile;

  ir::Graph dense = g;
  for (ir::Vertex v : dense.topological_order()) dense.layer(v).sparsity.reset();
  dse::OptimiseOptions run;
  run.solver = dse::Solver::greedy;
  r.dense = report::NamedDesign{"dense", "designs/dense.json",
                                dse::optimise(dense, settings.platform, {}, {}, run).design};
  r.baseline = {"baseline", "designs/baseline.json", dse::design_from_json(r.state.baseline_design, "baseline")};
  for (const RunState& s : r.state.runs)
    if (s.measure_optimised)
      r.finals.push_back({s.name, "designs/" + design_file(s), dse::design_from_json(s.design, s.name)});
  return r;
}

const report::RunReport& shared_report() {
  static const report::RunReport r = world_report();
  return r;
}

// The data-value of the last numeric cell of every body row of the table with `id`, in DOM order.
std::vector<double> last_column(const std::string& html, const std::string& id) {
  std::vector<double> out;
  const std::size_t start = html.find("id=\"" + id + "\"");
  if (start == std::string::npos) return out;
  const std::size_t body = html.find("<tbody>", start), end = html.find("</tbody>", start);
  const std::regex value("data-value=\"([^\"]*)\"");
  for (std::size_t row = html.find("<tr", body); row != std::string::npos && row < end; row = html.find("<tr", row + 3)) {
    const std::string text = html.substr(row, html.find("</tr>", row) - row);
    std::string last;
    for (std::sregex_iterator it(text.begin(), text.end(), value), e; it != e; ++it) last = (*it)[1];
    out.push_back(last.empty() ? -1e300 : std::stod(last));
  }
  return out;
}

const char* kIds[] = {"summary",    "comparison",  "plot-throughput-accuracy", "plot-sparsity", "designs",
                      "resources",  "bottlenecks", "sparsity-table",           "folding-table"};

}  // namespace

TEST_CASE("report.md: inputs, designs, the 2x2 table and the final design's bottlenecks", "[report]") {
  const report::RunReport& r = shared_report();
  REQUIRE(r.state.done());
  REQUIRE(r.finals.size() == 2);  // uniform and latency-aware/optimised-hw re-optimise
  const std::string md = report::render_markdown(r);
  CHECK(md.rfind("# world <test>\n\nAnalytic world & real DSE.\n", 0) == 0);
  CHECK(md.find("| model | `world.onnx`") != std::string::npos);
  CHECK(md.find("| dense reference (statistics ignored) | [designs/dense.json](designs/dense.json) | " +
                report::fixed(r.dense->design.metrics.throughput, 1) + " |") != std::string::npos);
  // The 2x2 table of the thresholding report, nested under ours.
  CHECK(md.find("## ReLU thresholding") != std::string::npos);
  CHECK(md.find("### Throughput gain over the threshold-0 design at the budget") != std::string::npos);
  for (Policy p : {Policy::uniform, Policy::latency_aware})
    for (bool optimised : {false, true}) {
      auto o = outcome(r.state, p, optimised);
      REQUIRE(o);
      char gain[32];
      std::snprintf(gain, sizeof gain, "**%+.1f %%**", 100.0 * o->gain);
      CHECK(md.find(gain) != std::string::npos);
    }
  REQUIRE(ceiling_gain(r.state));
  char ceiling[48];
  std::snprintf(ceiling, sizeof ceiling, "Baseline-hardware ceiling: **%+.1f %%**", 100.0 * *ceiling_gain(r.state));
  CHECK(md.find(ceiling) != std::string::npos);
  // The best design is the final design with the highest throughput.
  int best = 0;
  for (int i = 1; i < int(r.finals.size()); ++i)
    if (r.finals[i].design.metrics.throughput > r.finals[best].design.metrics.throughput) best = i;
  CHECK(report::best_final(r) == best);
  CHECK(md.find("## Final design: " + r.finals[best].name) != std::string::npos);
  const dse::Design& d = r.finals[best].design;
  for (std::size_t p = 0; p < d.partitions.size(); ++p) {
    const int b = d.partition_metrics[p].bottleneck;
    if (b >= 0) CHECK(md.find("| " + std::to_string(p) + " | " + std::to_string(d.partitions[p].nodes.size()) + " | `" +
                              d.network.names[b] + "` |") != std::string::npos);
  }
}

TEST_CASE("report.html is self-contained and has every section, bar and table row", "[report]") {
  const report::RunReport& r = shared_report();
  const std::string html = report::render_html(r);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : kIds) CHECK(html.find(std::string("id=\"") + id + "\"") != std::string::npos);
  // Nothing from outside: no linked files, remote sources, imports or URLs.
  CHECK(count(html, "<script") == 1);
  CHECK(count(html, "src=") == 0);
  CHECK(count(html, "<link") == 0);
  CHECK(count(html, "@import") == 0);
  CHECK(count(html, "url(") == 0);
  CHECK(count(html, "https://") == 0);
  CHECK(html.find("world &lt;test&gt;") != std::string::npos);
  CHECK(html.find("world <test>") == std::string::npos);
  CHECK(count(html, "<svg") == 2);
  char ceiling[48];
  std::snprintf(ceiling, sizeof ceiling, "Baseline-hardware ceiling: %+.1f %%", 100.0 * *ceiling_gain(r.state));
  CHECK(html.find(ceiling) != std::string::npos);
  // One bar per resource per partition of the designs shown (the best design, and the baseline if different).
  const dse::Design& best = r.finals[std::size_t(report::best_final(r))].design;
  CHECK(count(html, "class=\"bar-row\"") == 5 * (best.partitions.size() + r.baseline.design.partitions.size()));
  // The folding table lists every layer of the best design; its bottlenecks are highlighted.
  std::size_t layers = 0;
  for (const auto& p : best.partitions) layers += p.nodes.size();
  CHECK(last_column(html, "folding-table").size() == layers);
  CHECK(last_column(html, "sparsity-table").size() == r.layers.size());
  CHECK(count(html, "<tr class=\"bottleneck\">") >= best.partitions.size());
  // The same input renders the same bytes.
  CHECK(report::render_html(r) == html);
}

TEST_CASE("sweep.md: one row per entry, runs not made marked, the best entry per column", "[report]") {
  json a = {{"id", "m_u250"}, {"model", "m.onnx"}, {"platform", "u250"}, {"dense_throughput", 1000.0},
            {"baseline_throughput", 1500.0}, {"top1_zero", 91.5},
            {"results", {{"uniform/baseline", {{"gain", 0.1}, {"throughput", 1650.0}, {"top1_test", 90.75}}},
                         {"uniform/optimised", {{"gain", 0.2}, {"throughput", 1800.0}, {"top1_test", 90.6}}}}}};
  json b = a;
  b["id"] = "m_u280";
  b["platform"] = "u280";
  b["results"]["uniform/optimised"]["throughput"] = 1700.0;
  b["results"]["uniform/optimised"]["gain"] = 0.05;
  b["results"]["uniform/baseline"]["throughput"] = 1900.0;
  b["baseline_ceiling_gain"] = 0.25;
  const std::string md = report::sweep_markdown("two platforms", {a, b});
  CHECK(md.rfind("# Sweep: two platforms\n", 0) == 0);
  CHECK(md.find("| [m_u250](m_u250/report.md) | `m.onnx` | u250 | 1000.0 | 1500.0 | 91.50 % | – | **+10.0 %** (1650.0 img/s, "
                "90.75 %) | **+20.0 %** (1800.0 img/s, 90.60 %) | not run | not run |") != std::string::npos);
  CHECK(md.find("| u280 | 1000.0 | 1500.0 | 91.50 % | +25.0 % | **+10.0 %** (1900.0 img/s") != std::string::npos);
  CHECK(md.find("m_u280") > md.find("m_u250"));
  CHECK(md.find("- Highest throughput, uniform/optimised hardware: **m_u250** (1800.0 img/s).") != std::string::npos);
  CHECK(md.find("- Highest throughput, uniform/baseline hardware: **m_u280** (1900.0 img/s).") != std::string::npos);
  CHECK(md.find("latency-aware/baseline hardware") == std::string::npos);
}

TEST_CASE("sweep.md: entries of a seed axis get a mean row", "[report]") {
  auto row = [](const std::string& id, double ceiling, double gain, double tp, double top1) {
    return json{{"id", id}, {"model", "m.onnx"}, {"platform", "u250"}, {"baseline_throughput", 1000.0},
                {"top1_zero", 92.0}, {"baseline_ceiling_gain", ceiling},
                {"results", {{"uniform/baseline", {{"gain", gain}, {"throughput", tp}, {"top1_test", top1}}}}}};
  };
  // Two seeds of one entry, and an entry outside the axis (a name that only looks alike is not grouped).
  const std::vector<json> rows = {row("m_u250_seed0", 0.2, 0.10, 1100.0, 91.0), row("m_u250_seed1", 0.3, 0.16, 1160.0, 91.5),
                                  row("m_u250_seedling", 0.1, 0.5, 1500.0, 90.0)};
  const std::string md = report::sweep_markdown("seeds", rows);
  CHECK(md.find("| **m_u250, mean of 2 seeds** | `m.onnx` | u250 | – | 1000.0 | 92.00 % | +25.0 % | **+13.0 %** "
                "(1130.0 img/s, 91.25 %) | not run | not run | not run |") != std::string::npos);
  CHECK(md.find("m_u250_seedling, mean") == std::string::npos);
  CHECK(md.find("mean of 3") == std::string::npos);
}

TEST_CASE("report.html in headless Chromium: no console errors, every element, tables sort", "[report][browser]") {
  INFO("headless Chromium is required (Debian package 'chromium'; tools/install-deps.sh installs it)");
  REQUIRE(test_browser::chromium_installed());
  const report::RunReport& r = shared_report();
  const fs::path build = fs::path(SPARSEDSE_CLI_PATH).parent_path();
  const fs::path page = build / "report-world.html";
  write_file_atomic(page, report::render_html(r));
  const test_browser::PageResult result = test_browser::open_page(page, "#selftest", build / "report-world.png");
  CHECK(result.exit_code == 0);
  INFO("console: " << (result.console.empty() ? std::string() : result.console.front()));
  CHECK(result.console.empty());
  for (const char* id : kIds) CHECK(result.dom.find(std::string("id=\"") + id + "\"") != std::string::npos);
  // The page's own check, and ours on the DOM it left: every sortable table ascending by its last column.
  CHECK(result.dom.find("data-selftest=\"pass\"") != std::string::npos);
  for (const char* id : {"folding-table", "sparsity-table"}) {
    CAPTURE(id);
    const std::vector<double> column = last_column(result.dom, id);
    REQUIRE(column.size() >= 2);
    CHECK(std::is_sorted(column.begin(), column.end()));
  }
  CHECK(result.screenshot);
}
