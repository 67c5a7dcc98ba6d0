#include "sparsedse/threshold/outputs.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "sparsedse/common/io.hpp"
#include "sparsedse/common/svg.hpp"

namespace sparsedse::threshold {

using nlohmann::json;

nlohmann::json to_json(const RunInfo& info) {
  return {{"model", info.model},       {"dataset", info.dataset}, {"test_dataset", info.test_dataset},
          {"platform", info.platform}, {"numerics", info.numerics}, {"config", to_json(info.config)}};
}

namespace {

// Shortest round-trip decimal: exact and deterministic, for CSV cells.
std::string exact(double v) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string percent_gain(double gain) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f %%", 100.0 * gain);
  return buf;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

const RunState* find_run(const LoopState& state, Policy policy, bool optimised_hardware) {
  for (const RunState& r : state.runs) {
    if (r.policy != policy) continue;
    if (policy == Policy::uniform) {
      if (optimised_hardware ? r.measure_optimised : r.measure_baseline) return &r;
    } else if (r.guide == (optimised_hardware ? Guide::optimised : Guide::baseline)) {
      return &r;
    }
  }
  return nullptr;
}

json thresholds_json(const ThresholdMap& t) {
  json j = json::object();
  for (const auto& [k, v] : t) j[k] = v;
  return j;
}

json resources_json(const ResourceUse& r) {
  return {{"lut", r.lut}, {"ff", r.ff}, {"dsp", r.dsp}, {"bram", r.bram}, {"uram", r.uram}};
}

json ceiling_json(const LoopState& state) {
  const std::optional<double> gain = ceiling_gain(state);
  if (!gain) return json();
  return {{"throughput", state.baseline_ceiling->throughput},
          {"gain", *gain},
          {"bound_by", state.baseline_ceiling->bound_by}};
}

std::string_view reach_description(Reach reach) {
  switch (reach) {
    case Reach::nearest: return "its nearest ReLUs";
    case Reach::residual: return "its nearest ReLUs and, behind a residual block's output ReLU, the block's branch ReLUs";
    case Reach::residual_when_frozen: return "its nearest ReLUs, or the residual block's branch ReLUs once those are frozen";
  }
  return "?";
}

std::string hardware_label(bool optimised) { return optimised ? "optimised hardware" : "baseline hardware"; }

}  // namespace

std::optional<Outcome> outcome(const LoopState& state, Policy policy, bool optimised_hardware) {
  const RunState* run = find_run(state, policy, optimised_hardware);
  if (!run || !state.started) return std::nullopt;
  Outcome o;
  o.run = run;
  o.record = &final_record(state, *run);
  const std::optional<double>& tp =
      optimised_hardware ? o.record->optimised_throughput : o.record->baseline_throughput;
  if (!tp) return std::nullopt;
  o.throughput = *tp;
  o.gain = state.baseline_throughput > 0 ? o.throughput / state.baseline_throughput - 1.0 : 0.0;
  return o;
}

std::string top1_at_budget(const Outcome& o, double budget) {
  const RunState& run = *o.run;
  std::string text;
  if (run.top1_test) {
    text = fixed(*run.top1_test, 2) + " % test";
    if (run.test_drop) text += " (" + to_string(*run.test_drop) + ")";
    text += ", ";
  }
  text += fixed(o.record->top1, 2) + " % cal.";
  if (run.calibration_drop) text += " (" + to_string(*run.calibration_drop) + ")";
  if (run.test_drop && run.test_drop->points() > budget + 1e-9) text += ", test drop over the budget";
  return text;
}

std::optional<double> ceiling_gain(const LoopState& state) {
  if (!state.baseline_ceiling || !(state.baseline_throughput > 0)) return std::nullopt;
  return state.baseline_ceiling->throughput / state.baseline_throughput - 1.0;
}

json summary_json(const LoopState& state, const RunInfo& info) {
  json results = json::array();
  for (Policy policy : info.config.policies) {
    json entry = {{"policy", to_string(policy)}, {"budget", info.config.budget}, {"numerics", info.numerics}};
    for (bool optimised : {false, true}) {
      auto o = outcome(state, policy, optimised);
      if (!o) continue;
      json hw = {{"gain", o->gain},
                 {"throughput", o->throughput},
                 {"top1_test", o->run->top1_test ? json(*o->run->top1_test) : json()},
                 {"top1_calibration", o->record->top1},
                 {"test_drop", o->run->test_drop ? to_json(*o->run->test_drop) : json()},
                 {"calibration_drop", o->run->calibration_drop ? to_json(*o->run->calibration_drop) : json()},
                 {"run", o->run->name},
                 {"iteration", o->record->iteration},
                 {"iterations", o->run->iteration},
                 {"stop_reason", o->run->stop_reason},
                 {"thresholds", thresholds_json(o->record->thresholds)}};
      if (optimised && o->record->optimised_resources) hw["resources"] = resources_json(*o->record->optimised_resources);
      if (optimised) hw["design"] = "designs/" + design_file(*o->run);
      entry[optimised ? "optimised_hardware" : "baseline_hardware"] = hw;
    }
    results.push_back(entry);
  }
  return {{"model", info.model},
          {"platform", info.platform},
          {"numerics", info.numerics},
          {"budget", info.config.budget},
          {"step", info.config.step},
          {"calibration_images", state.calibration_images},
          {"test_images", state.test_images},
          {"threshold_zero",
           {{"throughput", state.baseline_throughput},
            {"top1_calibration", state.top1_zero},
            {"top1_test", state.top1_test_zero ? json(*state.top1_test_zero) : json()},
            {"resources", resources_json(state.baseline_resources)},
            {"design", "designs/baseline.json"},
            {"ceiling", ceiling_json(state)}}},
          {"results", results}};
}

json iterations_json(const LoopState& state) {
  json rows = json::array();
  for (const IterationRecord& r : state.records) rows.push_back(to_json(r));
  return rows;
}

std::string iterations_csv(const LoopState& state) {
  if (state.records.empty()) return "";
  const IterationRecord& first = state.records.front();
  std::ostringstream out;
  out << "run,policy,iteration,accepted,step,top1_calibration,top5_calibration,baseline_throughput,"
         "optimised_throughput,lut,ff,dsp,bram,uram,raised,bottlenecks";
  for (const auto& [relu, t] : first.thresholds) out << ",t:" << relu;
  for (const auto& [layer, s] : first.mean_sparsity) out << ",s:" << layer;
  out << "\n";
  auto opt = [](const std::optional<double>& v) { return v ? exact(*v) : std::string(); };
  for (const IterationRecord& r : state.records) {
    out << r.run << "," << to_string(r.policy) << "," << r.iteration << "," << (r.accepted ? 1 : 0) << ","
        << exact(r.step) << "," << exact(r.top1) << "," << exact(r.top5) << "," << opt(r.baseline_throughput) << ","
        << opt(r.optimised_throughput);
    if (r.optimised_resources) {
      const ResourceUse& u = *r.optimised_resources;
      out << "," << exact(u.lut) << "," << exact(u.ff) << "," << exact(u.dsp) << "," << exact(u.bram) << ","
          << exact(u.uram);
    } else {
      out << ",,,,,";
    }
    out << "," << join(r.raised, ";") << "," << join(r.bottlenecks, ";");
    for (const auto& [relu, t] : first.thresholds) out << "," << (r.thresholds.count(relu) ? exact(r.thresholds.at(relu)) : "");
    for (const auto& [layer, s] : first.mean_sparsity)
      out << "," << (r.mean_sparsity.count(layer) ? exact(r.mean_sparsity.at(layer)) : "");
    out << "\n";
  }
  return out.str();
}

std::string design_file(const RunState& run) {
  std::string name = run.name;
  for (char& c : name)
    if (c == '/') c = '_';
  return name + ".json";
}

std::string report_markdown(const LoopState& state, const RunInfo& info, const std::vector<std::string>& layers) {
  const ThresholdConfig& c = info.config;
  std::ostringstream md;
  md << "# ReLU thresholding: " << info.model << " on " << info.platform << "\n\n";
  md << "- Accuracy and sparsity measured in "
     << (info.numerics == "float" ? "float32 (not the hardware's number format)"
         : info.numerics == "fixed:16.8" ? "the hardware's number format, 16-bit fixed point"
                                         : "fixed point")
     << " (`" << info.numerics << "`).\n";
  md << "- Budget: top-1 may drop by at most " << fixed(c.budget, 2)
     << " percentage points below thresholds 0, on the calibration subset (" << state.calibration_images << " images of `"
     << info.dataset << "`). The accuracies below are re-measured on " << state.test_images << " held-out images"
     << (info.test_dataset.empty() ? " (the rest of the dataset)" : " of `" + info.test_dataset + "`") << ".\n";
  md << "- Step " << exact(c.step) << "; a raise that breaks the budget";
  if (c.raise_share < 1)
    md << ", or costs more than " << exact(100 * c.raise_share) << " % of it per ReLU raised (against the last kept "
       << "thresholds),";
  md << " is rolled back and halves the step of each "
     << "ReLU it raised, up to " << c.refinements << " times per ReLU, after which that ReLU is frozen; thresholds "
     << (c.accumulate ? "accumulate per ReLU (Q17 corrected)" : "are set to the step (Q17 faithful)") << "; "
     << dse::to_string(c.solver) << " solver"
     << (c.anneal && c.solver != dse::Solver::sa ? " and simulated annealing" : "")
     << (c.anneal ? ", then annealing from the best design (warm-started from the previous design inside the loop) until a "
                    "round gains < 0.2 %; every design gets this effort"
                  : "")
     << "; seed " << c.seed << ".\n";
  if (c.runs(Policy::latency_aware)) {
    md << "- Latency-aware bottleneck: "
       << (c.bottleneck == BottleneckChoice::relievable
               ? "the slowest layer a threshold can still speed up (rule `relievable`)"
           : c.bottleneck == BottleneckChoice::interval
               ? "the slowest layer a threshold can still speed up, on the fixed design only while it holds the "
                 "interval (rule `interval`)"
               : "the slowest layer with sparsity information (rule `slowest`, model.md §8.3)");
    if (c.bottleneck_band > 0) md << ", and every such layer within " << exact(100 * c.bottleneck_band) << " % of it";
    md << "; relieved by " << reach_description(c.bottleneck_reach) << " (reach `" << to_string(c.bottleneck_reach)
       << "`).\n";
  }
  md << "- Threshold-0 design (\"baseline hardware\"): " << fixed(state.baseline_throughput, 1) << " img/s, top-1 "
     << fixed(state.top1_zero, 2) << " % (calibration)";
  if (state.top1_test_zero) md << ", " << fixed(*state.top1_test_zero, 2) << " % (test)";
  md << ".\n\n";

  md << "## Throughput gain over the threshold-0 design at the budget\n\n";
  md << "| policy | baseline hardware | optimised hardware |\n|---|---|---|\n";
  for (Policy p : {Policy::uniform, Policy::latency_aware}) {
    if (!c.runs(p)) continue;
    md << "| " << to_string(p);
    for (bool optimised : {false, true}) {
      auto o = outcome(state, p, optimised);
      if (!o) {
        md << " | not run";
        continue;
      }
      md << " | **" << percent_gain(o->gain) << "** (" << fixed(o->throughput, 1) << " img/s; top-1 "
         << top1_at_budget(*o, c.budget) << ")";
    }
    md << " |\n";
  }
  md << "\nIn brackets: each top-1's change from thresholds 0 on the same images, ± one standard error (paired: only the "
        "images that change class count). The budget holds on the calibration subset; a test drop beyond it, or a "
        "standard error that is a large part of it, asks for more calibration images.\n";
  if (const auto& c = state.baseline_ceiling; c && ceiling_gain(state)) {
    md << "\nBaseline-hardware ceiling: **" << percent_gain(*ceiling_gain(state)) << "** (" << fixed(c->throughput, 1)
       << " img/s), the threshold-0 design with every threshold-sensitive layer's input windows all zero; no thresholds"
          " take it further. Held by ";
    for (std::size_t p = 0; p < c->bound_by.size(); ++p) md << (p ? ", " : "") << "`" << c->bound_by[p] << "`";
    md << " (per partition, its slowest layer at the ceiling, or the memory bandwidth when that sets its rate).\n";
  }
  md << "\nPublished (talk abstract, model.md §8.4): uniform +16 % / +29 %, latency-aware +23 % / +36 % "
        "(baseline / optimised hardware) at < 1 % top-1 loss.\n\n";

  md << "## Runs\n\n| run | iterations | stopped because | result at iteration | top-1 cal. | top-1 test |"
        " baseline hw (img/s) | optimised hw (img/s) |\n|---|---|---|---|---|---|---|---|\n";
  for (const RunState& r : state.runs) {
    const IterationRecord& rec = final_record(state, r);
    md << "| " << r.name << " | " << r.iteration << " | " << r.stop_reason << " | " << rec.iteration << " | "
       << fixed(rec.top1, 2) << " | " << (r.top1_test ? fixed(*r.top1_test, 2) : std::string("")) << " | "
       << (rec.baseline_throughput ? fixed(*rec.baseline_throughput, 1) : std::string("")) << " | "
       << (rec.optimised_throughput ? fixed(*rec.optimised_throughput, 1) : std::string("")) << " |\n";
  }

  md << "\n## Final thresholds\n\n| ReLU |";
  for (const RunState& r : state.runs) md << " " << r.name << " |";
  md << "\n|---|";
  for (std::size_t i = 0; i < state.runs.size(); ++i) md << "---|";
  md << "\n";
  if (!state.runs.empty())
    for (const auto& [relu, t0] : state.runs.front().thresholds) {
      md << "| " << relu << " |";
      for (const RunState& r : state.runs) md << " " << exact(final_record(state, r).thresholds.at(relu)) << " |";
      md << "\n";
    }

  md << "\n## Mean input sparsity per layer (calibration)\n\n| layer | thresholds 0 |";
  for (const RunState& r : state.runs) md << " " << r.name << " |";
  md << "\n|---|---|";
  for (std::size_t i = 0; i < state.runs.size(); ++i) md << "---|";
  md << "\n";
  if (!state.records.empty())
    for (const std::string& layer : layers) {
      auto cell = [&](const IterationRecord& rec) {
        return rec.mean_sparsity.count(layer) ? fixed(rec.mean_sparsity.at(layer), 3) : std::string();
      };
      md << "| " << layer << " | " << cell(state.records.front()) << " |";
      for (const RunState& r : state.runs) md << " " << cell(final_record(state, r)) << " |";
      md << "\n";
    }

  md << "\nThe same as thresholds files (`sparsedse profile --thresholds`): ";
  for (std::size_t i = 0; i < state.runs.size(); ++i)
    md << (i ? ", " : "") << "[thresholds/" << design_file(state.runs[i]) << "](thresholds/"
       << design_file(state.runs[i]) << ")";
  md << ".\n";

  md << "\n## Designs\n\n";
  const ResourceUse& b = state.baseline_resources;
  md << "- Threshold-0 design: [designs/baseline.json](designs/baseline.json) — LUT " << fixed(b.lut, 0) << ", FF "
     << fixed(b.ff, 0) << ", DSP " << fixed(b.dsp, 0) << ", BRAM18 " << fixed(b.bram, 0) << ", URAM "
     << fixed(b.uram, 0) << ". The baseline-hardware figures re-evaluate it with each iteration's statistics.\n";
  for (const RunState& r : state.runs) {
    if (!r.measure_optimised) continue;
    const IterationRecord& rec = final_record(state, r);
    md << "- " << r.name << " final re-optimised design: [designs/" << design_file(r) << "](designs/"
       << design_file(r) << ")";
    if (rec.optimised_resources) {
      const ResourceUse& u = *rec.optimised_resources;
      md << " — LUT " << fixed(u.lut, 0) << ", FF " << fixed(u.ff, 0) << ", DSP " << fixed(u.dsp, 0) << ", BRAM18 "
         << fixed(u.bram, 0) << ", URAM " << fixed(u.uram, 0);
    }
    md << ".\n";
  }
  md << "\n![throughput vs accuracy](throughput_vs_accuracy.svg)\n\n![sparsity per layer](sparsity_per_layer.svg)\n";
  md << "\nEvery iteration: [iterations.csv](iterations.csv), [iterations.json](iterations.json).\n";
  return md.str();
}

std::string throughput_vs_accuracy_svg(const LoopState& state) {
  LinePlot plot{"Throughput vs top-1 (accepted iterations)", "top-1 on the calibration subset (%)",
                "throughput (img/s)", {}};
  for (const RunState& r : state.runs) {
    for (bool optimised : {false, true}) {
      if (optimised ? !r.measure_optimised : !r.measure_baseline) continue;
      if (r.policy == Policy::latency_aware && optimised != (r.guide == Guide::optimised)) continue;
      Series s{std::string(to_string(r.policy)) + ", " + hardware_label(optimised), {}, {}, optimised};
      for (const IterationRecord& rec : state.records) {
        if (rec.run != r.name || !rec.accepted) continue;
        const auto& tp = optimised ? rec.optimised_throughput : rec.baseline_throughput;
        if (!tp) continue;
        s.x.push_back(rec.top1);
        s.y.push_back(*tp);
      }
      plot.series.push_back(std::move(s));
    }
  }
  // The ceiling as a dashed level across the plotted accuracies: how far the baseline hardware could go.
  if (state.baseline_ceiling) {
    double lo = state.top1_zero, hi = state.top1_zero;
    for (const Series& s : plot.series)
      for (double x : s.x) lo = std::min(lo, x), hi = std::max(hi, x);
    plot.series.push_back({"baseline hardware, ceiling", {lo, hi},
                           {state.baseline_ceiling->throughput, state.baseline_ceiling->throughput}, true});
  }
  return render_svg(plot);
}

std::string sparsity_per_layer_svg(const LoopState& state, const std::vector<std::string>& layers) {
  BarChart chart{"Mean input sparsity per layer", "zero fraction of the input windows", layers, {}};
  if (state.records.empty()) return render_svg(chart);
  auto series = [&](const std::string& label, const IterationRecord& rec) {
    Series s{label, {}, {}, false};
    for (const std::string& layer : layers)
      s.y.push_back(rec.mean_sparsity.count(layer) ? rec.mean_sparsity.at(layer) : std::nan(""));
    return s;
  };
  chart.series.push_back(series("thresholds 0", state.records.front()));
  for (const RunState& r : state.runs) chart.series.push_back(series(r.name, final_record(state, r)));
  return render_svg(chart);
}

void write_outputs(const std::filesystem::path& outdir, const LoopState& state, const RunInfo& info,
                   const std::vector<std::string>& layers) {
  ensure_directory(outdir / "designs");
  ensure_directory(outdir / "thresholds");
  write_file_atomic(outdir / "iterations.csv", iterations_csv(state));
  write_json_atomic(outdir / "iterations.json", iterations_json(state));
  write_json_atomic(outdir / "summary.json", summary_json(state, info));
  write_json_atomic(outdir / "designs" / "baseline.json", state.baseline_design);
  for (const RunState& r : state.runs)
    if (r.measure_optimised && !r.design.is_null()) write_json_atomic(outdir / "designs" / design_file(r), r.design);
  // Each run's final thresholds in the thresholds-file format of `sparsedse profile --thresholds`.
  for (const RunState& r : state.runs)
    write_json_atomic(outdir / "thresholds" / design_file(r),
                      {{"default", 0.0}, {"relu", thresholds_json(final_record(state, r).thresholds)}});
  write_file_atomic(outdir / "throughput_vs_accuracy.svg", throughput_vs_accuracy_svg(state));
  write_file_atomic(outdir / "sparsity_per_layer.svg", sparsity_per_layer_svg(state, layers));
  write_file_atomic(outdir / "report.md", report_markdown(state, info, layers));
}

std::string progress_line(const LoopState& state, const IterationRecord& r) {
  std::ostringstream out;
  out << "threshold: " << r.run << " #" << r.iteration;
  if (r.iteration > 0) out << " step " << exact(r.step) << " raised " << r.raised.size();
  out << " top-1 " << fixed(r.top1, 2) << "% (" << (r.top1 >= state.top1_zero ? "+" : "")
      << fixed(r.top1 - state.top1_zero, 2) << ")";
  auto gain = [&](double tp) { return percent_gain(state.baseline_throughput > 0 ? tp / state.baseline_throughput - 1 : 0); };
  if (r.baseline_throughput) out << " baseline-hw " << fixed(*r.baseline_throughput, 1) << " img/s (" << gain(*r.baseline_throughput) << ")";
  if (r.optimised_throughput)
    out << " optimised-hw " << fixed(*r.optimised_throughput, 1) << " img/s (" << gain(*r.optimised_throughput) << ")";
  out << (r.accepted ? "" : " over budget: rolled back");
  return out.str();
}

}  // namespace sparsedse::threshold
