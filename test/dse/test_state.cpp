#include <catch2/catch.hpp>

#include <algorithm>

#include "networks.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/dse/transforms.hpp"

using namespace sparsedse;
using namespace sparsedse::dse;
using namespace dse_test;

namespace {

OptimiserConfig all_transforms() {
  OptimiserConfig c;
  c.batch_size = 4;
  c.coarse.probability = 0.3;
  c.fine.probability = 0.2;
  c.weights_reloading.probability = 0.1;
  c.partition.probability = 0.15;
  c.bram_uram_balancing.probability = 0.1;
  c.off_chip_streaming_transform.probability = 0.1;
  c.sparsity.probability = 0.1;
  c.bottleneck.probability = 0.1;
  return c;
}

// The legality invariants every transform must keep (model.md §2.3, §2.4, §4.8, §7.3).
void check_legal(const SearchState& s, const std::vector<int>& cuts) {
  const hw::Network& net = s.network();
  for (int v = 0; v < s.size(); ++v) {
    const hw::HwLayer& l = net.layers[v];
    INFO("layer " << net.names[v]);
    const hw::FoldingSpace fresh = hw::feasible_folding(l);
    CHECK(hw::is_feasible(l.folding, fresh));
    CHECK(hw::is_feasible(l.folding, s.feasible_folding(v)));
    if (!hw::is_weighted(l.kind)) CHECK(l.folding.coarse_in == l.folding.coarse_out);
    CHECK(hw::is_sparse(l.kind) == static_cast<bool>(l.sparsity));
    if (l.stream_weights > 0) CHECK(l.stream_weights <= hw::weight_memory(l, s.options()).ram);
  }
  // Partitions: contiguous, covering, cut only at allowed cuts.
  int next = 0;
  for (int p = 0; p < s.partition_count(); ++p) {
    const hw::Partition& part = s.partitions()[p];
    REQUIRE_FALSE(part.nodes.empty());
    for (int v : part.nodes) CHECK(v == next++);
    if (p + 1 < s.partition_count()) CHECK(std::binary_search(cuts.begin(), cuts.end(), part.nodes.back()));
    CHECK(part.wr_layer == (part.enable_wr ? hw::find_wr_layer(net, part) : -1));
    if (part.wr_layer >= 0) {
      const std::vector<int> options = s.weights_reloading_options(p);
      CHECK(std::binary_search(options.begin(), options.end(), part.wr_factor));
    } else {
      CHECK(part.wr_factor == 1);
    }
    for (int v : part.nodes) CHECK(s.partition_of(v) == p);
  }
  CHECK(next == s.size());
}

// Incremental metrics equal a full re-evaluation of the same design.
void check_consistent(SearchState& s) {
  s.evaluate();
  const Design full = s.design();
  CHECK(full.metrics.cycles == s.metrics().cycles);
  CHECK(full.cost() == Approx(s.cost()).epsilon(1e-12));
  CHECK(full.metrics.fits == s.feasible());
  for (int p = 0; p < s.partition_count(); ++p) {
    CHECK(full.partition_metrics[p].interval == s.partition_metrics(p).interval);
    CHECK(full.partition_metrics[p].resources == s.partition_metrics(p).resources);
  }
}

}  // namespace

TEST_CASE("allowed cuts never fall inside a residual block", "[dse][transforms]") {
  const ir::Graph g = residual_net();
  const Design d = initial_design(g, hw::find_platform("u250"), {}, OptimiserConfig{});
  const hw::Network& net = d.network;
  const std::vector<int> cuts = allowed_cuts(net, PartitionTransform{});
  std::vector<std::string> after;
  for (int c : cuts) after.push_back(net.names[c]);
  // Topological order: c1 r1 r1_split c2 r2 c3 add r3 c4 r4 gap fc. Inside the block (r1_split .. c3)
  // two edges cross; the cut before `add` enters a merge layer.
  CHECK(after == std::vector<std::string>{"c1", "r1", "add", "r3", "c4", "r4", "gap"});
  PartitionTransform only;
  only.allowed_partitions = {{"ReLU", "Convolution"}};
  std::vector<std::string> relu_conv;
  for (int c : allowed_cuts(net, only)) relu_conv.push_back(net.names[c]);
  CHECK(relu_conv == std::vector<std::string>{"r3"});
}

TEST_CASE("random transform sequences keep the design legal and rollback exact", "[dse][transforms]") {
  ir::Graph g = residual_net();
  attach_stats(g, 0.5, 0.3);
  const OptimiserConfig config = all_transforms();
  const hw::Platform platform = hw::find_platform("u250");
  Design d = initial_design(g, platform, {}, config);
  const ModeTable modes = mode_table(g, d.network, d.options);
  REQUIRE(std::count_if(modes.begin(), modes.end(), [](const ModeOption& m) { return m.available; }) == 3);
  SearchState s(d, modes);
  const Transforms t(s, config);
  for (int kind = 0; kind < kTransforms; ++kind) CHECK(t.enabled(static_cast<Transform>(kind)));

  std::array<int, kTransforms> applied{};
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    Rng rng(seed);
    for (int step = 0; step < 300; ++step) {
      SearchState::Snapshot before;
      s.save(before);
      const double cost = s.cost();
      const int moves = 1 + static_cast<int>(rng() % 4);
      for (int m = 0; m < moves; ++m)
        if (auto tr = t.apply_random(s, rng)) ++applied[static_cast<int>(*tr)];
      s.evaluate();
      check_legal(s, t.cuts());
      if (step % 3 == 0) {
        s.rollback();  // exactly the state before
        CHECK(s.cost() == cost);
        for (int v = 0; v < s.size(); ++v) {
          CHECK(s.layer(v).folding == before.layers[v].folding);
          CHECK(s.layer(v).kind == before.layers[v].kind);
          CHECK(s.layer(v).use_uram == before.layers[v].use_uram);
          CHECK(s.layer(v).channels == before.layers[v].channels);
        }
        CHECK(s.partition_count() == static_cast<int>(before.partitions.size()));
      } else {
        s.commit();
      }
      if (step % 50 == 0) check_consistent(s);
    }
  }
  check_consistent(s);
  for (int kind = 0; kind < kTransforms; ++kind) {
    INFO("transform " << to_string(static_cast<Transform>(kind)));
    CHECK(applied[kind] > 0);
  }
}

TEST_CASE("nested checkpoints restore intermediate states", "[dse][state]") {
  const ir::Graph g = residual_net();
  SearchState s(initial_design(g, hw::find_platform("u250"), {}, OptimiserConfig{}));
  const int c2 = s.network().index("c2"), c3 = s.network().index("c3");
  const double c0 = s.cost();
  const SearchState::Checkpoint a = s.checkpoint();
  s.set_folding(c2, {2, 2, 1, 3});
  s.set_folding(c3, {2, 2, 1, 3});
  s.evaluate();
  const double c1 = s.cost();
  CHECK(c1 < c0);  // c2 and c3 (36864 MACs each) set the interval at folding 1
  const SearchState::Checkpoint b = s.checkpoint();
  s.split(0, s.network().index("r3"));
  s.set_folding(c2, {8, 8, 1, 9});
  s.evaluate();
  CHECK(s.partition_count() == 2);
  s.rollback_to(b);
  CHECK(s.partition_count() == 1);
  CHECK(s.cost() == c1);
  CHECK(s.layer(c2).folding == hw::Folding{2, 2, 1, 3});
  s.evaluate();
  CHECK(s.cost() == c1);
  s.rollback_to(a);
  CHECK(s.cost() == c0);
  CHECK(s.layer(c2).folding == hw::Folding{});
  CHECK(s.layer(c3).folding == hw::Folding{});
}

TEST_CASE("weights reloading changes shapes and is undone", "[dse][state]") {
  const ir::Graph g = residual_net();
  OptimiserConfig config;
  config.batch_size = 2;
  SearchState s(initial_design(g, hw::find_platform("u250"), {}, config));
  const int fc = s.network().index("fc");
  REQUIRE(s.weights_reloading_layer(0) == fc);  // the last weighted layer before the output (§4.8)
  CHECK(s.weights_reloading_options(0) == std::vector<int>{1, 2, 5, 10});
  const std::int64_t cycles = s.metrics().cycles;
  s.set_weights_reloading(0, 5);
  s.evaluate();
  CHECK(s.layer(fc).filters == 2);
  // (interval·B + PD)·wr + (wr − 1)·size_wr: the batch runs 5 times (§4.6).
  CHECK(s.metrics().cycles > 4 * cycles);
  s.rollback();
  CHECK(s.layer(fc).filters == 10);
  CHECK(s.metrics().cycles == cycles);
}
