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
  CHECK(multipliers(widened) <= multipliers(start));
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
