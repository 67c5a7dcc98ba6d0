#include <catch2/catch.hpp>

#include "sparsedse/threshold/policy.hpp"

using namespace sparsedse;
using namespace sparsedse::threshold;
using ir::LayerKind;

namespace {

ir::Vertex add(ir::Graph& g, const std::string& name, LayerKind kind, std::vector<ir::Vertex> inputs) {
  ir::Layer l;
  l.name = name;
  l.kind = kind;
  l.output_tensor = name;
  ir::Vertex v = g.add_layer(l);
  for (std::size_t port = 0; port < inputs.size(); ++port) g.connect(inputs[port], v, int(port));
  return v;
}

// A two-block residual network, hand-built with explicit forks:
//   input → c1 → r1 → pool → pool_split ─┬→ c2 → r2 → c3 → add1 → r3 → r3_split ─┬→ c4 → r4 → c5 → add2 → r5 → gap → flatten → fc
//                                        └──────────────────────→ add1           └→ sc (1×1) ──────→ add2
struct Net {
  ir::Graph g;
  Net() {
    auto in = add(g, "input", LayerKind::Input, {});
    auto c1 = add(g, "c1", LayerKind::Convolution, {in});
    auto r1 = add(g, "r1", LayerKind::ReLU, {c1});
    auto pool = add(g, "pool", LayerKind::MaxPool, {r1});
    auto ps = add(g, "pool_split", LayerKind::Split, {pool});
    auto c2 = add(g, "c2", LayerKind::Convolution, {ps});
    auto r2 = add(g, "r2", LayerKind::ReLU, {c2});
    auto c3 = add(g, "c3", LayerKind::Convolution, {r2});
    auto a1 = add(g, "add1", LayerKind::EltwiseAdd, {c3, ps});
    auto r3 = add(g, "r3", LayerKind::ReLU, {a1});
    auto r3s = add(g, "r3_split", LayerKind::Split, {r3});
    auto c4 = add(g, "c4", LayerKind::Convolution, {r3s});
    auto r4 = add(g, "r4", LayerKind::ReLU, {c4});
    auto c5 = add(g, "c5", LayerKind::Convolution, {r4});
    auto sc = add(g, "sc", LayerKind::Convolution, {r3s});
    auto a2 = add(g, "add2", LayerKind::EltwiseAdd, {c5, sc});
    auto r5 = add(g, "r5", LayerKind::ReLU, {a2});
    auto gap = add(g, "gap", LayerKind::GlobalAveragePool, {r5});
    auto fl = add(g, "flatten", LayerKind::Flatten, {gap});
    add(g, "fc", LayerKind::InnerProduct, {fl});
  }
  std::vector<std::string> feeding(const std::string& layer) const { return feeding_relus(g, g.vertex(layer)); }
};

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("feeding ReLUs walk back through split, pooling, eltwise and flatten", "[threshold]") {
  Net n;
  CHECK(n.feeding("c1").empty());          // fed by the network input: no threshold reaches it
  CHECK(n.feeding("c2") == Names{"r1"});   // split ← max pool ← r1
  CHECK(n.feeding("c3") == Names{"r2"});   // direct
  CHECK(n.feeding("c4") == Names{"r3"});   // split ← r3
  CHECK(n.feeding("sc") == Names{"r3"});
  CHECK(n.feeding("c5") == Names{"r4"});
  CHECK(n.feeding("fc") == Names{"r5"});   // flatten ← global pool ← r5
  // The eltwise walks on to its shortcut's ReLU but stops at the convolution on the other side.
  CHECK(n.feeding("r3") == Names{"r1"});
  CHECK(n.feeding("r5").empty());  // add2 adds two convolutions (c5 and the projection sc)

  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("c1")));
  CHECK(threshold_sensitive(n.g, n.g.vertex("c2")));
  CHECK(threshold_sensitive(n.g, n.g.vertex("fc")));
  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("add1")));  // not a layer with window statistics
  CHECK(relu_names(n.g) == Names{"r1", "r2", "r3", "r4", "r5"});
}

TEST_CASE("residual reach adds the ReLUs behind both branches of a block's output add", "[threshold]") {
  Net n;
  auto residual = [&](const std::string& layer) { return feeding_relus(n.g, n.g.vertex(layer), true); };
  // c4 reads r3 = relu(add1(c3(r2), pool(r1))): each branch brings its nearest ReLU, through c3 to r2.
  CHECK(residual("c4") == Names{"r1", "r2", "r3"});
  CHECK(residual("sc") == Names{"r1", "r2", "r3"});
  // r4 rectifies a convolution, not an add: nothing more.
  CHECK(residual("c5") == Names{"r4"});
  // fc reads r5 = relu(add2(c5(r4), sc(r3))): through global pool and flatten, then both projections.
  CHECK(residual("fc") == Names{"r3", "r4", "r5"});
  // A bottleneck whose own ReLU is frozen stays relievable through its block's branches.
  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("c4"), {"r3"}));
  CHECK(threshold_sensitive(n.g, n.g.vertex("c4"), {"r3"}, Reach::residual));
  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("c4"), {"r1", "r2", "r3"}, Reach::residual));

  BottleneckRule rule;
  rule.reach = Reach::residual;
  const PartitionLatencies design = {{{{"c4", 900, true, 100}, {"c5", 800, true, 100}, {"fc", 10, true, 1}}}};
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, {}) == Names{"r3"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, rule) == Names{"r1", "r2", "r3"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, rule, {"r3"}) == Names{"r1", "r2"});
}

TEST_CASE("residual-when-frozen reach takes a block's branches only once its output ReLU is frozen", "[threshold]") {
  Net n;
  auto relieving = [&](const std::string& layer, const FrozenRelus& frozen) {
    return relieving_relus(n.g, n.g.vertex(layer), Reach::residual_when_frozen, frozen);
  };
  // While r3 can rise it alone relieves c4 (as nearest); frozen, the block's branches take over.
  CHECK(relieving("c4", {}) == Names{"r3"});
  CHECK(relieving("c4", {"r3"}) == Names{"r1", "r2"});
  CHECK(relieving("c4", {"r3", "r2"}) == Names{"r1"});
  CHECK(relieving("c4", {"r1", "r2", "r3"}).empty());
  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("c4"), {"r1", "r2", "r3"}, Reach::residual_when_frozen));
  // r4 rectifies a convolution: with it frozen, nothing is left for c5.
  CHECK(relieving("c5", {"r4"}).empty());
  CHECK_FALSE(threshold_sensitive(n.g, n.g.vertex("c5"), {"r4"}, Reach::residual_when_frozen));
  // The other reaches on the same cases: nearest gives up, residual raises all three from the start.
  CHECK(relieving_relus(n.g, n.g.vertex("c4"), Reach::nearest, {"r3"}).empty());
  CHECK(relieving_relus(n.g, n.g.vertex("c4"), Reach::residual, {}) == Names{"r1", "r2", "r3"});

  // In the policy: c4 (slowest) is relieved by r3; once r3 is frozen, by r1 and r2 instead of c5 taking over.
  BottleneckRule rule;
  rule.reach = Reach::residual_when_frozen;
  const PartitionLatencies design = {{{{"c4", 900, true, 100}, {"c5", 800, true, 100}, {"fc", 10, true, 1}}}};
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, rule) == Names{"r3"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, rule, {"r3"}) == Names{"r1", "r2"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, {}, {"r3"}) == Names{"r4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, design, rule, {"r1", "r2", "r3"}) == Names{"r4"});
}

TEST_CASE("feeding ReLUs of a concat and of an add without a ReLU after it", "[threshold]") {
  ir::Graph g;
  auto in = add(g, "input", LayerKind::Input, {});
  auto xs = add(g, "input_split", LayerKind::Split, {in});
  auto ca = add(g, "ca", LayerKind::Convolution, {xs});
  auto cb = add(g, "cb", LayerKind::Convolution, {xs});
  auto ra = add(g, "ra", LayerKind::ReLU, {ca});
  auto rb = add(g, "rb", LayerKind::ReLU, {cb});
  auto cat = add(g, "cat", LayerKind::Concat, {rb, ra});
  auto cc = add(g, "cc", LayerKind::Convolution, {cat});
  auto sum = add(g, "sum", LayerKind::EltwiseAdd, {cc, xs});  // conv + raw input: no ReLU on either side
  add(g, "cd", LayerKind::Convolution, {sum});
  auto avg = add(g, "avg", LayerKind::AveragePool, {cat});
  add(g, "ce", LayerKind::Convolution, {avg});

  CHECK(feeding_relus(g, g.vertex("cc")) == Names{"ra", "rb"});  // both concat inputs, name-sorted
  CHECK(feeding_relus(g, g.vertex("ce")) == Names{"ra", "rb"});  // through average pooling too
  CHECK(feeding_relus(g, g.vertex("cd")).empty());
  CHECK_FALSE(threshold_sensitive(g, g.vertex("cd")));
  // Frozen ReLUs no longer count: cc stays sensitive while one of its two ReLUs may rise.
  CHECK(threshold_sensitive(g, g.vertex("cc"), {"ra"}));
  CHECK_FALSE(threshold_sensitive(g, g.vertex("cc"), {"ra", "rb"}));
}

TEST_CASE("latency-aware policy raises the ReLUs behind each partition's slowest sensitive layer", "[threshold]") {
  Net n;
  // c1 is the slowest layer of partition 0 but no threshold changes its input: c2 is the bottleneck.
  // In partition 1, c4 and sc tie (the smaller name wins); the hardware-only squeeze is ignored.
  PartitionLatencies parts = {
      {{{"c1", 1000, true}, {"c2", 500, true}, {"c3", 400, true}, {"add1", 900, false}}},
      {{{"c4", 300, true}, {"sc", 300, true}, {"c5", 200, true}, {"r3_squeeze_c4", 9999, false}, {"fc", 10, true}}},
  };
  CHECK(slowest_sensitive_layers(n.g, parts) == Names{"c2", "c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts) == Names{"r1", "r3"});

  // A layer that the design runs dense has no sparsity information: the next slowest sparse one rises.
  parts[0].layers[1].sparse = false;
  CHECK(slowest_sensitive_layers(n.g, parts) == Names{"c3", "c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts) == Names{"r2", "r3"});
  CHECK(slowest_sensitive_layers(n.g, parts, {/*sparse_only=*/false}) == Names{"c2", "c4"});

  // Two partitions whose bottlenecks share a ReLU raise it once.
  PartitionLatencies shared = {{{{"c4", 10, true}}}, {{{"sc", 10, true}}}, {{{"c1", 50, true}}}};
  CHECK(relus_to_raise(Policy::latency_aware, n.g, shared) == Names{"r3"});

  // The classifier through global pooling and flatten.
  PartitionLatencies tail = {{{{"fc", 7, true}, {"c5", 6, true}}}};
  CHECK(relus_to_raise(Policy::latency_aware, n.g, tail) == Names{"r5"});

  // Uniform ignores the hardware.
  CHECK(relus_to_raise(Policy::uniform, n.g, {}) == Names{"r1", "r2", "r3", "r4", "r5"});
}

TEST_CASE("latency-aware bottlenecks skip layers at their floor and blocked fixed-design partitions", "[threshold]") {
  Net n;
  // {layer, latency, sparse, floor}: c2 already streams at its floor; c1 (dense, fed by the image) is
  // the slowest layer of partition 0 and no threshold can shorten it.
  PartitionLatencies parts = {
      {{{"c1", 1000, false, 1000}, {"c2", 800, true, 800}, {"c3", 700, true, 300}}},
      {{{"c4", 600, true, 200}, {"sc", 600, true, 600}, {"c5", 500, true, 100}}},
      {{{"c4", 600, true, 200}, {"c5", 500, true, 100}, {"fc", 300, false, 300}}},
  };
  const BottleneckRule ours{true, true, false}, fixed{true, true, true, 0.0, Reach::nearest, true}, upstream{true, false, false};
  CHECK(slowest_sensitive_layers(n.g, parts, ours) == Names{"c3", "c4", "c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts, ours) == Names{"r2", "r3"});
  // On a fixed design, partition 0's interval is c1's and partition 1's is sc's (600 = its floor, tying
  // c4): raising thresholds there cannot help. Partition 2's slowest layer c4 can still get faster.
  CHECK(slowest_sensitive_layers(n.g, parts, fixed) == Names{"c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts, fixed) == Names{"r3"});
  // Upstream (§8.3): the slowest sparse sensitive layer, floors ignored; c4/sc tie → c4.
  CHECK(slowest_sensitive_layers(n.g, parts, upstream) == Names{"c2", "c4", "c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts, upstream) == Names{"r1", "r3"});
  // A band of 20 %: partition 0 adds nothing (c2 is at its floor, c1 dense), partition 1 adds c5
  // (500 ≥ 0.8·600; sc is at its floor), partition 2 adds c5 too; on the fixed design only partition 2.
  BottleneckRule banded = ours;
  banded.band = 0.2;
  CHECK(slowest_sensitive_layers(n.g, parts, banded) == Names{"c3", "c4", "c5", "c4", "c5"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts, banded) == Names{"r2", "r3", "r4"});
  banded.exact_interval = true;
  CHECK(slowest_sensitive_layers(n.g, parts, banded) == Names{"c4", "c5"});
  banded.band = 0.15;  // 500 < 0.85·600
  CHECK(slowest_sensitive_layers(n.g, parts, banded) == Names{"c4"});
  // The config's choices map onto these rules; only `interval` treats a fixed design differently.
  auto same = [](const BottleneckRule& a, const BottleneckRule& b) {
    return a.sparse_only == b.sparse_only && a.above_floor == b.above_floor && a.exact_interval == b.exact_interval &&
           a.band == b.band && a.memory_aware == b.memory_aware;
  };
  for (bool fixed_design : {false, true}) {
    BottleneckRule relievable = ours;
    relievable.memory_aware = fixed_design;
    CHECK(same(bottleneck_rule(BottleneckChoice::relievable, true, fixed_design, 0), relievable));
    CHECK(same(bottleneck_rule(BottleneckChoice::slowest, true, fixed_design, 0), upstream));
    CHECK(same(bottleneck_rule(BottleneckChoice::interval, true, fixed_design, 0), fixed_design ? fixed : ours));
  }
  // Nothing relievable anywhere: the policy raises nothing (the loop then stops).
  PartitionLatencies stuck = {{{{"c2", 800, true, 800}, {"c3", 700, true, 700}}}};
  CHECK(relus_to_raise(Policy::latency_aware, n.g, stuck, ours).empty());
}

TEST_CASE("in a fixed design's memory-bound partition latency-aware relieves the layer streaming the most weights",
          "[threshold]") {
  Net n;
  // {layer, latency, sparse, floor, weight bits per image}. Partition 0 is memory-bound: c2 is the
  // slowest but keeps its weights on chip; c5 streams more weight bits than sc, c3 streams none.
  PartitionLatencies parts = {
      {{{"c2", 900, true, 100}, {"c3", 800, true, 100}, {"sc", 500, true, 100, 4000}, {"c5", 400, true, 100, 6000}},
       true},
      {{{"c4", 700, true, 100}, {"fc", 300, true, 10, 9000}}},
  };
  const BottleneckRule ours = bottleneck_rule(BottleneckChoice::relievable, true, /*fixed_design=*/true, 0);
  CHECK(ours.memory_aware);
  CHECK(slowest_sensitive_layers(n.g, parts, ours) == Names{"c5", "c4"});  // partition 1: compute-bound
  // A re-optimised design moves its weights at every step: its slowest layer stays the guide.
  CHECK(slowest_sensitive_layers(n.g, parts, bottleneck_rule(BottleneckChoice::relievable, true, false, 0)) ==
        Names{"c2", "c4"});
  CHECK(relus_to_raise(Policy::latency_aware, n.g, parts, ours) == Names{"r3", "r4"});
  // Upstream's rule ignores the memory: c2 is partition 0's slowest sparse layer.
  CHECK(slowest_sensitive_layers(n.g, parts, bottleneck_rule(BottleneckChoice::slowest, true, true, 0)) ==
        Names{"c2", "c4"});
  // c5 at its floor cannot stream less: sc is next. With r3 and r4 frozen (sc's, c4's and c5's ReLUs) no
  // candidate streams weights in partition 0 and its slowest relievable layer is taken; partition 1's is fc.
  parts[0].layers[3].latency = 100;
  CHECK(slowest_sensitive_layers(n.g, parts, ours) == Names{"sc", "c4"});
  CHECK(slowest_sensitive_layers(n.g, parts, ours, {"r3", "r4"}) == Names{"c2", "fc"});
  // A band does not widen the memory's choice.
  BottleneckRule banded = ours;
  banded.band = 0.5;
  CHECK(slowest_sensitive_layers(n.g, parts, banded)[0] == "sc");
  CHECK(slowest_sensitive_layers(n.g, parts, banded).size() == 2);
}

TEST_CASE("raising accumulates, caps, never lowers, and keeps decimal steps exact", "[threshold]") {
  ThresholdMap t{{"r1", 0.0}, {"r2", 0.0}, {"r3", 0.0}};
  RaiseRule rule{0.02, true, 0.05};
  t = raise(t, {"r1", "r2"}, rule);
  t = raise(t, {"r1"}, rule);
  t = raise(t, {"r1"}, rule);
  CHECK(t.at("r1") == 0.05);  // 0.06 capped at 0.05
  CHECK(t.at("r2") == 0.02);
  CHECK(t.at("r3") == 0.0);
  t = raise(t, {"r2"}, rule);
  CHECK(t.at("r2") == 0.04);  // exactly the double nearest 0.04, not 0.02 + 0.02 = 0.04000000000000001
  CHECK(raise(t, {"r1"}, rule) == t);  // capped: nothing can rise

  // Faithful Q17: the chosen ReLUs are set to the step, never accumulating; higher ones stay.
  RaiseRule faithful{0.03, false, 1.0};
  ThresholdMap f = raise(t, {"r1", "r2", "r3"}, faithful);
  CHECK(f.at("r1") == 0.05);
  CHECK(f.at("r2") == 0.04);
  CHECK(f.at("r3") == 0.03);
  CHECK(raise(f, {"r3"}, faithful) == f);
}

TEST_CASE("thresholds never fall along any sequence of raises", "[threshold]") {
  Net n;
  ThresholdMap t;
  for (const auto& r : relu_names(n.g)) t[r] = 0.0;
  PartitionLatencies parts = {{{{"c2", 5, true}, {"c3", 4, true}}}, {{{"c4", 3, true}, {"c5", 2, true}}}};
  for (int i = 0; i < 20; ++i) {
    // Rotate which layer is slowest, as re-measured histograms would.
    parts[0].layers[i % 2].latency += 3;
    parts[1].layers[(i / 2) % 2].latency += 3;
    double step = i < 10 ? 0.02 : 0.01;
    ThresholdMap next = raise(t, relus_to_raise(Policy::latency_aware, n.g, parts), {step, true, 1.0});
    for (const auto& [name, value] : t) CHECK(next.at(name) >= value);
    t = next;
  }
}
