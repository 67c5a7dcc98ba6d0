// ONNX import of every supported op, from small models built here, with hand-computed expectations.
#include <cmath>
#include <functional>
#include <limits>

#include "fixtures.hpp"
#include "sparsedse/ir/passes.hpp"

using namespace fixtures;
using namespace sparsedse;
using ir::LayerKind;
using ir::Shape;

namespace {

// input [N, c, h, w] → (node under test) ... The caller adds nodes and the output.
OnnxBuilder model_with_input(int c, int h, int w, int opset = 13) {
  OnnxBuilder b("t", opset);
  b.input("x", {-1, c, h, w});
  return b;
}

std::vector<float> to_vector(const Eigen::VectorXf& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

TEST_CASE("Conv: weights, bias, strides, pads and group map onto a Convolution layer", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(4, 9, 7);
  auto& n = add_conv(b, "conv", "x", "y", 4, 6, 3, 2, 0, true, 2);
  set_attribute(n, "pads", Ints{1, 0, 2, 1});  // top, left, bottom, right
  b.output("y", {-1, 6, 5, 4});
  ir::Graph g = import_model(b.model()).graph;
  REQUIRE(g.size() == 2);
  const ir::Layer& l = g.layer("conv");
  CHECK(l.kind == LayerKind::Convolution);
  CHECK(l.window == ir::Window{3, 3, 2, 2, 1, 0, 2, 1});
  CHECK(l.groups == 2);
  CHECK(l.filters == 6);
  // Ho = (9 + 1 + 2 − 3)/2 + 1 = 5, Wo = (7 + 0 + 1 − 3)/2 + 1 = 3.
  CHECK(l.output_shape == Shape{6, 5, 3});
  CHECK(to_vector(l.weights) == random_values(6 * 2 * 9, 1));  // OIHW order kept
  CHECK(to_vector(l.bias) == random_values(6, 1001));
  CHECK(l.macs() == 5 * 3 * 6 * 2 * 9);
  CHECK(l.params() == 6 * 2 * 9 + 6);
  CHECK(l.input_tensors == std::vector<std::string>{"x"});
  CHECK(l.output_tensor == "y");
  CHECK(g.layer("x").kind == LayerKind::Input);
  CHECK(g.layer("x").output_shape == Shape{4, 9, 7});
}

TEST_CASE("auto_pad SAME_UPPER, SAME_LOWER and VALID resolve to explicit pads", "[frontend][onnx]") {
  // 7 wide, kernel 4, stride 2: SAME output ⌈7/2⌉ = 4, total pad (4−1)·2 + 4 − 7 = 3.
  auto build = [](const std::string& mode) {
    OnnxBuilder b = model_with_input(1, 7, 7);
    auto& n = add_conv(b, "conv", "x", "y", 1, 1, 4, 2, 0);
    n.mutable_attribute()->erase(n.mutable_attribute()->begin() + 2);  // drop 'pads'
    set_attribute(n, "auto_pad", mode);
    b.output("y", {-1, 1, 4, 4});
    return import_model(b.model()).graph;
  };
  CHECK(build("SAME_UPPER").layer("conv").window == ir::Window{4, 4, 2, 2, 1, 1, 2, 2});
  CHECK(build("SAME_UPPER").layer("conv").output_shape == Shape{1, 4, 4});
  CHECK(build("SAME_LOWER").layer("conv").window == ir::Window{4, 4, 2, 2, 2, 2, 1, 1});
  CHECK(build("VALID").layer("conv").window == ir::Window{4, 4, 2, 2, 0, 0, 0, 0});
  CHECK(build("VALID").layer("conv").output_shape == Shape{1, 2, 2});  // (7 − 4)/2 + 1
  CHECK_THROWS_WITH(build("SAME"), Catch::Contains("auto_pad") && Catch::Contains("'conv'"));
}

TEST_CASE("Relu, ThresholdedRelu and Clip(min = 0) become ReLU layers", "[frontend][onnx]") {
  SECTION("Relu and ThresholdedRelu") {
    OnnxBuilder b = model_with_input(2, 3, 3);
    b.node("Relu", "r0", {"x"}, {"a"});
    set_attribute(b.node("ThresholdedRelu", "r1", {"a"}, {"b"}), "alpha", 0.25f);
    b.node("ThresholdedRelu", "r2", {"b"}, {"c"});  // ONNX default alpha = 1
    b.output("c", {-1, 2, 3, 3});
    ir::Graph g = import_model(b.model()).graph;
    CHECK(g.layer("r0").kind == LayerKind::ReLU);
    CHECK(g.layer("r0").threshold == 0.0f);
    CHECK(g.layer("r1").threshold == 0.25f);
    CHECK(g.layer("r2").threshold == 1.0f);
  }
  SECTION("Clip: min as an attribute (opset 9) or an input (opset 11+); max absent or +inf") {
    OnnxBuilder b9 = model_with_input(2, 3, 3, 9);
    set_attribute(b9.node("Clip", "clip", {"x"}, {"y"}), "min", 0.0f);
    b9.output("y", {-1, 2, 3, 3});
    CHECK(import_model(b9.model()).graph.layer("clip").kind == LayerKind::ReLU);

    OnnxBuilder b13 = model_with_input(2, 3, 3, 13);
    b13.initializer("zero", {}, {0.0f});
    b13.initializer("inf", {}, {std::numeric_limits<float>::infinity()});
    b13.node("Clip", "clip", {"x", "zero"}, {"y"});
    b13.node("Clip", "clip2", {"y", "zero", "inf"}, {"z"});
    b13.output("z", {-1, 2, 3, 3});
    ir::Graph g = import_model(b13.model()).graph;
    CHECK(g.layer("clip").kind == LayerKind::ReLU);
    CHECK(g.layer("clip2").kind == LayerKind::ReLU);
  }
  SECTION("Clip with a max, a non-zero min or no min is rejected") {
    OnnxBuilder b = model_with_input(2, 3, 3, 13);
    b.initializer("zero", {}, {0.0f});
    b.initializer("six", {}, {6.0f});
    b.node("Clip", "relu6", {"x", "zero", "six"}, {"y"});
    b.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'relu6'") && Catch::Contains("max = 6"));

    OnnxBuilder b9 = model_with_input(2, 3, 3, 9);
    set_attribute(b9.node("Clip", "c", {"x"}, {"y"}), "min", -1.0f);
    b9.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b9.model()), Catch::Contains("min = -1"));

    OnnxBuilder none = model_with_input(2, 3, 3, 13);
    none.node("Clip", "c", {"x"}, {"y"});
    none.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(none.model()), Catch::Contains("no min"));
  }
  SECTION("a negative ThresholdedRelu alpha is rejected") {
    OnnxBuilder b = model_with_input(2, 3, 3);
    set_attribute(b.node("ThresholdedRelu", "t", {"x"}, {"y"}), "alpha", -0.5f);
    b.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'alpha'") && Catch::Contains("'t'"));
  }
}

TEST_CASE("MaxPool and AveragePool: geometry, count_include_pad, global conversion, ceil_mode", "[frontend][onnx]") {
  auto pool = [](const std::string& op, int h, Ints kernel, Ints strides, Ints pads) {
    OnnxBuilder b = model_with_input(3, h, h);
    auto& n = b.node(op, "pool", {"x"}, {"y"});
    set_attribute(n, "kernel_shape", kernel);
    set_attribute(n, "strides", strides);
    set_attribute(n, "pads", pads);
    b.output("y", {-1, 3, 1, 1});
    return b;
  };
  SECTION("MaxPool 3x3/2 pad 1 on 8x8 gives 4x4") {
    ir::Graph g = import_model(pool("MaxPool", 8, {3, 3}, {2, 2}, {1, 1, 1, 1}).model()).graph;
    CHECK(g.layer("pool").kind == LayerKind::MaxPool);
    CHECK(g.layer("pool").window == ir::Window{3, 3, 2, 2, 1, 1, 1, 1});
    CHECK(g.layer("pool").output_shape == Shape{3, 4, 4});
  }
  SECTION("AveragePool records count_include_pad (default 0)") {
    OnnxBuilder b = pool("AveragePool", 8, {3, 3}, {1, 1}, {1, 1, 1, 1});
    CHECK_FALSE(import_model(b.model()).graph.layer("pool").count_include_pad);
    set_attribute(*b.graph().mutable_node(0), "count_include_pad", std::int64_t(1));
    ir::Graph g = import_model(b.model()).graph;
    CHECK(g.layer("pool").kind == LayerKind::AveragePool);
    CHECK(g.layer("pool").count_include_pad);
    CHECK(g.layer("pool").output_shape == Shape{3, 8, 8});
  }
  SECTION("an AveragePool over the whole unpadded map is a global pool") {
    ir::Graph g = import_model(pool("AveragePool", 4, {4, 4}, {4, 4}, {0, 0, 0, 0}).model()).graph;
    CHECK(g.layer("pool").kind == LayerKind::GlobalAveragePool);
    CHECK(g.layer("pool").output_shape == Shape{3, 1, 1});
  }
  SECTION("ceil_mode = 1 is accepted only where it does not change the output size") {
    OnnxBuilder same = pool("MaxPool", 8, {2, 2}, {2, 2}, {0, 0, 0, 0});  // 8 = 4·2: exact fit
    set_attribute(*same.graph().mutable_node(0), "ceil_mode", std::int64_t(1));
    CHECK(import_model(same.model()).graph.layer("pool").output_shape == Shape{3, 4, 4});
    OnnxBuilder differs = pool("MaxPool", 7, {2, 2}, {2, 2}, {0, 0, 0, 0});  // floor 3, ceil 4
    set_attribute(*differs.graph().mutable_node(0), "ceil_mode", std::int64_t(1));
    CHECK_THAT(import_error(differs.model()), Catch::Contains("'ceil_mode'") && Catch::Contains("'pool'"));
  }
  SECTION("dilations other than 1 are rejected, naming the node and attribute") {
    OnnxBuilder b = pool("MaxPool", 8, {2, 2}, {1, 1}, {0, 0, 0, 0});
    set_attribute(*b.graph().mutable_node(0), "dilations", Ints{2, 2});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'dilations'") && Catch::Contains("node 'pool' (MaxPool)"));
  }
  SECTION("a used MaxPool Indices output is rejected") {
    OnnxBuilder b = model_with_input(3, 4, 4);
    auto& n = b.node("MaxPool", "pool", {"x"}, {"y", "idx"});
    set_attribute(n, "kernel_shape", Ints{2, 2});
    b.output("y", {-1, 3, 3, 3});
    b.output("idx", {-1, 3, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("Indices"));
  }
  SECTION("GlobalAveragePool") {
    OnnxBuilder b = model_with_input(5, 6, 7);
    b.node("GlobalAveragePool", "gap", {"x"}, {"y"});
    b.output("y", {-1, 5, 1, 1});
    CHECK(import_model(b.model()).graph.layer("gap").output_shape == Shape{5, 1, 1});
  }
}

TEST_CASE("Gemm: transB, alpha and beta are folded into [F][K] weights and the bias", "[frontend][onnx]") {
  // x [N, 3] (after Flatten of [N, 3, 1, 1]) · B + C with F = 2.
  auto gemm = [](bool trans_b, float alpha, float beta, std::vector<float> c, Ints c_dims) {
    OnnxBuilder b = model_with_input(3, 1, 1);
    b.node("Flatten", "flat", {"x"}, {"f"});
    // B as [K=3, F=2] = [[1, 2], [3, 4], [5, 6]], or transposed [F, K] = [[1, 3, 5], [2, 4, 6]].
    if (trans_b)
      b.initializer("B", {2, 3}, {1, 3, 5, 2, 4, 6});
    else
      b.initializer("B", {3, 2}, {1, 2, 3, 4, 5, 6});
    std::vector<std::string> inputs{"f", "B"};
    if (!c.empty()) {
      b.initializer("C", c_dims, c);
      inputs.push_back("C");
    }
    auto& n = b.node("Gemm", "fc", inputs, {"y"});
    set_attribute(n, "transB", std::int64_t(trans_b));
    set_attribute(n, "alpha", alpha);
    set_attribute(n, "beta", beta);
    b.output("y", {-1, 2});
    return import_model(b.model()).graph;
  };
  const std::vector<float> expected{1, 3, 5, 2, 4, 6};  // row f holds the weights of output f
  ir::Graph g = gemm(false, 1.0f, 1.0f, {0.5f, -1.0f}, {2});
  CHECK(g.layer("fc").kind == LayerKind::InnerProduct);
  CHECK(g.layer("fc").filters == 2);
  CHECK(to_vector(g.layer("fc").weights) == expected);
  CHECK(to_vector(g.layer("fc").bias) == std::vector<float>{0.5f, -1.0f});
  CHECK(to_vector(gemm(true, 1.0f, 1.0f, {0.5f, -1.0f}, {1, 2}).layer("fc").weights) == expected);
  ir::Graph scaled = gemm(true, 2.0f, 0.5f, {3.0f}, {});  // scalar C broadcast, times beta
  CHECK(to_vector(scaled.layer("fc").weights) == std::vector<float>{2, 6, 10, 4, 8, 12});
  CHECK(to_vector(scaled.layer("fc").bias) == std::vector<float>{1.5f, 1.5f});
  CHECK_FALSE(gemm(true, 1.0f, 1.0f, {}, {}).layer("fc").has_bias());
  CHECK(g.layer("fc").output_shape == Shape{2, 1, 1});
  CHECK(g.layer("fc").macs() == 6);

  SECTION("transA = 1 and mismatched K are rejected") {
    OnnxBuilder b = model_with_input(3, 1, 1);
    b.node("Flatten", "flat", {"x"}, {"f"});
    b.initializer("B", {4, 2}, std::vector<float>(8, 1.0f));
    b.node("Gemm", "fc", {"f", "B"}, {"y"});
    b.output("y", {-1, 2});
    CHECK_THAT(import_error(b.model()), Catch::Contains("3 features") && Catch::Contains("'fc'"));
    b.graph().mutable_initializer(0)->clear_dims();
    b.graph().mutable_initializer(0)->add_dims(3);
    b.graph().mutable_initializer(0)->add_dims(2);
    b.graph().mutable_initializer(0)->mutable_float_data()->Truncate(6);
    set_attribute(*b.graph().mutable_node(1), "transA", std::int64_t(1));
    CHECK_THAT(import_error(b.model()), Catch::Contains("'transA'"));
  }
}

TEST_CASE("MatMul + Add fuse into one InnerProduct, a lone constant Add is rejected", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(2, 2, 1);
  b.node("Flatten", "flat", {"x"}, {"f"});
  b.initializer("W", {4, 3}, iota_values(12));  // [K=4, F=3]
  b.initializer("bias", {3}, {1.0f, 2.0f, 3.0f});
  b.node("MatMul", "mm", {"f", "W"}, {"m"});
  b.node("Add", "add", {"m", "bias"}, {"y"});
  b.output("y", {-1, 3});
  ir::Graph g = import_model(b.model()).graph;
  REQUIRE(g.size() == 3);  // input, flat, mm
  const ir::Layer& l = g.layer("mm");
  CHECK(l.kind == LayerKind::InnerProduct);
  CHECK(l.output_tensor == "y");
  // Wᵀ: row f = (W[0][f], W[1][f], W[2][f], W[3][f]) = (f, f+3, f+6, f+9).
  CHECK(to_vector(l.weights) == std::vector<float>{0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11});
  CHECK(to_vector(l.bias) == std::vector<float>{1, 2, 3});

  OnnxBuilder bad = model_with_input(2, 2, 1);
  bad.initializer("c", {}, {1.0f});
  bad.node("Relu", "r", {"x"}, {"a"});
  bad.node("Add", "plus1", {"a", "c"}, {"y"});
  bad.output("y", {-1, 2, 2, 1});
  CHECK_THAT(import_error(bad.model()), Catch::Contains("'plus1'") && Catch::Contains("bias"));
}

TEST_CASE("a per-channel constant Add after a Conv becomes its bias", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(2, 3, 3);
  add_conv(b, "conv", "x", "c", 2, 2, 1, 1, 0, true, 1, 5);
  b.initializer("shift", {1, 2, 1, 1}, {0.5f, -0.25f});
  b.node("Add", "shift", {"shift", "c"}, {"y"});  // constant first: order does not matter
  b.output("y", {-1, 2, 3, 3});
  ir::Graph g = import_model(b.model()).graph;
  REQUIRE(g.size() == 2);
  std::vector<float> bias = random_values(2, 1005);
  CHECK(to_vector(g.layer("conv").bias) == std::vector<float>{bias[0] + 0.5f, bias[1] - 0.25f});
  CHECK(g.layer("conv").output_tensor == "y");
}

TEST_CASE("Add, Concat, Flatten and Reshape", "[frontend][onnx]") {
  SECTION("residual Add and channel Concat (axis 1 or -3)") {
    for (std::int64_t axis : {1, -3}) {
      OnnxBuilder b = model_with_input(2, 4, 4);
      b.node("Relu", "a", {"x"}, {"a"});
      b.node("Relu", "b", {"x"}, {"b"});
      b.node("Add", "sum", {"a", "b"}, {"s"});
      set_attribute(b.node("Concat", "cat", {"s", "a", "x"}, {"y"}), "axis", axis);
      b.output("y", {-1, 6, 4, 4});
      ir::Graph g = import_model(b.model()).graph;
      CHECK(g.layer("sum").kind == LayerKind::EltwiseAdd);
      CHECK(g.layer("cat").kind == LayerKind::Concat);
      CHECK(g.layer("cat").output_shape == Shape{6, 4, 4});
      CHECK(g.layer("cat").input_tensors == std::vector<std::string>{"s", "a", "x"});
    }
  }
  SECTION("Concat along a spatial axis is rejected") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    set_attribute(b.node("Concat", "cat", {"x", "x"}, {"y"}), "axis", std::int64_t(2));
    b.output("y", {-1, 2, 8, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'axis' = 2") && Catch::Contains("'cat'"));
  }
  SECTION("Flatten axis 1 (or -3 on rank 4); other axes rejected") {
    OnnxBuilder b = model_with_input(2, 3, 4);
    set_attribute(b.node("Flatten", "flat", {"x"}, {"y"}), "axis", std::int64_t(-3));
    b.output("y", {-1, 24});
    CHECK(import_model(b.model()).graph.layer("flat").output_shape == Shape{24, 1, 1});
    set_attribute(*b.graph().mutable_node(0), "axis", std::int64_t(2));
    CHECK_THAT(import_error(b.model()), Catch::Contains("'axis' = 2"));
  }
  SECTION("Reshape to [N, -1] forms is a Flatten; any other shape is rejected") {
    for (Ints shape : {Ints{1, -1}, Ints{0, -1}, Ints{-1, 24}, Ints{1, 24}}) {
      OnnxBuilder b = model_with_input(2, 3, 4);
      b.initializer_int64("shape", {2}, shape);
      b.node("Reshape", "reshape", {"x", "shape"}, {"y"});
      b.output("y", {-1, 24});
      ir::Graph g = import_model(b.model()).graph;
      CHECK(g.layer("reshape").kind == LayerKind::Flatten);
      CHECK(g.layer("reshape").output_shape == Shape{24, 1, 1});
    }
    for (Ints shape : {Ints{2, -1}, Ints{-1, 12}, Ints{1, 2, 12}, Ints{1, 6, 4}}) {
      OnnxBuilder b = model_with_input(2, 3, 4);
      b.initializer_int64("shape", {std::int64_t(shape.size())}, shape);
      b.node("Reshape", "reshape", {"x", "shape"}, {"y"});
      b.output("y", {-1, 24});
      CHECK_THAT(import_error(b.model()), Catch::Contains("'reshape'") && Catch::Contains("[N, -1]"));
    }
  }
}

TEST_CASE("Identity and Dropout are removed, a final Softmax is dropped with a warning", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(2, 3, 3, 13);
  b.node("Identity", "id", {"x"}, {"i"});
  b.node("Relu", "relu", {"i"}, {"r"});
  b.node("Dropout", "drop", {"r"}, {"d", "mask"});
  b.node("GlobalAveragePool", "gap", {"d"}, {"g"});
  b.node("Flatten", "flat", {"g"}, {"f"});
  b.initializer("W", {2, 2}, {1, 0, 0, 1});
  set_attribute(b.node("Gemm", "fc", {"f", "W"}, {"logits"}), "transB", std::int64_t(1));
  b.node("Softmax", "prob", {"logits"}, {"p"});
  b.output("p", {-1, 2});
  Imported m = import_model(b.model());
  std::vector<std::string> names;
  for (ir::Vertex v : m.graph.topological_order()) names.push_back(m.graph.layer(v).name);
  CHECK(names == std::vector<std::string>{"x", "relu", "gap", "flat", "fc"});
  CHECK(m.graph.layer("relu").input_tensors == std::vector<std::string>{"x"});  // Identity bypassed
  CHECK(m.graph.layer("gap").input_tensors == std::vector<std::string>{"r"});   // Dropout bypassed
  CHECK_THAT(m.warnings, Catch::Contains("'prob'") && Catch::Contains("Softmax") && Catch::Contains("logits"));

  SECTION("a Softmax that is not the last node is an error") {
    OnnxBuilder s = model_with_input(2, 3, 3);
    s.node("Softmax", "sm", {"x"}, {"s"});
    s.node("Relu", "r", {"s"}, {"y"});
    s.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(s.model()), Catch::Contains("'sm'") && Catch::Contains("last node"));
  }
  SECTION("a used Dropout mask is an error") {
    OnnxBuilder d = model_with_input(2, 3, 3);
    d.node("Dropout", "drop", {"x"}, {"y", "mask"});
    d.output("y", {-1, 2, 3, 3});
    d.output("mask", {-1, 2, 3, 3});
    CHECK_THAT(import_error(d.model()), Catch::Contains("mask"));
  }
}

TEST_CASE("initializer encodings: float16 (typed and raw), raw float32, double, Constant nodes", "[frontend][onnx]") {
  // 1×1 conv, 1 → 4 filters; weights 1.0, −2.0, 0.333251953125 (0x3555), 2⁻²⁴ (0x0001, subnormal).
  const std::vector<float> expected{1.0f, -2.0f, 0.333251953125f, std::ldexp(1.0f, -24)};
  const std::vector<std::uint16_t> halves{0x3C00, 0xC000, 0x3555, 0x0001};
  auto model = [](const onnx::TensorProto& w) {
    OnnxBuilder b("t", 13);
    b.input("x", {-1, 1, 2, 2});
    *b.graph().add_initializer() = w;
    auto& n = b.node("Conv", "conv", {"x", "w"}, {"y"});
    set_attribute(n, "kernel_shape", Ints{1, 1});
    b.output("y", {-1, 4, 2, 2});
    return b.model();
  };
  onnx::TensorProto w;
  w.set_name("w");
  for (int d : {4, 1, 1, 1}) w.add_dims(d);
  SECTION("float16 in int32_data") {
    w.set_data_type(onnx::TensorProto::FLOAT16);
    for (auto h : halves) w.add_int32_data(h);
    CHECK(to_vector(import_model(model(w)).graph.layer("conv").weights) == expected);
  }
  SECTION("float16 in raw_data (little-endian)") {
    w.set_data_type(onnx::TensorProto::FLOAT16);
    std::string raw;
    for (auto h : halves) raw += {char(h & 0xff), char(h >> 8)};
    w.set_raw_data(raw);
    CHECK(to_vector(import_model(model(w)).graph.layer("conv").weights) == expected);
  }
  SECTION("float32 raw_data and double") {
    CHECK(to_vector(import_model(model(frontend::make_tensor("w", {4, 1, 1, 1}, expected, true))).graph.layer("conv").weights) ==
          expected);
    w.set_data_type(onnx::TensorProto::DOUBLE);
    for (float f : expected) w.add_double_data(f);
    CHECK(to_vector(import_model(model(w)).graph.layer("conv").weights) == expected);
  }
  SECTION("weights and a reshape target from Constant nodes") {
    OnnxBuilder b("t", 13);
    b.input("x", {-1, 1, 2, 2});
    set_attribute(b.node("Constant", "", {}, {"w"}), "value", frontend::make_tensor("", {4, 1, 1, 1}, expected));
    set_attribute(b.node("Constant", "", {}, {"shape"}), "value_ints", Ints{1, -1});
    set_attribute(b.node("Conv", "conv", {"x", "w"}, {"y"}), "kernel_shape", Ints{1, 1});
    b.node("Reshape", "flat", {"y", "shape"}, {"z"});
    b.output("z", {-1, 16});
    ir::Graph g = import_model(b.model()).graph;
    CHECK(to_vector(g.layer("conv").weights) == expected);
    CHECK(g.layer("flat").output_shape == Shape{16, 1, 1});
  }
  SECTION("a truncated payload is an InputError naming the tensor") {
    w.set_data_type(onnx::TensorProto::FLOAT);
    w.set_raw_data(std::string(15, '\0'));
    CHECK_THAT(import_error(model(w)), Catch::Contains("'w'") && Catch::Contains("raw_data"));
  }
  SECTION("unsupported element types are rejected") {
    w.set_data_type(onnx::TensorProto::UINT8);
    w.set_raw_data(std::string(4, '\1'));
    CHECK_THAT(import_error(model(w)), Catch::Contains("UINT8"));
  }
}

TEST_CASE("initializers also listed as graph inputs are constants, not inputs", "[frontend][onnx]") {
  OnnxBuilder b("t", 9);
  b.input("x", {1, 2, 4, 4});
  add_conv(b, "conv", "x", "y", 2, 3, 3, 1, 1);
  b.input("conv.w", {3, 2, 3, 3});  // IR version 3 style
  b.input("conv.b", {3});
  b.output("y", {1, 3, 4, 4});
  ir::Graph g = import_model(b.model()).graph;
  CHECK(g.size() == 2);
  CHECK(g.inputs().size() == 1);
  CHECK(g.layer("conv").output_shape == Shape{3, 4, 4});
}

TEST_CASE("node names: unnamed nodes take their first output's name, duplicates get a suffix", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(1, 2, 2);
  b.node("Relu", "", {"x"}, {"first"});
  b.node("Relu", "r", {"first"}, {"a"});
  b.node("Relu", "r", {"a"}, {"b"});
  b.output("b", {-1, 1, 2, 2});
  ir::Graph g = import_model(b.model()).graph;
  CHECK(g.contains("first"));
  CHECK(g.layer("r").output_tensor == "a");
  CHECK(g.layer("r_2").output_tensor == "b");
}

TEST_CASE("nodes out of file order are imported in topological order", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(1, 2, 2);
  b.node("Relu", "second", {"a"}, {"y"});
  b.node("Relu", "first", {"x"}, {"a"});
  b.output("y", {-1, 1, 2, 2});
  ir::Graph g = import_model(b.model()).graph;
  CHECK(g.predecessors(g.vertex("second")) == std::vector<ir::Vertex>{g.vertex("first")});
}

TEST_CASE("fan-out gets an explicit Split layer after import", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(2, 4, 4);
  b.node("Relu", "r", {"x"}, {"r"});
  add_conv(b, "c1", "r", "c1", 2, 2, 3, 1, 1);
  add_conv(b, "c2", "r", "c2", 2, 2, 1, 1, 0, true, 1, 7);
  b.node("Add", "add", {"c1", "c2"}, {"y"});
  b.output("y", {-1, 2, 4, 4});
  ir::Graph g = import_model(b.model()).graph;
  REQUIRE(g.contains("r_split"));
  CHECK(g.layer("r_split").kind == LayerKind::Split);
  CHECK(g.successors(g.vertex("r")) == std::vector<ir::Vertex>{g.vertex("r_split")});
  CHECK(g.successors(g.vertex("r_split")).size() == 2);
  CHECK(g.layer("c1").input_tensors == std::vector<std::string>{"r"});
}

TEST_CASE("opsets 9 to 18 are accepted, others rejected", "[frontend][onnx]") {
  for (int opset : {8, 9, 13, 18, 19}) {
    OnnxBuilder b = model_with_input(1, 2, 2, opset);
    b.node("Relu", "r", {"x"}, {"y"});
    b.output("y", {-1, 1, 2, 2});
    if (opset >= 9 && opset <= 18)
      CHECK(import_model(b.model()).graph.size() == 2);
    else
      CHECK_THAT(import_error(b.model()), Catch::Contains("opset " + std::to_string(opset)));
  }
  OnnxBuilder none = model_with_input(1, 2, 2);
  none.model().clear_opset_import();
  none.node("Relu", "r", {"x"}, {"y"});
  none.output("y", {-1, 1, 2, 2});
  CHECK_THAT(import_error(none.model()), Catch::Contains("opset"));
}

TEST_CASE("input shapes: the batch may be symbolic, other dims must be known and positive", "[frontend][onnx]") {
  auto model = [](std::function<void(onnx::TensorShapeProto&)> edit) {
    OnnxBuilder b("t", 13);
    b.input("x", {-1, 3, 8, 8});
    edit(*b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape());
    b.node("Relu", "r", {"x"}, {"y"});
    b.output("y", {-1, 3, 8, 8});
    return b.model();
  };
  CHECK(import_model(model([](auto&) {})).graph.layer("x").output_shape == Shape{3, 8, 8});
  CHECK(import_model(model([](auto& s) { s.mutable_dim(0)->set_dim_value(64); })).graph.layer("x").output_shape ==
        Shape{3, 8, 8});
  CHECK_THAT(import_error(model([](auto& s) { s.mutable_dim(2)->set_dim_param("H"); })),
             Catch::Contains("symbolic ('H')") && Catch::Contains("'x'"));
  CHECK_THAT(import_error(model([](auto& s) { s.mutable_dim(1)->set_dim_value(0); })),
             Catch::Contains("dimension 1 is 0"));
  CHECK_THAT(import_error(model([](auto& s) { s.mutable_dim(3)->set_dim_value(-4); })),
             Catch::Contains("dimension 3 is -4"));
  CHECK_THAT(import_error(model([](auto& s) { s.mutable_dim(3)->clear_dim_value(); })),
             Catch::Contains("unknown"));
  CHECK_THAT(import_error(model([](auto& s) { s.clear_dim(); })), Catch::Contains("rank 0"));
  onnx::ModelProto no_shape = model([](auto&) {});
  no_shape.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  CHECK_THAT(import_error(no_shape), Catch::Contains("has no shape"));
}

TEST_CASE("unsupported ops are errors naming the op, the node and the supported list", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(1, 2, 2);
  b.node("Relu", "r", {"x"}, {"a"});
  b.node("LeakyRelu", "leaky", {"a"}, {"y"});
  b.output("y", {-1, 1, 2, 2});
  std::string e = import_error(b.model());
  CHECK_THAT(e, Catch::Contains("'LeakyRelu'") && Catch::Contains("node 'leaky'") && Catch::Contains("Conv, Relu") &&
                    Catch::Contains("test.onnx"));
  b.graph().mutable_node(1)->set_op_type("Relu");
  b.graph().mutable_node(1)->set_domain("com.microsoft");
  CHECK_THAT(import_error(b.model()), Catch::Contains("com.microsoft.Relu"));
}

TEST_CASE("graph errors: dangling tensors, missing initializers, cycles, NaN weights, bad weights", "[frontend][onnx]") {
  SECTION("a missing initializer is a dangling tensor naming the node") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    add_conv(b, "conv", "x", "y", 2, 2, 3, 1, 1);
    b.graph().mutable_initializer()->RemoveLast();  // conv.b
    b.output("y", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'conv.b'") && Catch::Contains("node 'conv'") &&
                                            Catch::Contains("dangling"));
  }
  SECTION("a graph output nobody produces") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    b.node("Relu", "r", {"x"}, {"a"});
    b.output("nothing", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'nothing'"));
  }
  SECTION("a cycle") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    b.node("Add", "a1", {"x", "b"}, {"a"});
    b.node("Relu", "r", {"a"}, {"b"});
    b.output("b", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("cycle"));
  }
  SECTION("NaN or Inf in weights") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    add_conv(b, "conv", "x", "y", 2, 2, 3, 1, 1);
    b.graph().mutable_initializer(0)->set_float_data(5, std::nanf(""));
    b.output("y", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("'conv.w'") && Catch::Contains("NaN"));
    b.graph().mutable_initializer(0)->set_float_data(5, std::numeric_limits<float>::infinity());
    CHECK_THAT(import_error(b.model()), Catch::Contains("NaN or Inf"));
  }
  SECTION("weights that do not match the input channels, or a kernel that does not fit") {
    OnnxBuilder b = model_with_input(3, 4, 4);
    add_conv(b, "conv", "x", "y", 2, 2, 3, 1, 1);  // weights for 2 channels
    b.output("y", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("3 channels") && Catch::Contains("'conv'"));
    OnnxBuilder big = model_with_input(2, 4, 4);
    add_conv(big, "conv", "x", "y", 2, 2, 7, 1, 0);
    big.output("y", {-1, 2, 1, 1});
    CHECK_THAT(import_error(big.model()), Catch::Contains("does not fit"));
  }
  SECTION("activations where a constant is expected, and vice versa") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    b.node("Relu", "r", {"x"}, {"w"});
    b.node("Conv", "conv", {"x", "w"}, {"y"});
    b.output("y", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("computed at run time"));
  }
  SECTION("a tensor produced twice") {
    OnnxBuilder b = model_with_input(2, 4, 4);
    b.node("Relu", "r1", {"x"}, {"y"});
    b.node("Relu", "r2", {"x"}, {"y"});
    b.output("y", {-1, 2, 4, 4});
    CHECK_THAT(import_error(b.model()), Catch::Contains("also produced"));
  }
}

TEST_CASE("malformed bytes are InputErrors, never crashes", "[frontend][onnx]") {
  CHECK_THROWS_AS(frontend::parse_onnx("", "empty.onnx"), InputError);
  CHECK_THROWS_WITH(frontend::parse_onnx("this is not protobuf \xff\xff\xff", "junk.onnx"),
                    Catch::Contains("junk.onnx") && Catch::Contains("protobuf parse failed"));
  // Every prefix of a small serialized model either fails to parse or fails to import with an
  // InputError (a prefix that parses is a model with fields missing).
  OnnxBuilder b = model_with_input(2, 4, 4);
  add_conv(b, "conv", "x", "c", 2, 3, 3, 1, 1);
  b.node("Relu", "relu", {"c"}, {"r"});
  b.node("GlobalAveragePool", "gap", {"r"}, {"g"});
  b.node("Flatten", "flat", {"g"}, {"f"});
  b.initializer("W", {2, 3}, random_values(6, 9));
  set_attribute(b.node("Gemm", "fc", {"f", "W"}, {"y"}), "transB", std::int64_t(1));
  b.output("y", {-1, 2});
  std::string bytes;
  REQUIRE(b.model().SerializeToString(&bytes));
  REQUIRE(import_model(frontend::parse_onnx(bytes, "full")).graph.size() == 6);
  int parsed_prefixes = 0;
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    try {
      onnx::ModelProto m = frontend::parse_onnx(bytes.substr(0, len), "prefix");
      ++parsed_prefixes;
      import_model(m, "prefix");
      FAIL("a truncated model (" << len << " of " << bytes.size() << " bytes) imported without an error");
    } catch (const InputError&) {
    }
  }
  CHECK(parsed_prefixes >= 1);  // e.g. the prefix that ends before the graph
}

TEST_CASE("a Conv with channel_sparsity_hist carries SparsityStats", "[frontend][onnx]") {
  OnnxBuilder b = model_with_input(2, 4, 4);
  auto& n = add_conv(b, "conv", "x", "y", 2, 1, 1, 1, 0);  // 1×1: two bins per channel
  set_attribute(n, "channel_sparsity_hist", std::vector<float>{0.75f, 0.25f, 0.5f, 0.5f});
  b.output("y", {-1, 1, 4, 4});
  ir::Graph g = import_model(b.model()).graph;
  const ir::Layer& l = g.layer("conv");
  REQUIRE(l.sparsity.has_value());
  CHECK(l.sparsity->histogram == std::vector<std::vector<double>>{{0.75, 0.25}, {0.5, 0.5}});
  CHECK(l.sparsity->mean_sparsity == Approx((0.25 + 0.5) / 2));
  set_attribute(n, "channel_sparsity_hist", std::vector<float>{0.75f, 0.25f, 0.5f});
  CHECK_THAT(import_error(b.model()), Catch::Contains("channel_sparsity_hist"));
}
