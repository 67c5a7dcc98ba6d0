// The model zoo: reference MAC and parameter counts (facts.md §2), the node-name contract shared with
// tools/train, deterministic weights, and valid ONNX.
#include <cmath>
#include <cstring>
#include <map>

#include <onnx/checker.h>

#include "fixtures.hpp"
#include "sparsedse/frontend/zoo.hpp"

using namespace fixtures;
using namespace sparsedse;

namespace {

const ir::Layer& layer(const ir::Graph& g, const std::string& name) { return g.layer(name); }

std::map<std::string, const onnx::NodeProto*> nodes_by_name(const onnx::ModelProto& m) {
  std::map<std::string, const onnx::NodeProto*> out;
  for (const auto& n : m.graph().node()) out[n.name()] = &n;
  return out;
}

const onnx::TensorProto& initializer(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return t;
  FAIL("no initializer " << name);
  return m.graph().initializer(0);
}

float raw_float(const onnx::TensorProto& t, int i) {
  float f;
  std::memcpy(&f, t.raw_data().data() + 4 * i, 4);
  return f;
}

}  // namespace

TEST_CASE("zoo ResNet-18 and ResNet-50 match the reference counts", "[frontend][zoo]") {
  // facts.md §2.2: ResNet-18 CIFAR 555.42 M MACs, 11.17 M params; ResNet-50 1297.8 M MACs, 23.5 M params
  // (conv + fc MACs; BN folded into conv biases).
  ir::Graph r18 = frontend::zoo_model("resnet18-cifar");
  CHECK(std::llround(double(r18.total_macs()) / 1e4) == 55542);
  CHECK(std::llround(double(r18.total_params()) / 1e4) == 1117);
  // facts.md §2.3 layer table.
  CHECK(layer(r18, "stem.conv").macs() == 1769472);
  CHECK(layer(r18, "layer1.0.conv1").macs() == 37748736);
  CHECK(layer(r18, "layer2.0.conv1").macs() == 18874368);
  CHECK(layer(r18, "layer2.0.shortcut").macs() == 2097152);
  CHECK(layer(r18, "layer4.0.conv2").weights.size() == 2359296);
  CHECK(layer(r18, "layer4.0.conv2").output_shape == ir::Shape{512, 4, 4});
  CHECK(layer(r18, "fc").macs() == 5120);
  CHECK_FALSE(r18.contains("layer1.0.shortcut"));  // 64 → 64, stride 1: identity

  ir::Graph r50 = frontend::zoo_model("resnet50-cifar");
  CHECK(std::llround(double(r50.total_macs()) / 1e5) == 12978);
  CHECK(std::llround(double(r50.total_params()) / 1e5) == 235);
  // facts.md §2.4.
  CHECK(layer(r50, "layer1.0.conv1").macs() == 4194304);
  CHECK(layer(r50, "layer1.0.shortcut").macs() == 16777216);
  CHECK(layer(r50, "layer2.0.conv1").macs() == 33554432);  // 256 → 128 at 32×32
  CHECK(layer(r50, "layer2.0.conv2").window.stride_rows == 2);  // stride on the 3×3
  CHECK(layer(r50, "layer4.0.shortcut").weights.size() == 2097152);
  CHECK(layer(r50, "fc").macs() == 20480);
  CHECK_FALSE(r50.contains("layer1.1.shortcut"));
  int convs = 0;
  for (ir::Vertex v = 0; v < r50.size(); ++v) convs += r50.layer(v).kind == ir::LayerKind::Convolution;
  CHECK(convs == 53);

  // models/README.md (the trained 1-channel models, counted in PyTorch): ONNX nodes and folded params.
  // With 3 input channels the stem has 2·9·64 more weights.
  auto nodes = [](const ir::Graph& g) {
    int n = 0;
    for (ir::Vertex v = 0; v < g.size(); ++v)
      n += g.layer(v).kind != ir::LayerKind::Input && g.layer(v).kind != ir::LayerKind::Split;
    return n;
  };
  CHECK(nodes(r18) == 48);
  CHECK(nodes(r50) == 121);
  CHECK(r18.total_params() == 11168010 + 1152);
  CHECK(r50.total_params() == 23493130 + 1152);
  ir::Graph r20 = frontend::zoo_model("resnet20-cifar", {1, 10, 0, 32});
  CHECK(nodes(r20) == 52);
  CHECK(r20.total_params() == 271402);
}

TEST_CASE("zoo ResNet-20 and VGG-11: hand-computed MACs", "[frontend][zoo]") {
  // ResNet-20: stem 32²·16·27 + 6 × 32²·16·144 + (16²·32·144 + 5 × 16²·32·288 + 16²·32·16)
  //            + (8²·64·288 + 5 × 8²·64·576 + 8²·64·32) + 64·10.
  ir::Graph r20 = frontend::zoo_model("resnet20-cifar");
  CHECK(r20.total_macs() == 442368 + 6 * 2359296 + (1179648 + 5 * 2359296 + 131072) +
                                (1179648 + 5 * 2359296 + 131072) + 640);
  // VGG-11 on 32×32: convs at 32, 16, 8, 8, 4, 4, 2, 2; fc 512 → 10.
  ir::Graph vgg = frontend::zoo_model("vgg11-cifar");
  CHECK(vgg.total_macs() == 1769472 + 18874368 + 18874368 + 37748736 + 18874368 + 37748736 + 9437184 + 9437184 + 5120);
  // Params: 3·64·9 + 64, 64·128·9 + 128, 128·256·9 + 256, 256·256·9 + 256, 256·512·9 + 512,
  // 3 × (512·512·9 + 512), fc 512·10 + 10.
  CHECK(vgg.total_params() == 1792 + 73856 + 295168 + 590080 + 1180160 + 3 * 2359808 + 5130);
  CHECK(vgg.layer("pool5").output_shape == ir::Shape{512, 1, 1});
  CHECK(vgg.layer("fc").input_shape() == ir::Shape{512, 1, 1});
}

TEST_CASE("zoo node names follow the contract shared with the training script", "[frontend][zoo]") {
  onnx::ModelProto m = frontend::zoo_onnx("resnet18-cifar", {1, 10, 0, 32});
  const auto& in = m.graph().input(0);
  CHECK(in.name() == "input");
  const auto& dims = in.type().tensor_type().shape().dim();
  REQUIRE(dims.size() == 4);
  CHECK(dims[0].has_dim_param());  // N symbolic
  CHECK((dims[1].dim_value() == 1 && dims[2].dim_value() == 32 && dims[3].dim_value() == 32));
  CHECK(m.graph().output(0).name() == "logits");

  std::vector<std::string> expected{"stem.conv", "stem.relu"};
  for (int s = 1; s <= 4; ++s)
    for (int b = 0; b < 2; ++b) {
      const std::string p = "layer" + std::to_string(s) + "." + std::to_string(b) + ".";
      for (const char* n : {"conv1", "relu1", "conv2"}) expected.push_back(p + n);
      if (s > 1 && b == 0) expected.push_back(p + "shortcut");
      for (const char* n : {"add", "relu"}) expected.push_back(p + n);
    }
  for (const char* n : {"avgpool", "flatten", "fc"}) expected.push_back(n);
  std::vector<std::string> names;
  for (const auto& n : m.graph().node()) {
    names.push_back(n.name());
    CHECK(n.output(0) == (n.name() == "fc" ? std::string("logits") : n.name()));
  }
  CHECK(names == expected);
  auto nodes = nodes_by_name(m);
  CHECK(nodes.at("layer2.0.add")->input(0) == "layer2.0.conv2");
  CHECK(nodes.at("layer2.0.add")->input(1) == "layer2.0.shortcut");
  CHECK(nodes.at("layer1.1.add")->input(1) == "layer1.0.relu");
  CHECK(nodes.at("avgpool")->op_type() == "GlobalAveragePool");
  CHECK(nodes.at("stem.conv")->input(1) == "stem.conv.weight");
  CHECK(nodes.at("stem.conv")->input(2) == "stem.conv.bias");

  onnx::ModelProto r50 = frontend::zoo_onnx("resnet20-cifar");
  auto n50 = nodes_by_name(r50);
  CHECK(n50.count("layer3.2.relu") == 1);
  CHECK(n50.count("layer2.0.shortcut") == 1);
  CHECK(n50.count("layer4.0.conv1") == 0);
  onnx::ModelProto bottleneck = frontend::zoo_onnx("resnet50-cifar", {3, 10, 0, 8});  // small: names only
  auto nb = nodes_by_name(bottleneck);
  for (const char* n : {"layer1.0.relu2", "layer1.0.conv3", "layer1.0.shortcut", "layer4.2.conv3", "layer3.5.relu"})
    CHECK(nb.count(n) == 1);
  CHECK(nb.count("layer1.1.shortcut") == 0);
}

TEST_CASE("zoo weights: deterministic, He-scaled, independent per layer", "[frontend][zoo]") {
  onnx::ModelProto a = frontend::zoo_onnx("resnet20-cifar", {3, 10, 42, 32});
  onnx::ModelProto b = frontend::zoo_onnx("resnet20-cifar", {3, 10, 42, 32});
  onnx::ModelProto c = frontend::zoo_onnx("resnet20-cifar", {3, 10, 43, 32});
  onnx::ModelProto gray = frontend::zoo_onnx("resnet20-cifar", {1, 10, 42, 32});
  std::string sa, sb;
  REQUIRE(a.SerializeToString(&sa));
  REQUIRE(b.SerializeToString(&sb));
  CHECK(sa == sb);
  CHECK(initializer(a, "layer1.0.conv1.weight").raw_data() != initializer(c, "layer1.0.conv1.weight").raw_data());
  // Per-layer seeds: only the stem differs with one input channel.
  CHECK(initializer(a, "layer1.0.conv1.weight").raw_data() == initializer(gray, "layer1.0.conv1.weight").raw_data());
  CHECK(initializer(gray, "stem.conv.weight").dims(1) == 1);
  // Pinned values: mt19937_64 and our Box-Muller are platform-independent, so these never change.
  onnx::ModelProto seed0 = frontend::zoo_onnx("resnet20-cifar");
  const onnx::TensorProto& stem = initializer(seed0, "stem.conv.weight");
  INFO("stem weights " << raw_float(stem, 0) << ", " << raw_float(stem, 1) << ", " << raw_float(stem, 2));
  CHECK(raw_float(stem, 0) == Approx(-0.288436).epsilon(1e-5));
  CHECK(raw_float(stem, 1) == Approx(0.129079).epsilon(1e-5));
  CHECK(raw_float(stem, 2) == Approx(0.237471).epsilon(1e-5));

  // He normal: std √(2 / fan_in), mean 0, over 36 864 weights of layer3.1.conv1 (fan_in 576).
  const onnx::TensorProto& w = initializer(a, "layer3.1.conv1.weight");
  const int n = int(w.raw_data().size() / 4);
  REQUIRE(n == 64 * 64 * 9);
  double sum = 0.0, sq = 0.0;
  for (int i = 0; i < n; ++i) {
    double x = raw_float(w, i);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean), he = std::sqrt(2.0 / 576.0);
  CHECK(std::abs(mean) < 0.03 * he);           // 5 standard errors
  CHECK(sd == Approx(he).epsilon(0.02));
  for (int i = 0; i < 64; ++i) CHECK(raw_float(initializer(a, "layer3.1.conv1.bias"), i) == 0.0f);
}

TEST_CASE("zoo models are valid ONNX and import cleanly", "[frontend][zoo]") {
  for (const auto& name : frontend::zoo_names()) {
    INFO(name);
    onnx::ModelProto m = frontend::zoo_onnx(name, {3, 10, 0, name == "vgg11-cifar" ? 32 : 16});
    CHECK_NOTHROW(onnx::checker::check_model(m));
    ir::Graph g = import_model(m, name).graph;
    CHECK(g.name == name);
    CHECK(g.outputs().size() == 1);
    CHECK(g.layer(g.outputs()[0]).output_shape == ir::Shape{10, 1, 1});
  }
  CHECK(frontend::zoo_model("resnet20-cifar", {3, 100, 0, 32}).layer("fc").filters == 100);
  CHECK(frontend::zoo_model("resnet18-cifar", {3, 10, 0, 16}).contains("stem.relu_split"));
  CHECK_THROWS_WITH(frontend::zoo_onnx("resnet34-cifar"), Catch::Contains("resnet18-cifar") && Catch::Contains("resnet34"));
  CHECK_THROWS_AS(frontend::zoo_onnx("resnet20-cifar", {0, 10, 0, 32}), InputError);
  CHECK_THROWS_AS(frontend::zoo_onnx("vgg11-cifar", {3, 10, 0, 16}), InputError);
}
