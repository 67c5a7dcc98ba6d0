#include <catch2/catch.hpp>

#include <omp.h>

#include "dse/networks.hpp"
#include "sparsedse/threshold/backends.hpp"

using namespace sparsedse;
using namespace sparsedse::threshold;

namespace {

DseSettings annealing_only(int chains) {
  DseSettings s;
  s.platform = dse_test::small_platform(120, 60000, 120);
  s.optimiser.batch_size = 8;
  s.optimiser.annealing.cool = 0.9;
  s.optimiser.annealing.iterations = 2;
  s.solver = dse::Solver::sa;
  s.anneal = false;  // one annealing run per optimise(): its chains are the only difference
  s.chains = chains;
  return s;
}

}  // namespace

TEST_CASE("loop DSE chains: chain 0 is the one-chain search, so more chains never end it slower",
          "[threshold][dse]") {
  ir::Graph g = dse_test::residual_net();
  dse_test::attach_stats(g, 0.4, 0.4);
  DseHardware one(annealing_only(1)), four(annealing_only(4));
  int faster = 0;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    INFO("seed " << seed);
    const Measured a = one.optimise(g, nullptr, seed), b = four.optimise(g, nullptr, seed);
    REQUIRE(a.feasible);
    REQUIRE(b.feasible);
    CHECK(b.throughput >= a.throughput);
    if (b.throughput > a.throughput) ++faster;
    // From a warm start the same holds: the warm design re-evaluated, then the chains from it.
    const Measured wa = one.optimise(g, &a.design, seed + 100), wb = four.optimise(g, &a.design, seed + 100);
    CHECK(wa.throughput >= a.throughput);
    CHECK(wb.throughput >= wa.throughput);
  }
  CHECK(faster > 0);  // the other chains are searched, not just chain 0
}

TEST_CASE("loop DSE chains: the design depends on the seed alone, not on the thread count", "[threshold][dse]") {
  ir::Graph g = dse_test::residual_net();
  dse_test::attach_stats(g, 0.4, 0.4);
  DseHardware four(annealing_only(4));
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const std::string serial = four.optimise(g, nullptr, 7).design.dump();
  omp_set_num_threads(4);
  const std::string parallel = four.optimise(g, nullptr, 7).design.dump();
  omp_set_num_threads(threads);
  CHECK(serial == parallel);
}
