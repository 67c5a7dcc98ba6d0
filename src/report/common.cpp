// Shared pieces of the reports: number formatting, the best design, design figures and sweep rows.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

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
              {"seed", r.info.config.seed},
              {"top1_zero", r.state.top1_test_zero ? json(*r.state.top1_test_zero) : json()},
              {"baseline_throughput", r.state.baseline_throughput}};
  if (r.dense) row["dense_throughput"] = r.dense->design.metrics.throughput;
  if (auto ceiling = threshold::ceiling_gain(r.state)) row["baseline_ceiling_gain"] = *ceiling;
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

namespace {

constexpr const char* kSweepColumns[] = {"uniform/baseline", "uniform/optimised", "latency-aware/baseline",
                                         "latency-aware/optimised"};

// One table line of sweep.md; `entry` is the first cell (a link to the entry's report, or a label).
std::string sweep_line(const std::string& entry, const json& row) {
  auto number = [&](const char* key, int decimals) {
    return row.contains(key) && row[key].is_number() ? fixed(row[key].get<double>(), decimals) : std::string("–");
  };
  const std::string top1 = number("top1_zero", 2);
  std::string md = "| " + entry + " | `" + row.value("model", "") + "` | " + row.value("platform", "") + " | " +
                   number("dense_throughput", 1) + " | " + number("baseline_throughput", 1) + " | " +
                   (top1 == "–" ? top1 : top1 + " %") + " | " +
                   (row.contains("baseline_ceiling_gain") ? signed_percent(row["baseline_ceiling_gain"].get<double>()) : "–");
  for (const char* key : kSweepColumns) {
    const json& results = row["results"];
    if (!results.contains(key)) {
      md += " | not run";
      continue;
    }
    const json& o = results[key];
    md += " | **" + signed_percent(o["gain"].get<double>()) + "** (" + fixed(o["throughput"].get<double>(), 1) +
          " img/s" + (o["top1_test"].is_number() ? ", " + fixed(o["top1_test"].get<double>(), 2) + " %" : "") + ")";
  }
  return md + " |\n";
}

// The entry id without the seed axis's "_seed<N>" suffix; empty if it has none.
std::string seed_group(const std::string& id) {
  const std::size_t at = id.rfind("_seed");
  if (at == std::string::npos || at + 5 == id.size()) return "";
  for (std::size_t k = at + 5; k < id.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(id[k]))) return "";
  return id.substr(0, at);
}

// The mean of the rows of one seed group, as a row: every number that all of them have, averaged.
json mean_row(const std::vector<const json*>& group) {
  json mean = {{"model", group.front()->value("model", "")}, {"platform", group.front()->value("platform", "")},
               {"results", json::object()}};
  auto average = [&](auto&& get) -> std::optional<double> {
    double sum = 0;
    for (const json* r : group) {
      const json* v = get(*r);
      if (!v || !v->is_number()) return std::nullopt;
      sum += v->template get<double>();
    }
    return sum / double(group.size());
  };
  auto field = [](const char* key) {
    return [key](const json& r) -> const json* { return r.contains(key) ? &r[key] : nullptr; };
  };
  for (const char* key : {"dense_throughput", "baseline_throughput", "top1_zero", "baseline_ceiling_gain"})
    if (auto v = average(field(key))) mean[key] = *v;
  for (const char* column : kSweepColumns) {
    auto result = [column](const char* key) {
      return [column, key](const json& r) -> const json* {
        const json& res = r["results"];
        return res.contains(column) && res[column].contains(key) ? &res[column][key] : nullptr;
      };
    };
    auto gain = average(result("gain")), tp = average(result("throughput"));
    if (!gain || !tp) continue;
    auto top1 = average(result("top1_test"));
    mean["results"][column] = {{"gain", *gain}, {"throughput", *tp}, {"top1_test", top1 ? json(*top1) : json()}};
  }
  return mean;
}

}  // namespace

std::string sweep_markdown(const std::string& title, const std::vector<json>& rows) {
  std::string md = "# Sweep: " + title + "\n\n";
  md += "Throughput gain over each entry's threshold-0 design at its accuracy budget "
        "(uniform / latency-aware policy × baseline / optimised hardware); test top-1 in brackets.\n\n";
  md += "| entry | model | platform | dense (img/s) | thresholds 0 (img/s) | top-1 at 0 | baseline hw ceiling |"
        " uniform, baseline hw | uniform, optimised hw | latency-aware, baseline hw | latency-aware, optimised hw |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, std::vector<const json*>> groups;  // the seed axis: entries that differ only in seed
  for (const json& row : rows) {
    const std::string id = row.value("id", "");
    md += sweep_line("[" + id + "](" + id + "/report.md)", row);
    if (const std::string g = seed_group(id); !g.empty()) groups[g].push_back(&row);
  }
  for (const auto& [group, members] : groups)
    if (members.size() > 1)
      md += sweep_line("**" + group + ", mean of " + std::to_string(members.size()) + " seeds**", mean_row(members));
  // The best entry per column, so a sweep answers "which platform / policy wins" at a glance.
  md += "\n";
  for (const char* key : kSweepColumns) {
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
