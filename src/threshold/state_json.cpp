// JSON form of the loop state (the checkpoint) and of its records (iterations.json). Every double is
// written by nlohmann's shortest round-trip formatting, so a state read back is bit-identical.
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/json_fields.hpp"
#include "sparsedse/threshold/loop.hpp"

namespace sparsedse::threshold {

using nlohmann::json;

namespace {

constexpr int kStateVersion = 3;  // 2: per-ReLU steps and refinements; 3: seeds shared by the runs

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(); }

json resources_json(const ResourceUse& r) {
  return {{"lut", r.lut}, {"ff", r.ff}, {"dsp", r.dsp}, {"bram", r.bram}, {"uram", r.uram}};
}

ResourceUse resources_from(const JsonFields& f) {
  f.allow_only({"lut", "ff", "dsp", "bram", "uram"});
  return {f.number("lut"), f.number("ff"), f.number("dsp"), f.number("bram"), f.number("uram")};
}

// A PairedDrop (absent or null: none); points and standard_error are derived, so only checked to be numbers.
std::optional<PairedDrop> optional_drop(const JsonFields& f, const std::string& key) {
  if (!f.has(key) || f.raw(key).is_null()) return std::nullopt;
  JsonFields d = f.object(key);
  d.allow_only({"points", "standard_error", "images", "worse", "better"});
  d.number("points");
  d.number("standard_error");
  auto count = [&](const std::string& name) {
    const long long n = d.integer(name);
    if (n < 0) d.fail(name, "a count >= 0");
    return std::int64_t(n);
  };
  PairedDrop drop{count("images"), count("worse"), count("better")};
  if (drop.worse + drop.better > drop.images) d.fail("images", "at least worse + better images");
  return drop;
}

std::optional<double> optional_number(const JsonFields& f, const std::string& key) {
  if (!f.has(key)) return std::nullopt;
  return f.number(key);
}

std::vector<std::string> strings(const JsonFields& f, const std::string& key) {
  const json& v = f.raw(key);
  if (!v.is_array()) f.fail(key, "an array of strings");
  std::vector<std::string> out;
  for (const json& s : v) {
    if (!s.is_string()) f.fail(key, "an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

ThresholdMap thresholds_from(const JsonFields& f) {
  ThresholdMap t;
  for (const auto& [name, value] : f.json().items()) {
    double v = f.number(name);
    if (v < 0) f.fail(name, "a threshold >= 0");
    t[name] = v;
  }
  return t;
}

Policy policy_from(const JsonFields& f, const std::string& key) {
  auto p = policy_from_string(f.choice(key, {"uniform", "latency-aware"}, "uniform"));
  return *p;
}

json layers_json(const PartitionLatencies& parts) {
  json out = json::array();
  for (const PartitionLatency& part : parts) {
    json layers = json::array();
    for (const LayerLatency& l : part.layers)
      layers.push_back({{"layer", l.layer}, {"latency", l.latency}, {"sparse", l.sparse}, {"floor", l.floor},
                        {"weight_bits", l.weight_bits}});
    out.push_back({{"layers", std::move(layers)}, {"memory_bound", part.memory_bound}});
  }
  return out;
}

PartitionLatencies layers_from(const json& j, const std::string& where) {
  if (!j.is_array()) throw InputError(where, "expected an array of partitions");
  PartitionLatencies parts;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string at = json_path("", i);
    PartitionLatency part;
    std::string layers_at = at;
    const json* layers = &j[i];  // checkpoints before the memory-bound flag: a bare array of layers
    if (j[i].is_object()) {
      layers_at = json_path(at, "layers");
      JsonFields pf(j[i], where, at);
      pf.allow_only({"layers", "memory_bound"});
      part.memory_bound = pf.boolean("memory_bound", false);
      layers = &pf.raw("layers");
    }
    if (!layers->is_array()) throw InputError(where + layers_at, "expected an array of layers");
    for (std::size_t k = 0; k < layers->size(); ++k) {
      JsonFields f((*layers)[k], where, json_path(layers_at, k));
      f.allow_only({"layer", "latency", "sparse", "floor", "weight_bits"});
      part.layers.push_back({f.string("layer"), f.number("latency"), f.boolean("sparse", false),
                             f.number("floor", 0.0), f.number("weight_bits", 0.0)});
    }
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace

json to_json(const IterationRecord& r) {
  json thresholds = json::object(), sparsity = json::object();
  for (const auto& [k, v] : r.thresholds) thresholds[k] = v;
  for (const auto& [k, v] : r.mean_sparsity) sparsity[k] = v;
  return {{"run", r.run},
          {"policy", to_string(r.policy)},
          {"iteration", r.iteration},
          {"accepted", r.accepted},
          {"step", r.step},
          {"bottlenecks", r.bottlenecks},
          {"raised", r.raised},
          {"thresholds", thresholds},
          {"top1_calibration", r.top1},
          {"top5_calibration", r.top5},
          {"mean_sparsity", sparsity},
          {"baseline_throughput", optional_number(r.baseline_throughput)},
          {"optimised_throughput", optional_number(r.optimised_throughput)},
          {"optimised_resources", r.optimised_resources ? resources_json(*r.optimised_resources) : json()}};
}

IterationRecord iteration_record_from_json(const json& j, const std::string& where, const std::string& path) {
  JsonFields f(j, where, path);
  f.allow_only({"run", "policy", "iteration", "accepted", "step", "bottlenecks", "raised", "thresholds",
                "top1_calibration", "top5_calibration", "mean_sparsity", "baseline_throughput",
                "optimised_throughput", "optimised_resources"});
  IterationRecord r;
  r.run = f.string("run");
  r.policy = policy_from(f, "policy");
  r.iteration = int(f.integer_at_least("iteration", 0, 0));
  r.accepted = f.boolean("accepted", true);
  r.step = f.number("step");
  r.bottlenecks = strings(f, "bottlenecks");
  r.raised = strings(f, "raised");
  r.thresholds = thresholds_from(f.object("thresholds"));
  r.top1 = f.number("top1_calibration");
  r.top5 = f.number("top5_calibration");
  JsonFields s = f.object("mean_sparsity");
  for (const auto& [k, v] : s.json().items()) r.mean_sparsity[k] = s.number(k);
  r.baseline_throughput = optional_number(f, "baseline_throughput");
  r.optimised_throughput = optional_number(f, "optimised_throughput");
  if (f.has("optimised_resources")) r.optimised_resources = resources_from(f.object("optimised_resources"));
  return r;
}

json to_json(const LoopState& s) {
  json runs = json::array(), records = json::array();
  for (const RunState& r : s.runs) {
    json thresholds = json::object();
    for (const auto& [k, v] : r.thresholds) thresholds[k] = v;
    runs.push_back({{"name", r.name},
                    {"policy", to_string(r.policy)},
                    {"guide", to_string(r.guide)},
                    {"measure_baseline", r.measure_baseline},
                    {"measure_optimised", r.measure_optimised},
                    {"thresholds", thresholds},
                    {"accepted_iteration", r.accepted_iteration},
                    {"steps", r.steps},
                    {"refinements_left", r.refinements_left},
                    {"iteration", r.iteration},
                    {"done", r.done},
                    {"stop_reason", r.stop_reason},
                    {"design", r.design},
                    {"guide_layers", layers_json(r.guide_layers)},
                    {"top1_test", optional_number(r.top1_test)},
                    {"calibration_drop", r.calibration_drop ? to_json(*r.calibration_drop) : json()},
                    {"test_drop", r.test_drop ? to_json(*r.test_drop) : json()}});
  }
  for (const IterationRecord& r : s.records) records.push_back(to_json(r));
  return {{"version", kStateVersion},
          {"fingerprint", s.fingerprint},
          {"started", s.started},
          {"top1_zero", s.top1_zero},
          {"top1_test_zero", optional_number(s.top1_test_zero)},
          {"calibration_images", s.calibration_images},
          {"test_images", s.test_images},
          {"baseline_design", s.baseline_design},
          {"baseline_throughput", s.baseline_throughput},
          {"baseline_resources", resources_json(s.baseline_resources)},
          {"baseline_ceiling", s.baseline_ceiling ? json{{"throughput", s.baseline_ceiling->throughput},
                                                         {"bound_by", s.baseline_ceiling->bound_by}}
                                                  : json()},
          {"runs", runs},
          {"records", records}};
}

LoopState loop_state_from_json(const json& j, const std::string& where) {
  JsonFields f(j, where);
  f.allow_only({"version", "fingerprint", "started", "top1_zero", "top1_test_zero", "calibration_images", "test_images", "baseline_design",
                "baseline_throughput", "baseline_resources", "baseline_ceiling", "runs", "records"});
  if (f.integer("version") != kStateVersion)
    f.fail("version", "checkpoint version " + std::to_string(kStateVersion) + " (written by another sparsedse?)");
  LoopState s;
  s.fingerprint = f.raw("fingerprint");
  s.started = f.boolean("started", false);
  s.top1_zero = f.number("top1_zero");
  s.top1_test_zero = optional_number(f, "top1_test_zero");
  s.calibration_images = f.integer_at_least("calibration_images", 0, 0);
  s.test_images = f.integer_at_least("test_images", 0, 0);
  s.baseline_design = f.raw("baseline_design");
  s.baseline_throughput = f.number("baseline_throughput");
  s.baseline_resources = resources_from(f.object("baseline_resources"));
  if (f.has("baseline_ceiling") && !f.raw("baseline_ceiling").is_null()) {
    JsonFields c = f.object("baseline_ceiling");
    c.allow_only({"throughput", "bound_by"});
    s.baseline_ceiling = Ceiling{c.positive("throughput"), strings(c, "bound_by")};
  }
  const json& runs = f.raw("runs");
  if (!runs.is_array()) f.fail("runs", "an array");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    JsonFields r(runs[i], where, json_path("/runs", i));
    r.allow_only({"name", "policy", "guide", "measure_baseline", "measure_optimised", "thresholds",
                  "accepted_iteration", "steps", "refinements_left", "iteration", "done", "stop_reason", "design",
                  "guide_layers", "top1_test", "calibration_drop", "test_drop"});
    RunState run;
    run.name = r.string("name");
    run.policy = policy_from(r, "policy");
    std::string guide = r.choice("guide", {"none", "baseline", "optimised"}, "none");
    run.guide = guide == "baseline" ? Guide::baseline : guide == "optimised" ? Guide::optimised : Guide::none;
    run.measure_baseline = r.boolean("measure_baseline", true);
    run.measure_optimised = r.boolean("measure_optimised", true);
    run.thresholds = thresholds_from(r.object("thresholds"));
    run.accepted_iteration = int(r.integer_at_least("accepted_iteration", 0, 0));
    run.steps = thresholds_from(r.object("steps"));  // >= 0 each; 0 = frozen
    const JsonFields left = r.object("refinements_left");
    for (const auto& [relu, value] : left.json().items()) run.refinements_left[relu] = int(left.integer_at_least(relu, 0, 0));
    for (const auto& [relu, step] : run.steps)
      if (!run.refinements_left.count(relu)) r.fail("refinements_left", "an entry for every ReLU of `steps` ('" + relu + "' missing)");
    run.iteration = int(r.integer_at_least("iteration", 0, 0));
    run.done = r.boolean("done", false);
    run.stop_reason = r.string("stop_reason", "");
    run.design = r.raw("design");
    run.guide_layers = layers_from(r.raw("guide_layers"), r.where("guide_layers"));
    run.top1_test = optional_number(r, "top1_test");
    run.calibration_drop = optional_drop(r, "calibration_drop");
    run.test_drop = optional_drop(r, "test_drop");
    s.runs.push_back(std::move(run));
  }
  const json& records = f.raw("records");
  if (!records.is_array()) f.fail("records", "an array");
  for (std::size_t i = 0; i < records.size(); ++i)
    s.records.push_back(iteration_record_from_json(records[i], where, json_path("/records", i)));
  return s;
}

}  // namespace sparsedse::threshold
