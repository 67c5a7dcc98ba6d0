#include <catch2/catch.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

using namespace sparsedse;
using namespace sparsedse::ir;

namespace {

Layer input(int c, int h, int w) {
  Layer l;
  l.name = "input";
  l.kind = LayerKind::Input;
  l.output_tensor = "input";
  l.output_shape = {c, h, w};
  return l;
}

Layer conv(const std::string& name, int c, int f, int k, int stride, int pad, int groups = 1) {
  Layer l;
  l.name = name;
  l.kind = LayerKind::Convolution;
  l.output_tensor = name;
  l.filters = f;
  l.groups = groups;
  l.window = {k, k, stride, stride, pad, pad, pad, pad};
  l.weights = Eigen::VectorXf::Ones(std::int64_t(f) * (c / groups) * k * k);
  l.bias = Eigen::VectorXf::Zero(f);
  return l;
}

Layer simple(const std::string& name, LayerKind kind) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.output_tensor = name;
  return l;
}

// input(3x8x8) -> c1(16, 3x3 s1 p1) -> r1 -> {c2(16, 3x3 s2 p1), sc(16, 1x1 s2)} -> add -> gap -> flatten -> fc(10)
Graph residual_block() {
  Graph g;
  g.name = "block";
  Vertex in = g.add_layer(input(3, 8, 8));
  Vertex c1 = g.add_layer(conv("c1", 3, 16, 3, 1, 1));
  Vertex r1 = g.add_layer(simple("r1", LayerKind::ReLU));
  Vertex c2 = g.add_layer(conv("c2", 16, 16, 3, 2, 1));
  Vertex sc = g.add_layer(conv("sc", 16, 16, 1, 2, 0));
  Vertex add = g.add_layer(simple("add", LayerKind::EltwiseAdd));
  Vertex gap = g.add_layer(simple("gap", LayerKind::GlobalAveragePool));
  Vertex fl = g.add_layer(simple("flatten", LayerKind::Flatten));
  Layer fc = simple("fc", LayerKind::InnerProduct);
  fc.filters = 10;
  fc.weights = Eigen::VectorXf::Zero(16 * 10);
  Vertex f = g.add_layer(fc);
  g.connect(in, c1, 0);
  g.connect(c1, r1, 0);
  g.connect(r1, c2, 0);
  g.connect(r1, sc, 0);
  g.connect(c2, add, 0);
  g.connect(sc, add, 1);
  g.connect(add, gap, 0);
  g.connect(gap, fl, 0);
  g.connect(fl, f, 0);
  return g;
}

}  // namespace

TEST_CASE("shape inference follows conv, pool and eltwise arithmetic", "[ir]") {
  Graph g = residual_block();
  infer_shapes(g);
  CHECK(g.layer("c1").output_shape == Shape{16, 8, 8});
  CHECK(g.layer("c2").output_shape == Shape{16, 4, 4});  // (8+2-3)/2+1 = 4
  CHECK(g.layer("sc").output_shape == Shape{16, 4, 4});  // (8-1)/2+1 = 4
  CHECK(g.layer("add").output_shape == Shape{16, 4, 4});
  CHECK(g.layer("gap").output_shape == Shape{16, 1, 1});
  CHECK(g.layer("fc").output_shape == Shape{10, 1, 1});
  // MACs: c1 8*8*16*3*9 = 27648; c2 4*4*16*16*9 = 36864; sc 4*4*16*16 = 4096; fc 160.
  CHECK(g.layer("c1").macs() == 27648);
  CHECK(g.total_macs() == 27648 + 36864 + 4096 + 160);
  CHECK(g.total_params() == (432 + 16) + (2304 + 16) + (256 + 16) + 160);
}

TEST_CASE("split insertion makes fan-out explicit and is idempotent", "[ir]") {
  Graph g = residual_block();
  CHECK(insert_splits(g) == 1);
  REQUIRE(g.contains("r1_split"));
  Vertex s = g.vertex("r1_split");
  auto succ = g.successors(s);
  REQUIRE(succ.size() == 2);
  CHECK(g.layer(succ[0]).name == "c2");  // name-sorted
  CHECK(g.layer(succ[1]).name == "sc");
  CHECK(g.successors(g.vertex("r1")).size() == 1);
  CHECK(insert_splits(g) == 0);
  infer_shapes(g);
  validate(g);
}

TEST_CASE("topological order is Kahn's with name-sorted ties", "[ir]") {
  Graph g = residual_block();
  insert_splits(g);
  std::vector<std::string> names;
  for (Vertex v : g.topological_order()) names.push_back(g.layer(v).name);
  CHECK(names == std::vector<std::string>{"input", "c1", "r1", "r1_split", "c2", "sc", "add", "gap", "flatten", "fc"});
}

TEST_CASE("errors name the layer and the expectation", "[ir]") {
  SECTION("cycle") {
    Graph g = residual_block();
    g.connect(g.vertex("add"), g.vertex("c1"), 1);
    CHECK_THROWS_WITH(g.topological_order(), Catch::Contains("cycle"));
  }
  SECTION("wrong weight count") {
    Graph g = residual_block();
    g.layer("c2").weights.resize(5);
    CHECK_THROWS_WITH(infer_shapes(g), Catch::Contains("'c2'") && Catch::Contains("expected 2304"));
  }
  SECTION("negative threshold") {
    Graph g = residual_block();
    infer_shapes(g);
    g.layer("r1").threshold = -0.5f;
    CHECK_THROWS_WITH(validate(g), Catch::Contains("'r1'") && Catch::Contains("threshold"));
  }
  SECTION("eltwise shape mismatch") {
    Graph g = residual_block();
    g.layer("sc").window.stride_rows = 1;
    CHECK_THROWS_AS(infer_shapes(g), InputError);
  }
  SECTION("duplicate name") {
    Graph g = residual_block();
    CHECK_THROWS_WITH(g.add_layer(simple("c1", LayerKind::ReLU)), Catch::Contains("duplicate"));
  }
}

TEST_CASE("without() bypasses dropped layers and rewires tensors", "[ir]") {
  Graph g = residual_block();
  Graph h = g.without([](const Layer& l) { return l.kind == LayerKind::Flatten; });
  CHECK(h.size() == g.size() - 1);
  auto preds = h.predecessors(h.vertex("fc"));
  REQUIRE(preds.size() == 1);
  CHECK(h.layer(preds[0]).name == "gap");
}
