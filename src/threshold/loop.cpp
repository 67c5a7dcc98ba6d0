#include "sparsedse/threshold/loop.hpp"

#include <algorithm>
#include <cmath>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/json_fields.hpp"

namespace sparsedse::threshold {

using nlohmann::json;

std::string_view to_string(Guide guide) {
  switch (guide) {
    case Guide::none: return "none";
    case Guide::baseline: return "baseline";
    case Guide::optimised: return "optimised";
  }
  return "?";
}

namespace {

// A solver seed per iteration: resuming re-creates the same seeds without any RNG state. Every run of
// a job draws the same seeds, so a run's designs do not depend on which other runs share its job (a
// policy run alone reproduces its figures of a two-policy job) and the policies compared in one job
// are searched with the same random numbers.
std::uint64_t mix_seed(std::uint64_t seed, int iteration) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (1 + std::uint64_t(iteration));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A drop "more than the budget": tolerant of the last bits of 100·(a − b) on image counts.
bool exceeds_budget(double drop, double budget) { return drop > budget + 1e-9; }

// Percent from a fraction of images, without the last-bit noise of 100·0.896 = 89.60000000000001.
double percent(double fraction) { return std::round(fraction * 1e11) / 1e9; }

constexpr std::size_t kProfileCache = 8;  // profiles kept for runs that meet the same thresholds

constexpr const char* kIterationLimit = "iteration limit reached";  // the one stop a higher limit undoes

}  // namespace

bool LoopState::done() const {
  if (!started || !baseline_ceiling) return false;
  for (const RunState& r : runs)
    if (!r.done || !r.top1_test || !r.calibration_drop || !r.test_drop) return false;
  return top1_test_zero.has_value();
}

ThresholdLoop::ThresholdLoop(const ir::Graph& graph, ThresholdConfig config, Measurer& measurer, Hardware& hardware)
    : graph_(graph), config_(std::move(config)), measurer_(measurer), hardware_(hardware), relus_(relu_names(graph)) {
  if (relus_.empty()) throw InputError(graph.name, "the model has no ReLU: there is nothing to threshold");
  if (config_.policies.empty()) throw InputError("threshold config", "no policy to run");
}

ThresholdMap ThresholdLoop::zero_thresholds() const {
  ThresholdMap zeros;
  for (const auto& r : relus_) zeros[r] = 0.0;
  return zeros;
}

LoopState ThresholdLoop::initial_state(json fingerprint) const {
  LoopState s;
  s.fingerprint = std::move(fingerprint);
  const ThresholdMap zeros = zero_thresholds();
  auto add_run = [&](std::string name, Policy policy, Guide guide, bool baseline, bool optimised) {
    RunState run;
    run.name = std::move(name);
    run.policy = policy;
    run.guide = guide;
    run.measure_baseline = baseline;
    run.measure_optimised = optimised;
    run.thresholds = zeros;
    for (const auto& r : relus_) {
      run.steps[r] = config_.step;
      run.refinements_left[r] = config_.refinements;
    }
    s.runs.push_back(std::move(run));
  };
  const bool b = config_.measures_baseline(), o = config_.measures_optimised();
  if (config_.runs(Policy::uniform)) add_run("uniform", Policy::uniform, Guide::none, b, o);
  // The slowest layers differ between the fixed and the re-optimised design, so the latency-aware
  // policy runs once per hardware mode, each steered by (and measured on) its own design.
  if (config_.runs(Policy::latency_aware)) {
    if (b) add_run("latency-aware/baseline-hw", Policy::latency_aware, Guide::baseline, true, false);
    if (o) add_run("latency-aware/optimised-hw", Policy::latency_aware, Guide::optimised, true, true);
  }
  return s;
}

const sparsity::ProfileResult& ThresholdLoop::calibrate(const ThresholdMap& thresholds) {
  auto it = profiles_.find(thresholds);
  if (it != profiles_.end()) return it->second;
  if (profile_order_.size() >= kProfileCache) {  // forget the oldest
    profiles_.erase(profile_order_.front());
    profile_order_.pop_front();
  }
  profile_order_.push_back(thresholds);
  return profiles_.emplace(thresholds, measurer_.calibrate(thresholds)).first->second;
}

const TopOneHits& ThresholdLoop::test_hits(const ThresholdMap& thresholds) {
  auto it = test_hits_.find(thresholds);
  if (it == test_hits_.end()) it = test_hits_.emplace(thresholds, measurer_.test_hits(thresholds)).first;
  return it->second;
}

double ThresholdLoop::test_top1(const ThresholdMap& thresholds) {
  const TopOneHits& hits = test_hits(thresholds);
  const auto right = std::count(hits.begin(), hits.end(), std::uint8_t(1));
  return hits.empty() ? 0.0 : percent(double(right) / double(hits.size()));
}

ir::Graph ThresholdLoop::measured_graph(const ThresholdMap& thresholds, const sparsity::ProfileResult& profile) const {
  ir::Graph g = graph_;
  for (const auto& [name, value] : thresholds) g.layer(name).threshold = float(value);
  sparsity::attach(g, profile, "calibration profile");
  return g;
}

ir::Graph with_all_zero_windows(const ir::Graph& graph) {
  ir::Graph g = graph;
  for (ir::Vertex v : g.topological_order()) {
    std::optional<ir::SparsityStats>& stats = g.layer(v).sparsity;
    if (!stats || !threshold_sensitive(g, v)) continue;
    for (auto& row : stats->histogram) {
      std::fill(row.begin(), row.end(), 0.0);
      row.back() = 1.0;
    }
    for (auto& row : stats->counts) {
      std::fill(row.begin(), row.end(), 0);
      row.back() = stats->windows;
    }
    stats->mean_sparsity = 1.0;
  }
  return g;
}

void ThresholdLoop::measure_ceiling(LoopState& state, const ir::Graph& limit) {
  Measured m = hardware_.evaluate(state.baseline_design, limit);
  Ceiling c{m.throughput, {}};
  for (const PartitionLatency& part : m.layers) {
    if (part.memory_bound) {
      c.bound_by.push_back("memory bandwidth");
      continue;
    }
    const LayerLatency* slowest = nullptr;
    for (const LayerLatency& l : part.layers)
      if (!slowest || l.latency > slowest->latency) slowest = &l;
    if (slowest) c.bound_by.push_back(slowest->layer);
  }
  state.baseline_ceiling = std::move(c);
}

namespace {

IterationRecord record_of(const RunState& run, int iteration, const ThresholdMap& thresholds,
                          const sparsity::ProfileResult& p) {
  IterationRecord rec;
  rec.run = run.name;
  rec.policy = run.policy;
  rec.iteration = iteration;
  rec.thresholds = thresholds;
  rec.top1 = percent(p.top1);
  rec.top5 = percent(p.top5);
  for (const auto& [layer, stats] : p.layers) rec.mean_sparsity[layer] = stats.mean_sparsity;
  return rec;
}

}  // namespace

void ThresholdLoop::start(LoopState& state) {
  const ThresholdMap& zeros = state.runs.at(0).thresholds;
  const sparsity::ProfileResult& p = calibrate(zeros);
  state.top1_zero = percent(p.top1);
  ir::Graph g = measured_graph(zeros, p);
  // The baseline hardware: the design optimised for thresholds 0, measured as a fixed design so that
  // every later baseline-hardware figure comes from the same evaluation path.
  Measured optimised = hardware_.optimise(g, nullptr, mix_seed(config_.seed, 0));
  // The search through the dense + sparse space can end below the all-dense design (LUT-bound ResNet-50:
  // −1.7 %); a sparse design is never worse than the dense one, so then the search restarts from it.
  if (reference_ && hardware_.evaluate(*reference_, g).throughput > optimised.throughput)
    optimised = hardware_.optimise(g, &*reference_, mix_seed(config_.seed, 0));
  // Room for the thresholds to come: layers folded just fast enough for thresholds 0 would otherwise cap
  // the fixed design (the ceiling below) at that rate. Only the fixed design needs it: the optimised runs
  // refold every layer at every step, and start from the optimiser's own design.
  const ir::Graph limit = with_all_zero_windows(g);
  json baseline = optimised.design;
  if (config_.headroom) baseline = hardware_.add_headroom(baseline, g, limit).design;
  Measured fixed = hardware_.evaluate(baseline, g);
  state.baseline_design = baseline;
  state.baseline_throughput = fixed.throughput;
  state.baseline_resources = fixed.resources;
  measure_ceiling(state, limit);
  state.test_images = measurer_.test_images();
  state.calibration_images = measurer_.calibration_images();
  for (RunState& run : state.runs) {
    run.design = run.measure_optimised ? optimised.design : json();
    run.guide_layers = run.guide == Guide::optimised ? optimised.layers : fixed.layers;
    IterationRecord rec = record_of(run, 0, zeros, p);
    if (run.measure_baseline) rec.baseline_throughput = fixed.throughput;
    if (run.measure_optimised) {
      rec.optimised_throughput = optimised.throughput;
      rec.optimised_resources = optimised.resources;
    }
    state.records.push_back(std::move(rec));
  }
  state.started = true;
}

bool ThresholdLoop::advance(LoopState& state, RunState& run) {
  const int iteration = run.iteration + 1;
  const BottleneckRule rule =
      bottleneck_rule(config_.bottleneck, config_.sparse_only, run.guide == Guide::baseline, config_.bottleneck_band,
                      config_.bottleneck_reach);
  FrozenRelus frozen;
  for (const auto& [relu, step] : run.steps)
    if (step == 0.0) frozen.insert(relu);
  std::vector<std::string> bottlenecks;
  if (run.policy == Policy::latency_aware)
    bottlenecks = slowest_sensitive_layers(graph_, run.guide_layers, rule, frozen);
  std::vector<std::string> relus = relus_to_raise(run.policy, graph_, run.guide_layers, rule, frozen);
  ThresholdMap candidate = run.thresholds;
  double largest_step = 0.0;
  for (const std::string& r : relus) {
    const double step = run.steps.at(r);
    candidate = raise(candidate, {r}, {step, config_.accumulate, config_.max_threshold});
    largest_step = std::max(largest_step, step);
  }

  if (candidate == run.thresholds) {
    // Nothing rises: every ReLU the policy would raise is frozen or at the cap, or no partition has a
    // layer a ReLU can relieve.
    run.done = true;
    run.stop_reason = !frozen.empty() ? "accuracy budget reached: the ReLUs the policy would raise are frozen"
                                 : "no threshold can rise further";
    run.top1_test = test_top1(run.thresholds);
    return false;
  }
  IterationRecord rec;
  {
    const sparsity::ProfileResult& p = calibrate(candidate);
    rec = record_of(run, iteration, candidate, p);
    rec.step = largest_step;
    rec.bottlenecks = bottlenecks;
    rec.raised = relus;
    const double raise_cost = final_record(state, run).top1 - rec.top1;
    rec.accepted = !exceeds_budget(state.top1_zero - rec.top1, config_.budget) &&
                   !exceeds_budget(raise_cost, config_.raise_share * config_.budget * double(relus.size()));
    if (!rec.accepted) {
      // Roll back (over the budget, or over the raise's share of it): the accepted thresholds stay. Each
      // raised ReLU retries with half its step, or freezes.
      for (const std::string& r : relus) {
        double& step = run.steps.at(r);
        int& left = run.refinements_left.at(r);
        if (left > 0) {
          step = std::round(step / 2 * 1e12) / 1e12;
          --left;
        } else {
          step = 0.0;
        }
      }
      if (std::all_of(run.steps.begin(), run.steps.end(), [](const auto& s) { return s.second == 0.0; })) {
        run.done = true;
        run.stop_reason = "accuracy budget exceeded";
      }
    } else {
      ir::Graph g = measured_graph(candidate, p);
      if (run.measure_baseline) {
        Measured fixed = hardware_.evaluate(state.baseline_design, g);
        rec.baseline_throughput = fixed.throughput;
        if (run.guide == Guide::baseline) run.guide_layers = std::move(fixed.layers);
      }
      if (run.measure_optimised) {
        Measured o = hardware_.optimise(g, run.design.is_null() ? nullptr : &run.design,
                                        mix_seed(config_.seed, iteration));
        rec.optimised_throughput = o.throughput;
        rec.optimised_resources = o.resources;
        run.design = std::move(o.design);
        if (run.guide == Guide::optimised) run.guide_layers = std::move(o.layers);
      }
      run.thresholds = candidate;
      run.accepted_iteration = iteration;
    }
  }
  run.iteration = iteration;
  if (!run.done && iteration >= config_.max_iterations) {
    run.done = true;
    run.stop_reason = kIterationLimit;
  }
  if (run.done) run.top1_test = test_top1(run.thresholds);
  state.records.push_back(std::move(rec));
  return true;
}

bool ThresholdLoop::step(LoopState& state) {
  if (!state.started) {
    start(state);
    return true;
  }
  if (!state.baseline_ceiling) {
    // A checkpoint from before the ceiling existed: measure it now, from the threshold-0 profile.
    const ThresholdMap zeros = zero_thresholds();
    measure_ceiling(state, with_all_zero_windows(measured_graph(zeros, calibrate(zeros))));
    return true;
  }
  for (RunState& run : state.runs)
    if (!run.done) {
      advance(state, run);
      return true;
    }
  if (!state.done()) {
    // Every run is done: the test top-1 at thresholds 0, and each run's drop image by image (also for a
    // checkpoint written before the drops existed).
    const ThresholdMap zeros = zero_thresholds();
    state.top1_test_zero = test_top1(zeros);
    const TopOneHits calibration_zero = calibrate(zeros).top1_hits;  // a copy: calibrate() may evict it
    for (RunState& run : state.runs) {
      run.test_drop = paired_drop(test_hits(zeros), test_hits(run.thresholds));
      run.calibration_drop = paired_drop(calibration_zero, calibrate(run.thresholds).top1_hits);
    }
    return true;
  }
  // Runs advance one after the other, so a fresh state holds the threshold-0 records, then each run's in
  // turn; a run reopened by a higher iteration limit appended its later records at the end. Restoring that
  // order makes an extended run's outputs those of a fresh run (a no-op for a fresh run).
  auto run_index = [&](const IterationRecord& r) {
    if (r.iteration == 0) return std::ptrdiff_t(-1);
    auto it = std::find_if(state.runs.begin(), state.runs.end(), [&](const RunState& run) { return run.name == r.run; });
    return std::distance(state.runs.begin(), it);
  };
  std::stable_sort(state.records.begin(), state.records.end(),
                   [&](const IterationRecord& a, const IterationRecord& b) { return run_index(a) < run_index(b); });
  return false;
}

void ThresholdLoop::run(LoopState& state, const LoopObserver& observer) {
  while (true) {
    const std::size_t before = state.records.size();
    if (!step(state)) break;
    if (observer) observer(state, before);
  }
}

std::string first_difference(const json& a, const json& b) {
  for (const auto& [key, value] : a.items())
    if (!b.contains(key) || b.at(key) != value) return key;
  for (const auto& [key, value] : b.items())
    if (!a.contains(key)) return key;
  return "";
}

bool raises_only_iteration_limit(const json& before, const json& after, const json::json_pointer& limit) {
  if (!before.contains(limit) || !after.contains(limit)) return false;
  const json &old_limit = before.at(limit), &new_limit = after.at(limit);
  if (!old_limit.is_number_integer() || !new_limit.is_number_integer() ||
      new_limit.get<std::int64_t>() <= old_limit.get<std::int64_t>())
    return false;
  json patched = before;
  patched[limit] = new_limit;
  return patched == after;
}

bool extend_iteration_limit(LoopState& state, const json& fingerprint, const json::json_pointer& limit) {
  if (!raises_only_iteration_limit(state.fingerprint, fingerprint, limit)) return false;
  // A run's state at its old limit is what a fresh run with the higher limit has at that iteration: only
  // the stop itself (and the test accuracy taken at it) is undone.
  for (RunState& run : state.runs)
    if (run.done && run.stop_reason == kIterationLimit) {
      run.done = false;
      run.stop_reason.clear();
      run.top1_test.reset();
    }
  state.fingerprint = fingerprint;
  return true;
}

const IterationRecord& final_record(const LoopState& state, const RunState& run) {
  for (const IterationRecord& r : state.records)
    if (r.run == run.name && r.iteration == run.accepted_iteration && (r.accepted || r.iteration == 0)) return r;
  throw std::logic_error("threshold loop state: no record of the accepted iteration of run " + run.name);
}

}  // namespace sparsedse::threshold
