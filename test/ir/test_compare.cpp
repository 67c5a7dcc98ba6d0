#include <catch2/catch.hpp>

#include "sparsedse/ir/compare.hpp"
#include "sparsedse/ir/passes.hpp"

using namespace sparsedse::ir;

namespace {

// input(2x4x4) → relu → {a, b} → add(a, b): ports decide which producer is which input.
Graph diamond(bool swap_ports) {
  Graph g;
  g.name = "diamond";
  auto layer = [](const std::string& name, LayerKind kind) {
    Layer l;
    l.name = l.output_tensor = name;
    l.kind = kind;
    return l;
  };
  Layer in = layer("in", LayerKind::Input);
  in.output_shape = {2, 4, 4};
  Vertex i = g.add_layer(in);
  Vertex a = g.add_layer(layer("a", LayerKind::ReLU));
  Vertex b = g.add_layer(layer("b", LayerKind::ReLU));
  Vertex add = g.add_layer(layer("add", LayerKind::EltwiseAdd));
  g.connect(i, a, 0);
  g.connect(i, b, 0);
  g.connect(a, add, swap_ports ? 1 : 0);
  g.connect(b, add, swap_ports ? 0 : 1);
  infer_shapes(g);
  return g;
}

}  // namespace

TEST_CASE("first_difference compares layers by name, fields and producer ports", "[ir]") {
  CHECK(first_difference(diamond(false), diamond(false)).empty());
  CHECK(identical(diamond(true), diamond(true)));
  CHECK_THAT(first_difference(diamond(false), diamond(true)), Catch::Contains("'add'") && Catch::Contains("producers"));
  Graph g = diamond(false);
  g.layer("b").threshold = 0.5f;
  CHECK_THAT(first_difference(diamond(false), g), Catch::Contains("'b'") && Catch::Contains("threshold"));
  Graph bigger = diamond(false);
  Layer extra;
  extra.name = "extra";
  extra.kind = LayerKind::ReLU;
  bigger.connect(bigger.vertex("add"), bigger.add_layer(extra), 0);
  CHECK_THAT(first_difference(diamond(false), bigger), Catch::Contains("'extra'") && Catch::Contains("missing"));
  CHECK_THAT(first_difference(bigger, diamond(false)), Catch::Contains("'extra'") && Catch::Contains("missing"));
  g = diamond(false);
  g.name = "other";
  CHECK_THAT(first_difference(diamond(false), g), Catch::Contains("graph name"));
}
