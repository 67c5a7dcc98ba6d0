// ONNX export: ONNX → IR → ONNX → IR round trips, thresholds as ThresholdedRelu, sparsity histograms as
// the channel_sparsity_hist attribute, Split layers not written, and models ONNX's checker accepts.
#include <onnx/checker.h>

#include "fixtures.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/ir/compare.hpp"
#include "sparsedse/ir/passes.hpp"

using namespace fixtures;
using namespace sparsedse;

namespace {

const onnx::NodeProto& node(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& n : m.graph().node())
    if (n.name() == name) return n;
  FAIL("no node " << name);
  return m.graph().node(0);
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

// Histogram rows as the importer builds them from float attributes.
ir::SparsityStats imported_stats(std::vector<std::vector<double>> rows, int k) {
  ir::SparsityStats s;
  s.kernel_rows = s.kernel_cols = k;
  s.histogram = std::move(rows);
  double total = 0.0;
  for (double v : s.channel_sparsity()) total += v;
  s.mean_sparsity = total / double(s.histogram.size());
  return s;
}

std::string serialized(const onnx::ModelProto& m) {
  std::string bytes;
  REQUIRE(m.SerializeToString(&bytes));
  return bytes;
}

}  // namespace

TEST_CASE("ONNX round trip: import, export, import gives an identical graph", "[frontend][export]") {
  SECTION("every layer kind") {
    ir::Graph g = import_model(all_kinds_model()).graph;
    onnx::ModelProto exported = frontend::export_onnx(g);
    CHECK_NOTHROW(onnx::checker::check_model(exported));
    ir::Graph back = import_model(exported).graph;
    CHECK(ir::first_difference(g, back) == "");
    CHECK(serialized(frontend::export_onnx(back)) == serialized(exported));  // deterministic
  }
  SECTION("thresholds and sparsity statistics set by the thresholding loop") {
    ir::Graph g = import_model(all_kinds_model()).graph;
    g.layer("r1").threshold = 0.03125f;
    g.layer("tr").threshold = 0.0f;
    g.layer("c2").sparsity = imported_stats({{0.5, 0.125, 0.125, 0.0625, 0.0625, 0.0625, 0.03125, 0.03125, 0.0, 0.0},
                                             {1, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                                             {0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                             {0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0, 0, 0}},
                                            3);
    onnx::ModelProto exported = frontend::export_onnx(g);
    const onnx::NodeProto& r1 = node(exported, "r1");
    CHECK(r1.op_type() == "ThresholdedRelu");
    REQUIRE(attribute(r1, "alpha"));
    CHECK(attribute(r1, "alpha")->f() == 0.03125f);
    CHECK(node(exported, "tr").op_type() == "Relu");
    const onnx::AttributeProto* hist = attribute(node(exported, "c2"), "channel_sparsity_hist");
    REQUIRE(hist);
    REQUIRE(hist->floats_size() == 4 * 10);
    CHECK(hist->floats(10) == 1.0f);  // row-major [c][z]: channel 1, z = 0
    CHECK(hist->floats(29) == 1.0f);  // channel 2, z = 9
    CHECK(attribute(node(exported, "c1"), "channel_sparsity_hist") == nullptr);
    ir::Graph back = import_model(exported).graph;
    CHECK(ir::first_difference(g, back) == "");
  }
  SECTION("a zoo ResNet") {
    onnx::ModelProto zoo = frontend::zoo_onnx("resnet20-cifar");
    ir::Graph g = import_model(zoo).graph;
    onnx::ModelProto exported = frontend::export_onnx(g);
    CHECK_NOTHROW(onnx::checker::check_model(exported));
    CHECK(ir::first_difference(g, import_model(exported).graph) == "");
    // Same nodes as the zoo model (Split layers are not written).
    REQUIRE(exported.graph().node_size() == zoo.graph().node_size());
    for (int i = 0; i < zoo.graph().node_size(); ++i) {
      const auto& a = zoo.graph().node(i);
      const auto& b = node(exported, a.name());
      CHECK(a.op_type() == b.op_type());
      CHECK(std::vector<std::string>(a.input().begin(), a.input().end()) ==
            std::vector<std::string>(b.input().begin(), b.input().end()));
      CHECK(b.output(0) == a.output(0));
    }
  }
}

TEST_CASE("export: Split layers are not nodes, consumers read the forked tensor", "[frontend][export]") {
  ir::Graph g = import_model(all_kinds_model()).graph;
  REQUIRE(g.contains("r1_split"));
  onnx::ModelProto m = frontend::export_onnx(g);
  for (const auto& n : m.graph().node()) CHECK(n.op_type() != "Split");
  CHECK(node(m, "mp").input(0) == "r1");
  CHECK(node(m, "c2").input(0) == "r1");
  CHECK(m.opset_import(0).version() == 13);
  CHECK(m.graph().output(0).name() == "logits");
}

TEST_CASE("export: an InnerProduct on a [C, H, W] tensor gets a Flatten", "[frontend][export]") {
  ir::Graph g;
  g.name = "ip";
  ir::Layer in;
  in.name = in.output_tensor = "x";
  in.kind = ir::LayerKind::Input;
  in.output_shape = {2, 2, 2};
  ir::Layer fc;
  fc.name = fc.output_tensor = "fc";
  fc.kind = ir::LayerKind::InnerProduct;
  fc.filters = 3;
  fc.weights = Eigen::VectorXf::LinSpaced(24, -1.0f, 1.0f);
  ir::Vertex a = g.add_layer(in), b = g.add_layer(fc);
  g.connect(a, b, 0);
  ir::infer_shapes(g);
  onnx::ModelProto m = frontend::export_onnx(g);
  CHECK_NOTHROW(onnx::checker::check_model(m));
  REQUIRE(m.graph().node_size() == 2);
  CHECK(m.graph().node(0).op_type() == "Flatten");
  CHECK(m.graph().node(1).op_type() == "Gemm");
  ir::Graph back = import_model(m).graph;
  CHECK(back.layer("fc").weights == fc.weights);
  CHECK(back.layer("fc").input_shape() == ir::Shape{8, 1, 1});
}

TEST_CASE("save_onnx writes a file that load_onnx reads back", "[frontend][export]") {
  TempDir dir("export-file");
  ir::Graph g = import_model(all_kinds_model()).graph;
  g.layer("tr").threshold = 0.75f;
  frontend::save_onnx(g, dir / "m.onnx");
  CHECK(ir::identical(g, frontend::load_onnx(dir / "m.onnx")));
  CHECK_THROWS_AS(frontend::save_onnx(g, dir / "no-such-dir" / "m.onnx"), InputError);
}
