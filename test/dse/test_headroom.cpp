#include <catch2/catch.hpp>

#include "networks.hpp"
#include "sparsedse/dse/headroom.hpp"
#include "sparsedse/dse/optimise.hpp"

using namespace sparsedse;
using namespace sparsedse::dse;
using namespace dse_test;

namespace {

Design with_folding(Design d, const std::vector<std::pair<std::string, hw::Folding>>& foldings) {
  SearchState s(std::move(d));
  for (const auto& [name, f] : foldings) s.set_folding(s.network().index(name), f);
  s.evaluate();
  s.commit();
  return s.design();
}

const hw::HwLayer& layer(const Design& d, const std::string& name) { return d.network.layers[d.network.index(name)]; }

std::int64_t multipliers(const Design& d) {
  std::int64_t n = 0;
  for (const hw::HwLayer& l : d.network.layers)
    if (hw::is_weighted(l.kind)) n += std::int64_t{l.folding.coarse_in} * l.folding.coarse_out * l.folding.coarse_group;
  return n;
}

}  // namespace

TEST_CASE("headroom widens a ReLU to the rate of the convolution it follows, and no further", "[dse][headroom]") {
  // conv 4→8, 3×3, 8×8, pad 1, fine 9, cin 2, cout 4: 64·(4/2)·(9/9)·(8/4) = 256 cycles; the ReLU after
  // it streams 8·8·8 = 512 words at coarse 1: 512 cycles, the interval. Coarse 2 gives 256; the conv
  // has no split of ≤ 8 multipliers faster than 256 (1×8 and 4×2 also give 256), so 256 is final.
  const ir::Graph g = two_layer_net();
  OptimiserConfig config;
  config.batch_size = 256;
  const Design start = with_folding(initial_design(g, small_platform(100, 1000000, 1000), {}, config),
                                    {{"conv", {2, 4, 1, 9}}, {"relu", {1, 1, 1, 1}}});
  REQUIRE(start.partition_metrics[0].interval == 512);
  // Independently: the best interval over every conv split of ≤ 8 multipliers × every ReLU coarse.
  std::int64_t best = -1;
  for (int cin : {1, 2, 4})
    for (int cout : {1, 2, 4, 8})
      for (int c : {1, 2, 4, 8}) {
        if (cin * cout > 8) continue;
        const Design d = with_folding(start, {{"conv", {cin, cout, 1, 9}}, {"relu", {c, c, 1, 1}}});
        if (best < 0 || d.partition_metrics[0].interval < best) best = d.partition_metrics[0].interval;
      }
  REQUIRE(best == 256);

  const Design widened = add_headroom(start, g, g);
  CHECK(widened.partition_metrics[0].interval == 256);
  CHECK(layer(widened, "relu").folding == hw::Folding{2, 2, 1, 1});  // the smallest that does it
  CHECK(layer(widened, "conv").folding == hw::Folding{2, 4, 1, 9});
  CHECK(widened.partition_metrics[0].resources.dsp == start.partition_metrics[0].resources.dsp);
  // Nothing left to gain: a second pass changes nothing.
  CHECK(to_json(add_headroom(widened, g, g)) == to_json(widened));
}

TEST_CASE("headroom gives a convolution spare multipliers only when no split of its own can speed it up",
          "[dse][headroom]") {
  // conv 4→8, 3×3, 8×8, pad 1, fine 9: latency = max(64·(4/cin)·(8/cout) products, 10·10·4/cin words in,
  // 64·8/cout words out). At 2×4 it is 256 cycles, as the ReLU at coarse 2 (512/2). The other splits of 8
  // multipliers are no faster (1×8: 400 in, 4×2: 256) and without statistics there is no sparse mode, so
  // the conv needs more multipliers: of 16, 4×4 gives 128 (2×8: 200 in); 32 (4×8) would give 100. The
  // platform has DSPs for 24 multipliers (the ReLU's LUTs are never short).
  const ir::Graph g = two_layer_net();
  OptimiserConfig config;
  config.batch_size = 256;
  const auto design_on = [&](std::int64_t dsp) {
    return with_folding(initial_design(g, small_platform(dsp, 1000000, 1000), {}, config),
                        {{"conv", {2, 4, 1, 9}}, {"relu", {2, 2, 1, 1}}});
  };
  const Design start = design_on(24);
  REQUIRE(start.partition_metrics[0].interval == 256);
  const std::int64_t dsp_per_multiplier = start.partition_metrics[0].resources.dsp / 8;
  REQUIRE(dsp_per_multiplier >= 1);
  const Design start_24 = design_on(24 * dsp_per_multiplier);
  REQUIRE(start_24.feasible());
  // Independently: every conv split × ReLU coarse that fits 24 multipliers' DSPs, best interval 128.
  std::int64_t best = -1;
  for (int cin : {1, 2, 4})
    for (int cout : {1, 2, 4, 8})
      for (int c : {1, 2, 4, 8}) {
        const Design d = with_folding(start_24, {{"conv", {cin, cout, 1, 9}}, {"relu", {c, c, 1, 1}}});
        if (d.feasible() && (best < 0 || d.partition_metrics[0].interval < best)) best = d.partition_metrics[0].interval;
      }
  REQUIRE(best == 128);

  const Design widened = add_headroom(start_24, g, g);
  CHECK(widened.feasible());
  CHECK(widened.partition_metrics[0].interval == 128);
  CHECK(layer(widened, "conv").folding == hw::Folding{4, 4, 1, 9});  // the fewest multipliers that do it
  CHECK(layer(widened, "relu").folding == hw::Folding{4, 4, 1, 1});
  // With the fewest DSPs the start fits in (short of 16 multipliers'), the design stays as it was.
  std::int64_t fewest = start.partition_metrics[0].resources.dsp;
  while (!design_on(fewest).feasible()) ++fewest;
  REQUIRE(fewest < 16 * dsp_per_multiplier);
  const Design tight = design_on(fewest);
  CHECK(to_json(add_headroom(tight, g, g)) == to_json(tight));
}

TEST_CASE("headroom raises the ceiling of an optimised design at no DSPs and at most 0.1 % of its own throughput",
          "[dse][headroom]") {
  // The residual network optimised for 30–70 % zeros, then judged on (nearly) all-zero windows.
  ir::Graph g = residual_net();
  attach_stats(g, 0.3, 0.4);
  ir::Graph limit = residual_net();
  attach_stats(limit, 0.99, 0.0);
  OptimiserConfig config;
  config.batch_size = 256;
  OptimiseOptions run;
  run.solver = Solver::greedy;
  const Design start = optimise(g, small_platform(300, 60000, 200), {}, config, run).design;
  REQUIRE(start.feasible());

  const Design widened = add_headroom(start, g, limit);
  CHECK(widened.feasible());
  CHECK(widened.metrics.throughput >= start.metrics.throughput * (1 - 1e-3));
  CHECK(evaluate(widened, limit).metrics.throughput > 1.2 * evaluate(start, limit).metrics.throughput);  // +55 %
  CHECK(multipliers(widened) <= multipliers(start));  // every holder here has a split or sparse mode of its own
  REQUIRE(widened.partitions.size() == start.partitions.size());
  for (std::size_t p = 0; p < start.partitions.size(); ++p) {
    CHECK(widened.partitions[p].nodes == start.partitions[p].nodes);
    CHECK(widened.partitions[p].wr_factor == start.partitions[p].wr_factor);
  }
  // DSP-free layers only ever widen.
  for (int v = 0; v < start.network.size(); ++v)
    if (!hw::is_weighted(start.network.layers[v].kind))
      CHECK(widened.network.layers[v].folding.coarse_in >= start.network.layers[v].folding.coarse_in);
  // The limit's interval is now held by a weighted layer (a stream adapter or a cheap layer no longer).
  const Design at_limit = evaluate(widened, limit);
  for (std::size_t p = 0; p < at_limit.partitions.size(); ++p) {
    const int b = at_limit.partition_metrics[p].bottleneck;
    CAPTURE(p, b);
    REQUIRE(b >= 0);
    CHECK(hw::is_weighted(at_limit.network.layers[b].kind));
  }
}
