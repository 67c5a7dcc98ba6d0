// The model zoo (docs/zoo.md): CIFAR ResNets and VGG-11 with deterministic He-normal weights.
#include "sparsedse/frontend/zoo.hpp"

#include <cmath>
#include <numbers>
#include <random>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/frontend/onnx_builder.hpp"

namespace sparsedse::frontend {

namespace {

// Standard normals from std::mt19937_64 (whose sequence the C++ standard fixes) through our own
// Box-Muller transform, so a seed gives the same weights with every standard library.
class NormalSource {
 public:
  explicit NormalSource(std::uint64_t seed) : rng_(seed) {}
  double next() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = (double(rng_() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1): log(u1) is finite
    const double u2 = double(rng_() >> 11) * 0x1.0p-53;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 rng_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Per-layer seed: the model seed mixed with the layer name (FNV-1a, then splitmix64), so a layer's
// weights do not depend on the sizes of the layers before it.
std::uint64_t layer_seed(std::uint64_t seed, const std::string& name) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  std::uint64_t z = seed ^ h;
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Builds one network; every node's output tensor carries the node's name (docs/zoo.md).
class Net {
 public:
  Net(const std::string& name, const ZooOptions& o) : o_(o), b_(name, 13) {
    b_.input("input", {-1, o.in_channels, o.image_size, o.image_size});
  }

  // He-normal weights (std = √(2 / fan_in), fan_in = C·K²) and a zero bias: the BN-folded form.
  std::string conv(const std::string& name, const std::string& x, int cin, int cout, int k, int stride) {
    NormalSource normal(layer_seed(o_.seed, name));
    const double std_dev = std::sqrt(2.0 / double(cin * k * k));
    std::vector<float> w(std::size_t(cout) * std::size_t(cin) * std::size_t(k * k));
    for (float& v : w) v = float(std_dev * normal.next());
    b_.initializer(name + ".weight", {cout, cin, k, k}, w, true);
    b_.initializer(name + ".bias", {cout}, std::vector<float>(std::size_t(cout), 0.0f), true);
    auto& n = b_.node("Conv", name, {x, name + ".weight", name + ".bias"}, {name});
    const std::int64_t pad = k / 2;
    set_attribute(n, "kernel_shape", std::vector<std::int64_t>{k, k});
    set_attribute(n, "strides", std::vector<std::int64_t>{stride, stride});
    set_attribute(n, "pads", std::vector<std::int64_t>{pad, pad, pad, pad});
    set_attribute(n, "group", std::int64_t(1));
    return name;
  }

  std::string relu(const std::string& name, const std::string& x) {
    b_.node("Relu", name, {x}, {name});
    return name;
  }

  std::string add(const std::string& name, const std::string& a, const std::string& b) {
    b_.node("Add", name, {a, b}, {name});
    return name;
  }

  std::string maxpool(const std::string& name, const std::string& x) {
    auto& n = b_.node("MaxPool", name, {x}, {name});
    set_attribute(n, "kernel_shape", std::vector<std::int64_t>{2, 2});
    set_attribute(n, "strides", std::vector<std::int64_t>{2, 2});
    return name;
  }

  // avgpool → flatten → fc, with the logits as the graph output.
  void head(const std::string& x, int features, bool global_pool) {
    std::string flat_in = x;
    if (global_pool) flat_in = b_.node("GlobalAveragePool", "avgpool", {x}, {"avgpool"}).output(0);
    auto& f = b_.node("Flatten", "flatten", {flat_in}, {"flatten"});
    set_attribute(f, "axis", std::int64_t(1));
    NormalSource normal(layer_seed(o_.seed, "fc"));
    const double std_dev = std::sqrt(2.0 / double(features));
    std::vector<float> w(std::size_t(o_.classes) * std::size_t(features));
    for (float& v : w) v = float(std_dev * normal.next());
    b_.initializer("fc.weight", {o_.classes, features}, w, true);
    b_.initializer("fc.bias", {o_.classes}, std::vector<float>(std::size_t(o_.classes), 0.0f), true);
    auto& fc = b_.node("Gemm", "fc", {"flatten", "fc.weight", "fc.bias"}, {"logits"});
    set_attribute(fc, "transB", std::int64_t(1));
    b_.output("logits", {-1, o_.classes});
  }

  onnx::ModelProto take() { return std::move(b_.model()); }

 private:
  const ZooOptions& o_;
  OnnxBuilder b_;
};

std::string block_prefix(int stage, int block) {
  return "layer" + std::to_string(stage) + "." + std::to_string(block) + ".";
}

// BasicBlock: conv1 (3×3, stride) → relu1 → conv2 (3×3) → add(conv2, shortcut or input) → relu.
std::string basic_block(Net& net, const std::string& x, int stage, int block, int cin, int cout, int stride) {
  const std::string p = block_prefix(stage, block);
  std::string y = net.conv(p + "conv1", x, cin, cout, 3, stride);
  y = net.relu(p + "relu1", y);
  y = net.conv(p + "conv2", y, cout, cout, 3, 1);
  std::string shortcut = x;
  if (stride != 1 || cin != cout) shortcut = net.conv(p + "shortcut", x, cin, cout, 1, stride);
  return net.relu(p + "relu", net.add(p + "add", y, shortcut));
}

// Bottleneck (expansion 4, stride on the 3×3 conv): conv1 1×1 → relu1 → conv2 3×3 → relu2 → conv3 1×1.
std::string bottleneck(Net& net, const std::string& x, int stage, int block, int cin, int width, int stride) {
  const std::string p = block_prefix(stage, block);
  const int cout = 4 * width;
  std::string y = net.relu(p + "relu1", net.conv(p + "conv1", x, cin, width, 1, 1));
  y = net.relu(p + "relu2", net.conv(p + "conv2", y, width, width, 3, stride));
  y = net.conv(p + "conv3", y, width, cout, 1, 1);
  std::string shortcut = block == 0 ? net.conv(p + "shortcut", x, cin, cout, 1, stride) : x;
  return net.relu(p + "relu", net.add(p + "add", y, shortcut));
}

onnx::ModelProto resnet(const std::string& name, const ZooOptions& o, bool bottlenecks, std::vector<int> blocks,
                        std::vector<int> widths) {
  Net net(name, o);
  std::string x = net.relu("stem.relu", net.conv("stem.conv", "input", o.in_channels, widths[0], 3, 1));
  int channels = widths[0];
  for (std::size_t s = 0; s < blocks.size(); ++s) {
    for (int b = 0; b < blocks[s]; ++b) {
      const int stride = (s > 0 && b == 0) ? 2 : 1;
      if (bottlenecks) {
        x = bottleneck(net, x, int(s) + 1, b, channels, widths[s], stride);
        channels = 4 * widths[s];
      } else {
        x = basic_block(net, x, int(s) + 1, b, channels, widths[s], stride);
        channels = widths[s];
      }
    }
  }
  net.head(x, channels, true);
  return net.take();
}

// CIFAR VGG-11: 64,M,128,M,256,256,M,512,512,M,512,512,M (3×3 convs + ReLU, 2×2/2 max-pools),
// then flatten and one fc 512 → classes.
onnx::ModelProto vgg11(const std::string& name, const ZooOptions& o) {
  if (o.image_size < 32)
    throw InputError("zoo " + name, "needs image_size >= 32 (five 2x2 max-pools); got " + std::to_string(o.image_size));
  const int cfg[] = {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0};  // 0 = max-pool
  Net net(name, o);
  std::string x = "input";
  int channels = o.in_channels, conv = 0, pool = 0, size = o.image_size;
  for (int c : cfg) {
    if (c == 0) {
      x = net.maxpool("pool" + std::to_string(++pool), x);
      size /= 2;
      continue;
    }
    ++conv;
    x = net.relu("relu" + std::to_string(conv), net.conv("conv" + std::to_string(conv), x, channels, c, 3, 1));
    channels = c;
  }
  net.head(x, channels * size * size, false);
  return net.take();
}

}  // namespace

const std::vector<std::string>& zoo_names() {
  static const std::vector<std::string> names{"resnet18-cifar", "resnet20-cifar", "resnet50-cifar", "vgg11-cifar"};
  return names;
}

onnx::ModelProto zoo_onnx(const std::string& name, const ZooOptions& o) {
  const std::string where = "zoo " + name;
  if (o.in_channels < 1 || o.in_channels > 64)
    throw InputError(where, "in_channels = " + std::to_string(o.in_channels) + "; expected 1 to 64");
  if (o.classes < 1 || o.classes > 100000)
    throw InputError(where, "classes = " + std::to_string(o.classes) + "; expected at least 1");
  if (o.image_size < 8 || o.image_size > 4096)
    throw InputError(where, "image_size = " + std::to_string(o.image_size) + "; expected 8 to 4096");
  if (name == "resnet18-cifar") return resnet(name, o, false, {2, 2, 2, 2}, {64, 128, 256, 512});
  if (name == "resnet20-cifar") return resnet(name, o, false, {3, 3, 3}, {16, 32, 64});
  if (name == "resnet50-cifar") return resnet(name, o, true, {3, 4, 6, 3}, {64, 128, 256, 512});
  if (name == "vgg11-cifar") return vgg11(name, o);
  std::string known;
  for (const auto& n : zoo_names()) known += (known.empty() ? "" : ", ") + n;
  throw InputError("zoo", "unknown model '" + name + "'; available: " + known);
}

ir::Graph zoo_model(const std::string& name, const ZooOptions& options) {
  return import_onnx(zoo_onnx(name, options), name);
}

void write_zoo_model(const std::string& name, const ZooOptions& options, const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".json") return save_json_model(zoo_model(name, options), path);
  if (ext != ".onnx") throw InputError(path.string(), "unknown model format '" + ext + "'; expected .onnx or .json");
  std::string bytes;
  if (!zoo_onnx(name, options).SerializeToString(&bytes))
    throw InputError(path.string(), "cannot serialize the ONNX model");
  write_file_atomic(path, bytes);
}

}  // namespace sparsedse::frontend
