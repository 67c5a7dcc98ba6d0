// Shared pieces of the reports: number formatting, the best design, design figures and sweep rows.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report_internal.hpp"
#include "sparsedse/common/svg.hpp"

namespace sparsedse::report {

using nlohmann::json;

std::string html_escape(const std::string& text) { return xml_escape(text); }

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string grouped(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ' ';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string percent(double fraction, int decimals) { return fixed(100.0 * fraction, decimals) + " %"; }

std::string signed_percent(double fraction) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f %%", 100.0 * fraction);
  return buf;
}

DesignFigures figures(const dse::Design& d) {
  DesignFigures f;
  f.throughput = d.metrics.throughput;
  f.latency_s = d.metrics.latency_s;
  f.partitions = int(d.partitions.size());
  f.feasible = d.feasible();
  for (const hw::PartitionMetrics& m : d.partition_metrics) {
    // Partitions run one after another on the same device: the design needs the largest of each.
    f.peak.lut = std::max(f.peak.lut, m.resources.lut);
    f.peak.ff = std::max(f.peak.ff, m.resources.ff);
    f.peak.dsp = std::max(f.peak.dsp, m.resources.dsp);
    f.peak.bram = std::max(f.peak.bram, m.resources.bram);
    f.peak.uram = std::max(f.peak.uram, m.resources.uram);
  }
  return f;
}

int best_final(const RunReport& r) {
  int best = -1;
  double best_tp = -1.0;
  for (std::size_t i = 0; i < r.finals.size(); ++i) {
    const double tp = r.finals[i].design.metrics.throughput;
    if (tp > best_tp) {
      best_tp = tp;
      best = int(i);
    }
  }
  return best;
}

const NamedDesign& best_design(const RunReport& r) {
  const int i = best_final(r);
  return i < 0 ? r.baseline : r.finals[std::size_t(i)];
}

std::vector<LayerRow> layer_rows(const dse::Design& d) {
  std::vector<LayerRow> rows;
  for (std::size_t p = 0; p < d.partitions.size(); ++p)
    for (int v : d.partitions[p].nodes) {
      const hw::HwLayer& l = d.network.layers.at(std::size_t(v));
      const hw::LayerMetrics& m = d.layer_metrics.at(std::size_t(v));
      LayerRow row;
      row.partition = int(p);
      row.name = d.network.names.at(std::size_t(v));
      row.kind = hw::to_string(l.kind);
      row.sparse = hw::is_sparse(l.kind);
      row.folding = l.folding;
      row.latency = m.latency;
      row.resources = m.resources;
      row.bottleneck = d.partition_metrics.at(p).bottleneck == v;
      rows.push_back(std::move(row));
    }
  return rows;
}

json sweep_row(const RunReport& r, const std::string& entry_id) {
  json row = {{"id", entry_id},
              {"model", r.info.model},
              {"platform", r.info.platform},
              {"numerics", r.info.numerics},
              {"budget", r.info.config.budget},
              {"top1_zero", r.state.top1_test_zero ? json(*r.state.top1_test_zero) : json()},
              {"baseline_throughput", r.state.baseline_throughput}};
  if (r.dense) row["dense_throughput"] = r.dense->design.metrics.throughput;
  json results = json::object();
  for (threshold::Policy p : {threshold::Policy::uniform, threshold::Policy::latency_aware})
    for (bool optimised : {false, true}) {
      auto o = threshold::outcome(r.state, p, optimised);
      if (!o) continue;
      results[std::string(to_string(p)) + (optimised ? "/optimised" : "/baseline")] = {
          {"gain", o->gain},
          {"throughput", o->throughput},
          {"top1_test", o->run->top1_test ? json(*o->run->top1_test) : json()}};
    }
  row["results"] = results;
  return row;
}

std::string sweep_markdown(const std::string& title, const std::vector<json>& rows) {
  std::string md = "# Sweep: " + title + "\n\n";
  md += "Throughput gain over each entry's threshold-0 design at its accuracy budget "
        "(uniform / latency-aware policy × baseline / optimised hardware); test top-1 in brackets.\n\n";
  md += "| entry | model | platform | dense (img/s) | thresholds 0 (img/s) | top-1 at 0 | uniform, baseline hw |"
        " uniform, optimised hw | latency-aware, baseline hw | latency-aware, optimised hw |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& row : rows) {
    auto number = [&](const char* key, int decimals) {
      return row.contains(key) && row[key].is_number() ? fixed(row[key].get<double>(), decimals) : std::string("–");
    };
    md += "| [" + row.value("id", "") + "](" + row.value("id", "") + "/report.md) | `" + row.value("model", "") + "` | " +
          row.value("platform", "") + " | " + number("dense_throughput", 1) + " | " + number("baseline_throughput", 1) +
          " | " + (row["top1_zero"].is_number() ? fixed(row["top1_zero"].get<double>(), 2) + " %" : "–");
    for (const char* key : {"uniform/baseline", "uniform/optimised", "latency-aware/baseline", "latency-aware/optimised"}) {
      const json& results = row["results"];
      if (!results.contains(key)) {
        md += " | not run";
        continue;
      }
      const json& o = results[key];
      md += " | **" + signed_percent(o["gain"].get<double>()) + "** (" + fixed(o["throughput"].get<double>(), 1) +
            " img/s" + (o["top1_test"].is_number() ? ", " + fixed(o["top1_test"].get<double>(), 2) + " %" : "") + ")";
    }
    md += " |\n";
  }
  // The best entry per column, so a sweep answers "which platform / policy wins" at a glance.
  md += "\n";
  for (const char* key : {"uniform/baseline", "uniform/optimised", "latency-aware/baseline", "latency-aware/optimised"}) {
    const json* best = nullptr;
    for (const json& row : rows)
      if (row["results"].contains(key) &&
          (!best || row["results"][key]["throughput"].get<double>() > (*best)["results"][key]["throughput"].get<double>()))
        best = &row;
    if (best)
      md += "- Highest throughput, " + std::string(key) + " hardware: **" + (*best)["id"].get<std::string>() + "** (" +
            fixed((*best)["results"][key]["throughput"].get<double>(), 1) + " img/s).\n";
  }
  return md;
}

}  // namespace sparsedse::report
