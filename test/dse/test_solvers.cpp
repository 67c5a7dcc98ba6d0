#include <catch2/catch.hpp>

#include <omp.h>

#include "networks.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/dse/solvers.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/hw/platform.hpp"

using namespace sparsedse;
using namespace sparsedse::dse;
using namespace dse_test;

namespace {

OptimiserConfig batch_config(int batch) {
  OptimiserConfig c;
  c.batch_size = batch;
  return c;
}

// Exhaustive search over conv folding × relu coarse of the two-layer network: the smallest interval
// among designs that fit (an independent answer for the solvers).
std::int64_t brute_force_interval(const ir::Graph& g, const hw::Platform& platform, const OptimiserConfig& config) {
  SearchState s(initial_design(g, platform, {}, config));
  const int conv = s.network().index("conv"), relu = s.network().index("relu");
  const hw::FoldingSpace cf = s.feasible_folding(conv), rf = s.feasible_folding(relu);
  std::int64_t best = -1;
  for (int cin : cf.coarse_in)
    for (int cout : cf.coarse_out)
      for (int fine : cf.fine)
        for (int c : rf.coarse_in) {
          s.set_folding(conv, {cin, cout, 1, fine});
          s.set_folding(relu, {c, c, 1, 1});
          s.evaluate();
          if (s.feasible() && (best < 0 || s.partition_metrics(0).interval < best)) best = s.partition_metrics(0).interval;
          s.rollback();
        }
  return best;
}

std::int64_t product(const hw::HwLayer& l) {
  return std::int64_t{l.folding.coarse_in} * l.folding.coarse_out * l.folding.coarse_group * l.folding.fine;
}

}  // namespace

TEST_CASE("rule and greedy solvers on a hand-checked two-layer network", "[dse][solvers]") {
  // conv 4→8, 3×3, 8×8, pad 1: 18432 MACs; DSP = fine·cin·cout (model.md §6.3 vector dot, 16 bit).
  // 20 DSP at 90 % allow 18, the largest feasible product (fine 9 × cin·cout 2); the interval is then
  // Ho·Wo·Cv·Fl = 64·(36/(9·cin))·(8/cout) = 18432/18 = 1024 cycles.
  const ir::Graph g = two_layer_net();
  // Batch 256, so the interval (not the fill latency) decides the cost.
  const hw::Platform platform = small_platform(20, 1000000, 1000);
  const OptimiserConfig config = batch_config(256);
  REQUIRE(brute_force_interval(g, platform, config) == 1024);
  for (Solver solver : {Solver::rule, Solver::greedy}) {
    INFO("solver " << to_string(solver));
    OptimiseOptions run;
    run.solver = solver;
    const OptimiseResult r = optimise(g, platform, {}, config, run);
    const Design& d = r.design;
    REQUIRE(d.feasible());
    const hw::HwLayer& conv = d.network.layers[d.network.index("conv")];
    CHECK(conv.folding.fine == 9);
    CHECK(product(conv) == 18);
    CHECK(d.partition_metrics[0].resources.dsp == 18);
    CHECK(d.partition_metrics[0].interval == 1024);
    CHECK(d.partition_metrics[0].bottleneck == d.network.index("conv"));
  }
}

TEST_CASE("annealing never ends worse than its rule-based start and keeps designs feasible", "[dse][solvers]") {
  ir::Graph g = residual_net();
  attach_stats(g, 0.4, 0.4);
  const hw::Platform platform = small_platform(120, 60000, 120);
  OptimiserConfig config = batch_config(8);
  config.annealing.cool = 0.9;  // a short schedule: ⌈ln(0.0007)/ln(0.9)⌉ = 69 steps
  OptimiseOptions rule;
  rule.solver = Solver::rule;
  const Design base = optimise(g, platform, {}, config, rule).design;
  REQUIRE(base.feasible());
  OptimiseOptions sa;
  sa.seed = 11;
  const OptimiseResult r = optimise(g, platform, {}, config, sa);
  CHECK(r.design.feasible());
  CHECK(r.design.cost() <= base.cost());
  CHECK(r.stats.temperature_steps == config.annealing.temperature_steps());
  CHECK(r.stats.infeasible > 0);  // near the budget some chains overflow it and are rejected
  for (const hw::PartitionMetrics& m : r.design.partition_metrics) {
    CHECK(m.utilisation.dsp <= 0.9);
    CHECK(m.utilisation.lut <= 0.9);
    CHECK(m.utilisation.bram <= 0.9);
  }
}

TEST_CASE("a design that cannot fit is an input error naming the layer", "[dse][solvers]") {
  const ir::Graph g = two_layer_net();
  const hw::Platform tiny = small_platform(20, 500, 1000);  // 450 LUTs: too few for the conv at folding 1
  OptimiseOptions run;
  run.solver = Solver::rule;
  CHECK_THROWS_WITH(optimise(g, tiny, {}, batch_config(1), run),
                    Catch::Contains("does not fit") && Catch::Contains("LUT"));
}

TEST_CASE("optimisation is deterministic per seed and independent of the thread count", "[dse][solvers]") {
  ir::Graph g = residual_net();
  attach_stats(g, 0.4, 0.4);
  const hw::Platform platform = small_platform(120, 60000, 120);
  OptimiserConfig config = batch_config(8);
  config.annealing.cool = 0.9;
  config.annealing.iterations = 2;
  OptimiseOptions run;
  run.seed = 5;
  run.chains = 4;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const nlohmann::json one = to_json(optimise(g, platform, {}, config, run).design);
  omp_set_num_threads(4);
  const nlohmann::json four = to_json(optimise(g, platform, {}, config, run).design);
  const nlohmann::json again = to_json(optimise(g, platform, {}, config, run).design);
  omp_set_num_threads(threads);
  CHECK(one.dump() == four.dump());
  CHECK(four.dump() == again.dump());

  // Different seeds explore differently: chains with other seeds visit other designs.
  const Design start = initial_design(g, platform, {}, config);
  SearchState s(start, mode_table(g, start.network, start.options));
  const Transforms t(s, config);
  SearchState a = s, b = s;
  const SearchState::Snapshot sa = anneal(a, t, config, 1), sb = anneal(b, t, config, 2);
  bool differ = false;
  for (int v = 0; v < s.size(); ++v) differ = differ || !(a.layer(v).folding == b.layer(v).folding);
  CHECK(differ);
}

TEST_CASE("warm start continues from a given design", "[dse][solvers]") {
  ir::Graph g = residual_net();
  attach_stats(g, 0.4, 0.4);
  const hw::Platform platform = small_platform(120, 60000, 120);
  OptimiserConfig config = batch_config(8);
  OptimiseOptions rule;
  rule.solver = Solver::rule;
  const Design first = optimise(g, platform, {}, config, rule).design;

  // A schedule with no temperature step returns the warm start itself.
  OptimiserConfig frozen = config;
  frozen.annealing.T_min = frozen.annealing.T;
  OptimiseOptions warm;
  warm.warm_start = &first;
  const Design same = optimise(g, platform, {}, frozen, warm).design;
  CHECK(to_json(same) == to_json(first));

  // New statistics: the warm start keeps folding and partitions, sparse layers take the new histograms,
  // and annealing from it is never worse than the warm design re-evaluated on the new statistics.
  // A ReLU that gained a threshold (model.md §8.1) is the same hardware: the model's kind wins.
  ir::Graph sparser = residual_net();
  attach_stats(sparser, 0.7, 0.2);
  sparser.layer("r2").threshold = 0.25f;
  const Design adopted = optimise(sparser, platform, {}, frozen, warm).design;
  for (int v = 0; v < first.network.size(); ++v) {
    CHECK(adopted.network.layers[v].folding == first.network.layers[v].folding);
    if (first.network.names[v] == "r2") CHECK(adopted.network.layers[v].kind == hw::LayerKind::thresholded_relu);
    else CHECK(adopted.network.layers[v].kind == first.network.layers[v].kind);
  }
  const Design fixed = evaluate(first, sparser);
  CHECK(adopted.metrics.cycles == fixed.metrics.cycles);
  config.annealing.cool = 0.9;
  const Design better = optimise(sparser, platform, {}, config, warm).design;
  CHECK(better.cost() <= fixed.cost());
}

TEST_CASE("annealing beats random search with the same moves", "[dse][solvers]") {
  ir::Graph g = residual_net();
  const hw::Platform platform = small_platform(120, 60000, 120);
  OptimiserConfig config = batch_config(8);
  config.annealing.iterations = 1;
  config.annealing.cool = 0.995;
  config.annealing.T_min = 0.001;
  config.annealing.k = 0.001;
  config.annealing.normalise_cost = true;
  const Design start = initial_design(g, platform, {}, config);
  SearchState s(start);
  const Transforms t(s, config);
  int sa_wins = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SearchState a = s, b = s;
    SolverStats stats;
    const SearchState::Snapshot annealed = anneal(a, t, config, seed, &stats);
    const SearchState::Snapshot random = random_search(b, t, stats.moves, seed);
    if (annealed.cost <= random.cost) ++sa_wins;
  }
  CHECK(sa_wins == 3);
}

TEST_CASE("BRAM overflow goes off-chip while the bandwidth lasts, so the greedy solver folds ResNet-50", "[dse][solvers]") {
  // Zoo ResNet-50 (CIFAR) on the U250 at folding 1: its weights overflow BRAM, and the spec's
  // allocate_memory turns the overflow into LUTRAM, which fills the LUT allocation, so every larger
  // folding failed to fit and the greedy solver ended at folding 1 (3.4 img/s).
  const ir::Graph g = frontend::zoo_model("resnet50-cifar");
  const hw::Platform u250 = hw::find_platform("u250");
  const OptimiserConfig config = find_optimiser_config("default");
  SearchState s(initial_design(g, u250, {}, config));
  const Transforms t(s, config);
  make_feasible(s, t, config);
  const double bw_max = config.resource_allocation * u250.memory_bandwidth_gbps;

  allocate_memory(s, 0, config);
  s.evaluate();
  const hw::PartitionMetrics lutram = s.partition_metrics(0);
  REQUIRE(lutram.fits());
  CHECK(lutram.bram_converted > 0);
  CHECK(lutram.utilisation.lut > 0.8);

  allocate_memory(s, 0, config, BramOverflow::off_chip);
  s.evaluate();
  const hw::PartitionMetrics off_chip = s.partition_metrics(0);
  CHECK(off_chip.fits());
  CHECK(off_chip.bram_converted < lutram.bram_converted);
  CHECK(off_chip.resources.lut < lutram.resources.lut);
  CHECK(off_chip.bandwidth.total() > lutram.bandwidth.total());
  CHECK(off_chip.bandwidth.total() <= bw_max);
  CHECK(off_chip.interval == lutram.interval);

  OptimiseOptions run;
  run.solver = Solver::greedy;
  const Design d = optimise(g, u250, {}, config, run).design;
  CHECK(d.feasible());
  CHECK(d.metrics.throughput > 10 * s.metrics().throughput);  // 428 img/s; 3.4 before
}
