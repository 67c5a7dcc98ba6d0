#include <catch2/catch.hpp>

#include <numeric>

#include "world.hpp"

#include "sparsedse/common/error.hpp"
#include "sparsedse/threshold/outputs.hpp"

using namespace test_world;
using Names = std::vector<std::string>;

namespace {

std::vector<const IterationRecord*> records_of(const LoopState& s, const std::string& run) {
  std::vector<const IterationRecord*> out;
  for (const auto& r : s.records)
    if (r.run == run) out.push_back(&r);
  return out;
}

const RunState& run_named(const LoopState& s, const std::string& name) {
  for (const auto& r : s.runs)
    if (r.name == name) return r;
  FAIL("no run " << name);
  throw;
}

LoopState run_all(const ir::Graph& g, const ThresholdConfig& c) {
  WorldMeasurer m(g);
  WorldHardware h;
  ThresholdLoop loop(g, c, m, h);
  LoopState s = loop.initial_state({{"test", 1}});
  loop.run(s);
  return s;
}

}  // namespace

TEST_CASE("uniform run: accepted steps, rollback over budget, step refinement", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::uniform};
  c.step = 0.02;
  c.refinements = 2;
  LoopState s = run_all(g, c);
  REQUIRE(s.done());
  CHECK(s.top1_zero == Approx(90.0));
  auto recs = records_of(s, "uniform");
  // Hand-worked: all five ReLUs at t lose 5·20·(t − 0.05) points once t > 0.05.
  // 0.02, 0.04, 0.06 (loss 1.0 = budget, kept); 0.08 (loss 3) rolled back, step 0.01 → 0.07 (loss 2)
  // rolled back, step 0.005 → 0.065 (loss 1.5) rolled back, no refinement left: stop at 0.06.
  std::vector<double> t = {0.0, 0.02, 0.04, 0.06, 0.08, 0.07, 0.065};
  std::vector<double> steps = {0.0, 0.02, 0.02, 0.02, 0.02, 0.01, 0.005};
  std::vector<bool> accepted = {true, true, true, true, false, false, false};
  REQUIRE(recs.size() == t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    CAPTURE(i);
    CHECK(recs[i]->iteration == int(i));
    CHECK(recs[i]->thresholds.at("r3") == t[i]);
    CHECK(recs[i]->step == steps[i]);
    CHECK(recs[i]->accepted == accepted[i]);
    CHECK(recs[i]->raised.size() == (i == 0 ? 0u : 5u));
    CHECK(recs[i]->baseline_throughput.has_value() == accepted[i]);  // rolled-back steps are not measured
  }
  const RunState& run = run_named(s, "uniform");
  CHECK(run.stop_reason == "accuracy budget exceeded");
  CHECK(run.accepted_iteration == 3);
  const IterationRecord& fin = final_record(s, run);
  CHECK(fin.top1 == Approx(89.0));
  for (const auto& [r, v] : run.thresholds) CHECK(v == 0.06);
  // Test accuracy at the final thresholds: 88 − 5·25·0.01 = 86.75 %; at 0: 88 %.
  CHECK(*run.top1_test == Approx(86.75));
  CHECK(*s.top1_test_zero == Approx(88.0));
  // The same drops image by image (the world's thresholds turn the last right images wrong): 10 of 1000
  // calibration images, 125 of 10 000 test images. Standard errors 100·√((w − w²/n)/(n − 1)/n).
  REQUIRE(run.calibration_drop);
  REQUIRE(run.test_drop);
  CHECK(*run.calibration_drop == PairedDrop{1000, 10, 0});
  CHECK(run.calibration_drop->points() == Approx(s.top1_zero - fin.top1));
  CHECK(run.calibration_drop->standard_error() == Approx(0.314800).epsilon(1e-5));
  CHECK(*run.test_drop == PairedDrop{10000, 125, 0});
  CHECK(run.test_drop->points() == Approx(*s.top1_test_zero - *run.top1_test));
  CHECK(run.test_drop->standard_error() == Approx(0.111108).epsilon(1e-5));

  // Throughput at 0.06: z = 0.3 + 2·0.06 = 0.42 everywhere but c1 (dense, 1000 cycles); partition 1's
  // slowest is 580. Baseline: 10⁶/(1000 + 580); re-optimised three times from the start: speed 2.5.
  CHECK(s.baseline_throughput == Approx(1e6 / 1700));
  CHECK(*fin.baseline_throughput == Approx(1e6 / 1580));
  CHECK(*fin.optimised_throughput == Approx(2.5e6 / 1580));
  auto o = outcome(s, Policy::uniform, false);
  REQUIRE(o);
  CHECK(o->gain == Approx(1700.0 / 1580 - 1));

  // The ceiling of the fixed design: every layer a ReLU feeds at latency 0, so c1 (fed by the image,
  // dense) alone remains: 10⁶/1000, +70 %.
  REQUIRE(s.baseline_ceiling);
  CHECK(s.baseline_ceiling->throughput == Approx(1e6 / 1000));
  REQUIRE(s.baseline_ceiling->bound_by.size() == 2);
  CHECK(s.baseline_ceiling->bound_by[0] == "c1");
  CHECK(*ceiling_gain(s) == Approx(0.7));
}

TEST_CASE("the threshold-0 design gets headroom for all-zero windows unless the config turns it off", "[threshold]") {
  const ir::Graph g = network();
  for (bool headroom : {true, false}) {
    CAPTURE(headroom);
    ThresholdConfig c;
    c.max_iterations = 1;
    c.headroom = headroom;
    WorldMeasurer m(g);
    WorldHardware h;
    ThresholdLoop loop(g, c, m, h);
    LoopState s = loop.initial_state({});
    loop.step(s);
    CHECK(h.headrooms == (headroom ? 1 : 0));
    // The widened design is the baseline hardware; the optimised runs start from the optimiser's own.
    CHECK(s.baseline_design.contains("headroom") == headroom);
    CHECK_FALSE(run_named(s, "uniform").design.contains("headroom"));
    if (!headroom) continue;
    // The limit is the profile at thresholds 0 with every layer a ReLU feeds all zeros; c1 reads the image.
    CHECK(h.limit_sparsity.at("c2") == 1.0);
    CHECK(h.limit_sparsity.at("fc") == 1.0);
    CHECK(h.limit_sparsity.at("c1") == Approx(0.05));  // its profile as measured
  }
}

TEST_CASE("a partition that memory bandwidth slows is bound by it at the ceiling", "[threshold]") {
  struct SlowMemory : WorldHardware {
    Measured evaluate(const nlohmann::json& design, const ir::Graph& g) override {
      Measured m = WorldHardware::evaluate(design, g);
      m.layers.at(1).memory_bound = true;
      return m;
    }
  };
  ir::Graph g = network();
  ThresholdConfig c;
  c.max_iterations = 1;
  WorldMeasurer m(g);
  SlowMemory h;
  ThresholdLoop loop(g, c, m, h);
  LoopState s = loop.initial_state({});
  loop.step(s);
  REQUIRE(s.baseline_ceiling);
  CHECK(s.baseline_ceiling->bound_by == Names{"c1", "memory bandwidth"});
}

TEST_CASE("all-zero windows replace the statistics of exactly the threshold-sensitive layers", "[threshold]") {
  ir::Graph g = network();
  WorldMeasurer m(g);
  WorldHardware h;
  ThresholdLoop loop(g, ThresholdConfig{}, m, h);
  ThresholdMap zeros;
  for (const std::string& r : relu_names(g)) zeros[r] = 0.0;
  const ir::Graph measured = loop.measured_graph(zeros, m.calibrate(zeros));
  const ir::Graph saturated = with_all_zero_windows(measured);
  // c1 reads the image: no threshold reaches it, its statistics stay (z = 0.05).
  CHECK(saturated.layer("c1").sparsity == measured.layer("c1").sparsity);
  for (const char* name : {"c2", "c3", "c4", "c5", "sc", "fc"}) {
    CAPTURE(name);
    const ir::SparsityStats& s = *saturated.layer(name).sparsity;
    CHECK(s.mean_sparsity == 1.0);
    CHECK(s.windows == measured.layer(name).sparsity->windows);
    for (const auto& row : s.histogram) {
      CHECK(row.back() == 1.0);
      CHECK(std::accumulate(row.begin(), row.end(), 0.0) == 1.0);
    }
  }
}

TEST_CASE("latency-aware runs raise the ReLUs behind each partition's bottleneck", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::latency_aware};
  c.step = 0.02;
  c.max_iterations = 6;
  c.bottleneck = BottleneckChoice::interval;
  LoopState s = run_all(g, c);
  REQUIRE(s.runs.size() == 2);  // one run steered by each hardware mode
  // Steered by the re-optimised design: iteration 1: c1 is slowest but dense and fed by the image;
  // c2/c3 tie at 700 → c2 (r1); c4/c5/sc/fc tie at 700 → c4 (r3). Iteration 2: c2, c4 and sc fell to
  // 660; c3 (r2) and c5 (r4, ties fc) remain.
  auto recs = records_of(s, "latency-aware/optimised-hw");
  REQUIRE(recs.size() >= 3);
  CHECK(recs[1]->bottlenecks == Names{"c2", "c4"});
  CHECK(recs[1]->raised == Names{"r1", "r3"});
  CHECK(recs[2]->bottlenecks == Names{"c3", "c5"});
  CHECK(recs[2]->raised == Names{"r2", "r4"});
  CHECK(recs[2]->thresholds == ThresholdMap{{"r1", 0.02}, {"r2", 0.02}, {"r3", 0.02}, {"r4", 0.02}, {"r5", 0.0}});
  // Steered by the fixed design, rule `interval`: partition 0's interval is the dense c1 (1000 cycles),
  // which no threshold shortens, so only partition 1 is worked on: c4 (r3), then c5 (r4).
  recs = records_of(s, "latency-aware/baseline-hw");
  REQUIRE(recs.size() >= 3);
  CHECK(recs[1]->bottlenecks == Names{"c4"});
  CHECK(recs[1]->raised == Names{"r3"});
  CHECK(recs[2]->bottlenecks == Names{"c5"});
  CHECK(recs[2]->thresholds == ThresholdMap{{"r1", 0.0}, {"r2", 0.0}, {"r3", 0.02}, {"r4", 0.02}, {"r5", 0.0}});
  recs = records_of(s, "latency-aware/optimised-hw");
  // The baseline-steered run measures only the fixed design; the other also re-optimises.
  CHECK(recs[1]->optimised_throughput.has_value());
  CHECK_FALSE(records_of(s, "latency-aware/baseline-hw")[1]->optimised_throughput.has_value());
  CHECK(run_named(s, "latency-aware/baseline-hw").stop_reason == "iteration limit reached");
  CHECK(run_named(s, "latency-aware/baseline-hw").iteration == 6);

  // The default rule `relievable` goes on relieving partition 0 behind its dense c1 (a shorter pipeline
  // fill still pays): on the fixed design it makes the same first two choices as the re-optimised run.
  c.bottleneck = BottleneckChoice::relievable;
  s = run_all(g, c);
  recs = records_of(s, "latency-aware/baseline-hw");
  REQUIRE(recs.size() >= 3);
  CHECK(recs[1]->bottlenecks == Names{"c2", "c4"});
  CHECK(recs[1]->raised == Names{"r1", "r3"});
  CHECK(recs[2]->bottlenecks == Names{"c3", "c5"});
  CHECK(recs[2]->raised == Names{"r2", "r4"});
}

TEST_CASE("latency-aware: a ReLU that breaks the budget halves its own step, then freezes, the run goes on",
          "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::latency_aware};
  c.hardware = HardwareMode::baseline;
  c.step = 0.02;
  c.refinements = 1;
  WorldMeasurer m(g);
  m.knee["r3"] = 0.0;  // r3 costs 20·t points from its first step; the others only past 0.05
  WorldHardware h;
  auto run_loop = [&](const ThresholdConfig& config) {
    ThresholdLoop loop(g, config, m, h);
    LoopState s = loop.initial_state({{"test", 1}});
    loop.run(s);
    return s;
  };

  SECTION("fixed design, rule `interval`: hand-worked") {
    c.bottleneck = BottleneckChoice::interval;
    c.bottleneck_reach = Reach::nearest;
    LoopState s = run_loop(c);
    auto recs = records_of(s, "latency-aware/baseline-hw");
    // Partition 0's interval is the dense c1, so only partition 1 is worked on: c4/sc (r3), c5 (r4) and
    // fc (r5) start at 700 cycles; ties go to the smaller name; a rolled-back raise leaves the guide as is.
    //  1 c4 r3 0.02 (loss 0.4)  2 c5 r4 0.02  3 fc r5 0.02  4 c4 r3 0.04 (0.8)  5 c5 r4 0.04  6 fc r5 0.04
    //  7 c4 r3 0.06 (1.2): rolled back, r3's step → 0.01  8 c4 r3 0.05 (1.0 = budget): kept, c4 and sc 600
    //  9 c5 r4 0.06 (1.2): rolled back, r4 → 0.01  10 c5 r4 0.05: kept  11 fc r5 0.06: rolled back, r5 → 0.01
    // 12 fc r5 0.05: kept (all 600)  13 c4 r3 0.06: rolled back, r3 has no refinement left: frozen.
    // Then c4 and sc (600, fed only by the frozen r3) hold the fixed design's interval: nothing can help.
    const std::vector<Names> raised = {{},     {"r3"}, {"r4"}, {"r5"}, {"r3"}, {"r4"}, {"r5"},
                                       {"r3"}, {"r3"}, {"r4"}, {"r4"}, {"r5"}, {"r5"}, {"r3"}};
    const std::vector<double> steps = {0, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01, 0.01};
    const std::vector<bool> accepted = {true, true, true,  true, true, true,  true,
                                        false, true, false, true, false, true, false};
    REQUIRE(recs.size() == raised.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
      CAPTURE(i);
      CHECK(recs[i]->raised == raised[i]);
      CHECK(recs[i]->step == steps[i]);
      CHECK(recs[i]->accepted == accepted[i]);
    }
    const RunState& run = run_named(s, "latency-aware/baseline-hw");
    CHECK(run.stop_reason == "accuracy budget reached: the ReLUs the policy would raise are frozen");
    CHECK(run.iteration == 13);
    CHECK(run.steps == ThresholdMap{{"r1", 0.02}, {"r2", 0.02}, {"r3", 0.0}, {"r4", 0.01}, {"r5", 0.01}});
    CHECK(run.refinements_left == std::map<std::string, int>{{"r1", 1}, {"r2", 1}, {"r3", 0}, {"r4", 0}, {"r5", 0}});
    CHECK(run.thresholds == ThresholdMap{{"r1", 0.0}, {"r2", 0.0}, {"r3", 0.05}, {"r4", 0.05}, {"r5", 0.05}});
    CHECK(final_record(s, run).top1 == Approx(89.0));
  }

  SECTION("fixed design, reach `residual-when-frozen`: once r3 freezes, add1's branches relieve c4") {
    c.bottleneck = BottleneckChoice::interval;
    LoopState s = run_loop(c);
    auto recs = records_of(s, "latency-aware/baseline-hw");
    // The nearest run above, step for step, until r3 freezes at iteration 13; then c4 (still the slowest)
    // is relieved through r3's add: r1 (behind the pooled shortcut) and r2 (behind c3).
    REQUIRE(recs.size() > 14);
    CHECK(recs[13]->raised == Names{"r3"});
    CHECK_FALSE(recs[13]->accepted);
    CHECK(recs[14]->bottlenecks == Names{"c4"});
    CHECK(recs[14]->raised == Names{"r1", "r2"});
  }

  SECTION("re-optimised design, reach `nearest`: after r3 freezes, the other bottlenecks keep rising") {
    c.hardware = HardwareMode::optimised;
    c.bottleneck_reach = Reach::nearest;
    c.max_iterations = 40;
    LoopState s = run_loop(c);
    auto recs = records_of(s, "latency-aware/optimised-hw");
    std::size_t frozen_at = 0;
    for (std::size_t i = 1; i < recs.size() && !frozen_at; ++i)
      if (!recs[i]->accepted && recs[i]->step == 0.01 &&
          std::count(recs[i]->raised.begin(), recs[i]->raised.end(), "r3"))
        frozen_at = i;
    REQUIRE(frozen_at > 0);
    int accepted_after = 0;
    for (std::size_t i = frozen_at + 1; i < recs.size(); ++i) {
      CAPTURE(i);
      CHECK(std::count(recs[i]->raised.begin(), recs[i]->raised.end(), "r3") == 0);
      if (recs[i]->accepted) ++accepted_after;
    }
    CHECK(accepted_after > 0);
    const RunState& run = run_named(s, "latency-aware/optimised-hw");
    CHECK(run.steps.at("r3") == 0.0);
    CHECK(90.0 - final_record(s, run).top1 <= c.budget + 1e-9);
    CHECK(run.thresholds.at("r1") > 0.0);  // partition 0 (re-optimised: c2 and c3 sparse) rose too
  }

  SECTION("a raise over its share of the budget is rolled back, though within the budget") {
    c.bottleneck = BottleneckChoice::interval;
    c.bottleneck_reach = Reach::nearest;
    c.raise_share = 0.3;
    LoopState s = run_loop(c);
    // r3's first raise, kept in the hand-worked run, costs 0.4 > 0.3 points: rolled back, r3 retries with half
    // its step (0.01, 0.2 points): kept.
    auto recs = records_of(s, "latency-aware/baseline-hw");
    REQUIRE(recs.size() > 3);
    CHECK(recs[1]->raised == Names{"r3"});
    CHECK_FALSE(recs[1]->accepted);
    CHECK(recs[1]->top1 == Approx(89.6));
    CHECK(recs[2]->raised == Names{"r3"});
    CHECK(recs[2]->step == 0.01);
    CHECK(recs[2]->accepted);
    CHECK(recs[2]->thresholds.at("r3") == 0.01);
    // Throughout: a raise is kept exactly when it is within the budget and within its share of it.
    double last_kept = 90.0;
    for (std::size_t i = 1; i < recs.size(); ++i) {
      CAPTURE(i);
      const double cost = last_kept - recs[i]->top1;
      const bool within = 90.0 - recs[i]->top1 <= c.budget + 1e-9 &&
                          cost <= 0.3 * c.budget * double(recs[i]->raised.size()) + 1e-9;
      CHECK(recs[i]->accepted == within);
      if (recs[i]->accepted) last_kept = recs[i]->top1;
    }
    const RunState& run = run_named(s, "latency-aware/baseline-hw");
    CHECK(run.steps.at("r3") == 0.0);  // its second costly raise froze it
  }
}

TEST_CASE("thresholds never fall and the kept result respects the budget", "[threshold]") {
  ir::Graph g = network();
  for (double budget : {0.5, 1.0, 3.0}) {
    for (double step : {0.01, 0.02, 0.05}) {
      ThresholdConfig c;
      c.budget = budget;
      c.step = step;
      c.raise_share = 0.5;
      c.max_iterations = 25;
      LoopState s = run_all(g, c);
      for (const RunState& run : s.runs) {
        CAPTURE(budget, step, run.name);
        const ThresholdMap* last = nullptr;
        double last_top1 = s.top1_zero;
        for (const IterationRecord* r : records_of(s, run.name)) {
          // Rolled back only when over the budget or over the raise's share of it (0.5 per ReLU raised).
          const bool costly = last_top1 - r->top1 > 0.5 * budget * double(r->raised.size()) + 1e-9;
          if (!r->accepted) {
            CHECK((s.top1_zero - r->top1 > budget || costly));
            continue;
          }
          CHECK(s.top1_zero - r->top1 <= budget + 1e-9);
          CHECK_FALSE(costly);
          if (last)
            for (const auto& [relu, t] : *last) CHECK(r->thresholds.at(relu) >= t);
          last = &r->thresholds;
          last_top1 = r->top1;
        }
        CHECK(final_record(s, run).thresholds == run.thresholds);
      }
    }
  }
}

TEST_CASE("faithful Q17 sets thresholds to the step and stops when nothing can rise", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::uniform};
  c.accumulate = false;
  c.step = 0.04;
  LoopState s = run_all(g, c);
  const RunState& run = run_named(s, "uniform");
  CHECK(run.stop_reason == "no threshold can rise further");
  CHECK(run.iteration == 1);
  for (const auto& [r, v] : run.thresholds) CHECK(v == 0.04);

  c.accumulate = true;
  c.max_threshold = 0.03;  // one step to the cap, then nothing can rise
  c.step = 0.03;
  LoopState capped = run_all(g, c);
  CHECK(run_named(capped, "uniform").stop_reason == "no threshold can rise further");
}

TEST_CASE("the same inputs give byte-identical outputs, and a resumed run ends identically", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.max_iterations = 8;
  RunInfo info{"world.onnx", "d.json", "", "u250", "fixed:16.8", c};
  std::vector<std::string> layers = {"c1", "c2", "c3", "c4", "c5", "sc", "fc"};
  LoopState a = run_all(g, c), b = run_all(g, c);
  CHECK(to_json(a).dump() == to_json(b).dump());
  CHECK(iterations_csv(a) == iterations_csv(b));
  CHECK(report_markdown(a, info, layers) == report_markdown(b, info, layers));

  // Interrupt after every possible number of steps; resume from the JSON checkpoint with fresh objects.
  for (int stop_after = 1; stop_after < 20; ++stop_after) {
    CAPTURE(stop_after);
    std::string checkpoint;
    {
      WorldMeasurer m(g);
      WorldHardware h;
      ThresholdLoop loop(g, c, m, h);
      LoopState s = loop.initial_state({{"test", 1}});
      for (int i = 0; i < stop_after && loop.step(s); ++i) {
      }
      checkpoint = to_json(s).dump();
    }
    WorldMeasurer m(g);
    WorldHardware h;
    ThresholdLoop loop(g, c, m, h);
    LoopState s = loop_state_from_json(nlohmann::json::parse(checkpoint), "checkpoint.json");
    loop.run(s);
    CHECK(to_json(s).dump() == to_json(a).dump());
  }

  // Checkpoints written before a field existed: one more step measures it, as a fresh run did.
  auto completes_in_one_step = [&](const nlohmann::json& checkpoint) {
    WorldMeasurer m(g);
    WorldHardware h;
    ThresholdLoop loop(g, c, m, h);
    LoopState s = loop_state_from_json(checkpoint, "checkpoint.json");
    CHECK_FALSE(s.done());
    CHECK(loop.step(s));
    CHECK(s.done());
    CHECK(to_json(s).dump() == to_json(a).dump());
  };
  nlohmann::json legacy = to_json(a);
  legacy.erase("baseline_ceiling");
  completes_in_one_step(legacy);
  nlohmann::json without_drops = to_json(a);  // the per-image drops
  for (nlohmann::json& run : without_drops["runs"]) {
    run.erase("calibration_drop");
    run.erase("test_drop");
  }
  completes_in_one_step(without_drops);

  // The steering design's memory-bound flags and weight traffic survive a checkpoint; a checkpoint from
  // before them (each partition a bare array of layers) reads as compute-bound without weight traffic.
  LoopState steered = a;
  steered.runs.at(0).guide_layers = {{{{"c2", 900, true, 100, 4096}, {"c3", 800, true, 100}}, true},
                                     {{{"fc", 300, true, 10}}}};
  const nlohmann::json saved = to_json(steered);
  CHECK(loop_state_from_json(saved, "checkpoint.json").runs.at(0).guide_layers == steered.runs.at(0).guide_layers);
  nlohmann::json old = saved;
  nlohmann::json& guide = old["runs"][0]["guide_layers"];
  for (nlohmann::json& part : guide) {
    nlohmann::json layers = part["layers"];
    for (nlohmann::json& l : layers) l.erase("weight_bits");
    part = layers;
  }
  const PartitionLatencies read = loop_state_from_json(old, "checkpoint.json").runs.at(0).guide_layers;
  REQUIRE(read.size() == 2);
  CHECK_FALSE(read[0].memory_bound);
  CHECK(read[0].layers.at(0).weight_bits == 0.0);
  CHECK(read[0].layers.at(1) == steered.runs.at(0).guide_layers[0].layers.at(1));
}

TEST_CASE("a higher iteration limit continues the runs stopped at the old one, to a fresh run's result",
          "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.refinements = 0;  // uniform then stops on the budget at iteration 2, before either limit
  const nlohmann::json::json_pointer limit("/config/max_iterations");
  auto fingerprint = [](int max_iterations) {
    return nlohmann::json{{"model", "world"}, {"config", {{"max_iterations", max_iterations}, {"step", 0.05}}}};
  };
  auto finish = [&](int max_iterations, std::optional<LoopState> from) {
    ThresholdConfig config = c;
    config.max_iterations = max_iterations;
    WorldMeasurer m(g);
    WorldHardware h;
    ThresholdLoop loop(g, config, m, h);
    LoopState s = from ? *from : loop.initial_state(fingerprint(max_iterations));
    loop.run(s);
    return s;
  };
  const LoopState short_run = finish(3, std::nullopt), fresh = finish(12, std::nullopt);
  CHECK(run_named(short_run, "uniform").stop_reason == "accuracy budget exceeded");
  CHECK(run_named(short_run, "uniform").iteration == 2);
  CHECK(run_named(short_run, "latency-aware/optimised-hw").stop_reason == "iteration limit reached");
  CHECK(run_named(fresh, "latency-aware/optimised-hw").iteration > 3);  // the longer run does go further

  // The finished short run's checkpoint, extended: the runs at the limit reopen, the uniform run stays done.
  LoopState extended = loop_state_from_json(to_json(short_run), "checkpoint.json");
  REQUIRE(extend_iteration_limit(extended, fingerprint(12), limit));
  CHECK(extended.fingerprint == fingerprint(12));
  CHECK_FALSE(extended.done());
  CHECK(run_named(extended, "uniform").done);
  CHECK(run_named(extended, "uniform").top1_test == run_named(short_run, "uniform").top1_test);
  CHECK_FALSE(run_named(extended, "latency-aware/optimised-hw").done);
  CHECK_FALSE(run_named(extended, "latency-aware/optimised-hw").top1_test);
  CHECK(to_json(finish(12, extended)).dump() == to_json(fresh).dump());

  // Anything else changed, a lower or the same limit, or a limit that is not a whole number: no extension.
  LoopState untouched = short_run;
  nlohmann::json other_model = fingerprint(12);
  other_model["model"] = "other";
  nlohmann::json other_step = fingerprint(12);
  other_step["config"]["step"] = 0.1;
  nlohmann::json fractional = fingerprint(3);
  fractional["config"]["max_iterations"] = 12.5;
  for (const nlohmann::json& f : {other_model, other_step, fingerprint(2), fingerprint(3), fractional,
                                  nlohmann::json{{"model", "world"}}}) {
    CAPTURE(f.dump());
    CHECK_FALSE(extend_iteration_limit(untouched, f, limit));
    CHECK(to_json(untouched).dump() == to_json(short_run).dump());
  }
}

TEST_CASE("a run's designs do not depend on the other runs of its job", "[threshold]") {
  const ir::Graph g = network();
  auto optimised_throughputs = [&](std::vector<Policy> policies, HardwareMode hardware, Policy policy) {
    ThresholdConfig c;
    c.policies = std::move(policies);
    c.hardware = hardware;
    c.max_iterations = 6;
    c.seed = 3;
    WorldMeasurer m(g);
    WorldHardware h;
    h.seed_speed = 0.125;
    ThresholdLoop loop(g, c, m, h);
    LoopState s = loop.initial_state({{"test", 1}});
    loop.run(s);
    std::vector<double> out;
    for (const IterationRecord& r : s.records)
      if (r.policy == policy && r.optimised_throughput) out.push_back(*r.optimised_throughput);
    return out;
  };
  const std::vector<Policy> both{Policy::uniform, Policy::latency_aware};
  // Latency-aware is the job's third run (after uniform and latency-aware on the baseline hardware) and
  // the only one when run alone: the same seeds either way, so the same designs.
  const std::vector<double> alone = optimised_throughputs({Policy::latency_aware}, HardwareMode::optimised,
                                                          Policy::latency_aware);
  REQUIRE(alone.size() > 3);
  CHECK(optimised_throughputs(both, HardwareMode::both, Policy::latency_aware) == alone);
  CHECK(optimised_throughputs(both, HardwareMode::both, Policy::uniform) ==
        optimised_throughputs({Policy::uniform}, HardwareMode::both, Policy::uniform));
}

TEST_CASE("runs that meet the same thresholds share one calibration profile", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::latency_aware};
  c.bottleneck = BottleneckChoice::slowest;  // upstream's rule: both runs pick c2 and c4 first
  c.max_iterations = 1;
  WorldMeasurer m(g);
  WorldHardware h;
  ThresholdLoop loop(g, c, m, h);
  LoopState s = loop.initial_state({});
  loop.run(s);
  // Thresholds 0 once, then both runs raise r1 and r3 first (same design at iteration 0).
  CHECK(m.calibrations == 2);
  CHECK(m.tests == 2);  // thresholds 0 and the shared final thresholds
  CHECK(h.optimisations == 2);  // threshold-0 design + one re-optimisation
}

TEST_CASE("summary, CSV and report carry the 2x2 result", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.max_iterations = 10;
  c.step = 0.02;  // uniform then ends at 0.06 with a test drop of 1.25 points (the uniform run test)
  RunInfo info{"world.onnx", "d.json", "", "u250", "fixed:16.8", c};
  LoopState s = run_all(g, c);
  nlohmann::json sum = summary_json(s, info);
  REQUIRE(sum["results"].size() == 2);
  for (const auto& r : sum["results"]) {
    for (const char* hw : {"baseline_hardware", "optimised_hardware"}) {
      REQUIRE(r.contains(hw));
      double gain = r[hw]["gain"].get<double>(), tp = r[hw]["throughput"].get<double>();
      CHECK(gain == Approx(tp / s.baseline_throughput - 1));
      CHECK(r[hw]["top1_test"].is_number());
      const nlohmann::json& drop = r[hw]["test_drop"];
      CHECK(drop["points"].get<double>() == Approx(*s.top1_test_zero - r[hw]["top1_test"].get<double>()));
      CHECK(drop["images"] == 10000);
      CHECK(r[hw]["calibration_drop"]["points"].get<double>() ==
            Approx(s.top1_zero - r[hw]["top1_calibration"].get<double>()));
    }
  }
  CHECK(sum["results"][0]["policy"] == "uniform");
  CHECK(sum["results"][1]["baseline_hardware"]["run"] == "latency-aware/baseline-hw");
  CHECK(sum["results"][1]["optimised_hardware"]["run"] == "latency-aware/optimised-hw");

  std::string csv = iterations_csv(s);
  CHECK(csv.rfind("run,policy,iteration,accepted,step,top1_calibration", 0) == 0);
  CHECK(csv.find(",t:r1,t:r2,t:r3,t:r4,t:r5,s:c1,s:c2,s:c3,s:c4,s:c5,s:fc,s:sc\n") != std::string::npos);
  std::size_t lines = std::count(csv.begin(), csv.end(), '\n');
  CHECK(lines == s.records.size() + 1);

  CHECK(sum["threshold_zero"]["ceiling"]["gain"].get<double>() == Approx(0.7));
  CHECK(sum["threshold_zero"]["ceiling"]["bound_by"][0] == "c1");

  std::string md = report_markdown(s, info, {"c1", "c2"});
  CHECK(md.find("Baseline-hardware ceiling: **+70.0 %** (1000.0 img/s)") != std::string::npos);
  CHECK(md.find("a raise that breaks the budget is rolled back") != std::string::npos);
  RunInfo shared = info;
  shared.config.raise_share = 0.5;
  CHECK(report_markdown(s, shared, {"c1", "c2"}).find("a raise that breaks the budget, or costs more than 50 % of it "
                                                      "per ReLU raised (against the last kept thresholds), is rolled back") !=
        std::string::npos);
  auto o = outcome(s, Policy::latency_aware, true);
  REQUIRE(o);
  char gain[32];
  std::snprintf(gain, sizeof gain, "%+.1f %%", 100 * o->gain);
  CHECK(md.find("| latency-aware | **") != std::string::npos);
  // Each accuracy with its drop ± one standard error; a test drop beyond the budget is named.
  INFO(md);
  CHECK(md.find("| uniform | **+7.6 %** (632.9 img/s; top-1 86.75 % test (−1.25 ± 0.11), 89.00 % cal. (−1.00 ± 0.31), "
                "test drop over the budget) |") != std::string::npos);
  CHECK(md.find(gain) != std::string::npos);
  CHECK(throughput_vs_accuracy_svg(s).find("latency-aware, optimised hardware") != std::string::npos);
  CHECK(throughput_vs_accuracy_svg(s).find("baseline hardware, ceiling") != std::string::npos);
}

TEST_CASE("threshold config: defaults, validation and errors naming file and key", "[threshold]") {
  ThresholdConfig d = threshold_config_from_json(nlohmann::json::object(), "t.json");
  CHECK(d.policies.size() == 2);
  CHECK(d.budget == 1.0);
  CHECK(d.raise_share == 1.0);
  CHECK(d.accumulate);
  auto c = threshold_config_from_json(
      {{"policy", "latency-aware"}, {"step", 0.05}, {"budget", 0.5}, {"calibration", 200}, {"hardware", "baseline"}},
      "t.json");
  CHECK(c.policies == std::vector<Policy>{Policy::latency_aware});
  CHECK(c.step == 0.05);
  CHECK(c.calibration == 200);
  CHECK_FALSE(c.measures_optimised());
  CHECK(threshold_config_from_json(to_json(c), "t.json").step == 0.05);
  CHECK(d.hist_source == sparsity::HistSource::activations);
  const auto products = threshold_config_from_json({{"hist_source", "products"}}, "t.json");
  CHECK(products.hist_source == sparsity::HistSource::products);
  CHECK(threshold_config_from_json(to_json(products), "t.json").hist_source == sparsity::HistSource::products);
  CHECK(d.bottleneck == BottleneckChoice::relievable);
  for (const char* rule : {"relievable", "interval", "slowest"}) {
    const auto r = threshold_config_from_json({{"bottleneck", rule}}, "t.json");
    CHECK(to_string(r.bottleneck) == rule);
    CHECK(threshold_config_from_json(to_json(r), "t.json").bottleneck == r.bottleneck);
  }
  CHECK(d.bottleneck_reach == Reach::residual_when_frozen);
  for (const char* reach : {"nearest", "residual", "residual-when-frozen"}) {
    const auto r = threshold_config_from_json({{"bottleneck_reach", reach}}, "t.json");
    CHECK(to_string(r.bottleneck_reach) == reach);
    CHECK(threshold_config_from_json(to_json(r), "t.json").bottleneck_reach == r.bottleneck_reach);
  }
  const auto shared = threshold_config_from_json({{"raise_share", 0.25}}, "t.json");
  CHECK(threshold_config_from_json(to_json(shared), "t.json").raise_share == 0.25);
  CHECK(d.headroom);
  const auto bare = threshold_config_from_json({{"headroom", false}}, "t.json");
  CHECK_FALSE(bare.headroom);
  CHECK_FALSE(threshold_config_from_json(to_json(bare), "t.json").headroom);
  CHECK(d.chains == 1);
  CHECK(threshold_config_from_json(to_json(threshold_config_from_json({{"chains", 3}}, "t.json")), "t.json").chains == 3);

  auto error_of = [](const nlohmann::json& j) {
    try {
      threshold_config_from_json(j, "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of({{"stepp", 0.1}}).find("t.json: /stepp") != std::string::npos);
  CHECK(error_of({{"stepp", 0.1}}).find("did you mean 'step'") != std::string::npos);
  CHECK(error_of({{"policy", "fastest"}}).find("t.json: /policy") != std::string::npos);
  CHECK(error_of({{"bottleneck_reach", "far"}}).find("t.json: /bottleneck_reach") != std::string::npos);
  CHECK(error_of({{"step", -0.1}}).find("/step") != std::string::npos);
  CHECK(error_of({{"budget", -1}}).find("/budget") != std::string::npos);
  CHECK(error_of({{"calibration", 0}}).find("/calibration") != std::string::npos);
  CHECK(error_of({{"numerics", "double"}}).find("/numerics") != std::string::npos);
  CHECK(error_of({{"hist_source", "weights"}}).find("t.json: /hist_source") != std::string::npos);
  CHECK(error_of({{"bottleneck", "fastest"}}).find("t.json: /bottleneck") != std::string::npos);
  CHECK(error_of({{"headroom", "yes"}}).find("t.json: /headroom") != std::string::npos);
  CHECK(error_of({{"raise_share", 0}}).find("t.json: /raise_share") != std::string::npos);
  CHECK(error_of({{"raise_share", 1.5}}).find("t.json: /raise_share") != std::string::npos);
  CHECK(error_of({{"chains", 0}}).find("t.json: /chains") != std::string::npos);
  CHECK(error_of({{"chains", 1.5}}).find("t.json: /chains") != std::string::npos);
  CHECK(error_of({{"chains", 4097}}).find("t.json: /chains: expected at most 4096 chains") != std::string::npos);
}

TEST_CASE("a checkpoint with a bad field is an InputError naming it", "[threshold]") {
  ir::Graph g = network();
  ThresholdConfig c;
  c.max_iterations = 2;
  nlohmann::json j = to_json(run_all(g, c));
  CHECK(loop_state_from_json(j, "cp.json") == run_all(g, c));
  nlohmann::json drop = j;
  drop["runs"][0]["test_drop"]["worse"] = 20000;  // more changed images than the 10 000 measured
  CHECK_THROWS_WITH(loop_state_from_json(drop, "cp.json"), Catch::Contains("cp.json: /runs/0/test_drop/images"));
  drop["runs"][0]["test_drop"]["worse"] = -1;
  CHECK_THROWS_WITH(loop_state_from_json(drop, "cp.json"), Catch::Contains("cp.json: /runs/0/test_drop/worse"));
  j["runs"][0]["step"] = "fast";
  CHECK_THROWS_WITH(loop_state_from_json(j, "cp.json"), Catch::Contains("cp.json: /runs/0/step"));
}

TEST_CASE("the threshold-0 design is never slower than the reference design it competes with", "[threshold]") {
  const ir::Graph g = network();
  ThresholdConfig c;
  c.policies = {Policy::uniform};
  c.max_iterations = 1;
  // From scratch the world's DSE gives speed 1 with every layer of ≥ 10 % zeros sparse: c1 (fed by the
  // image) stays dense, so the partitions take 1000 and 700 cycles → 10⁶/1700 img/s.
  const double scratch = 1e6 / 1700;
  auto start_of = [&](const nlohmann::json* reference) {
    WorldMeasurer measurer(g);
    WorldHardware hardware;
    ThresholdLoop loop(g, c, measurer, hardware);
    if (reference) loop.compete_with(*reference);
    LoopState s = loop.initial_state(nlohmann::json::object());
    loop.step(s);
    return s;
  };
  CHECK(start_of(nullptr).baseline_throughput == Approx(scratch));
  // A slower reference (all dense at speed 1: 2000 cycles) changes nothing.
  const nlohmann::json slow = {{"speed", 1.0}, {"sparse", nlohmann::json::array()}};
  CHECK(start_of(&slow).baseline_throughput == Approx(scratch));
  // A faster one (speed 3, all dense: 1500 img/s) wins: the start re-optimises from it (speed 3.5, the
  // sparse layers chosen again) → 3.5·10⁶/1700 img/s, and that design is the baseline hardware.
  const nlohmann::json fast = {{"speed", 3.0}, {"sparse", nlohmann::json::array()}};
  const LoopState s = start_of(&fast);
  CHECK(s.baseline_throughput == Approx(3.5e6 / 1700));
  CHECK(s.baseline_design["speed"] == 3.5);
  CHECK(s.records.at(0).optimised_throughput == Approx(3.5e6 / 1700));
}
