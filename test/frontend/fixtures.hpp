#pragma once
// Helpers for the frontend tests: small ONNX models built in memory, import wrappers that capture
// warnings and errors, and a direct (plain-loop) convolution for numerical checks.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sparsedse/common/error.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/frontend/onnx_builder.hpp"

namespace fixtures {

using sparsedse::frontend::OnnxBuilder;
using sparsedse::frontend::set_attribute;
using Ints = std::vector<std::int64_t>;

inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> iota_values(std::size_t n, float start = 0.0f, float step = 1.0f) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = start + step * float(i);
  return v;
}

// A Conv node with initializers `<name>.w` [f, c/group, k, k] and (optionally) `<name>.b` [f].
inline onnx::NodeProto& add_conv(OnnxBuilder& b, const std::string& name, const std::string& x, const std::string& y,
                                 int c, int f, int k, int stride, int pad, bool bias = true, int group = 1,
                                 std::uint32_t seed = 1) {
  b.initializer(name + ".w", {f, c / group, k, k}, random_values(std::size_t(f * (c / group) * k * k), seed));
  std::vector<std::string> inputs{x, name + ".w"};
  if (bias) {
    b.initializer(name + ".b", {f}, random_values(std::size_t(f), seed + 1000));
    inputs.push_back(name + ".b");
  }
  auto& n = b.node("Conv", name, inputs, {y});
  set_attribute(n, "kernel_shape", Ints{k, k});
  set_attribute(n, "strides", Ints{stride, stride});
  set_attribute(n, "pads", Ints{pad, pad, pad, pad});
  if (group != 1) set_attribute(n, "group", std::int64_t(group));
  return n;
}

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("sparsedse-frontend-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One layer of every kind: conv → relu → {maxpool, conv s2} → add → {avgpool (count_include_pad),
// itself} → concat → thresholded relu → gap → flatten → fc. Splits appear after r1 and add.
inline onnx::ModelProto all_kinds_model() {
  OnnxBuilder b("all_kinds", 13);
  b.input("x", {-1, 3, 8, 8});
  add_conv(b, "c1", "x", "c1", 3, 4, 3, 1, 1, true, 1, 31);
  b.node("Relu", "r1", {"c1"}, {"r1"});
  auto& mp = b.node("MaxPool", "mp", {"r1"}, {"mp"});
  set_attribute(mp, "kernel_shape", Ints{2, 2});
  set_attribute(mp, "strides", Ints{2, 2});
  add_conv(b, "c2", "r1", "c2", 4, 4, 3, 2, 1, false, 1, 32);
  b.node("Add", "add", {"mp", "c2"}, {"add"});
  auto& ap = b.node("AveragePool", "ap", {"add"}, {"ap"});
  set_attribute(ap, "kernel_shape", Ints{3, 3});
  set_attribute(ap, "pads", Ints{1, 1, 1, 1});
  set_attribute(ap, "count_include_pad", std::int64_t(1));
  set_attribute(b.node("Concat", "cat", {"ap", "add"}, {"cat"}), "axis", std::int64_t(1));
  set_attribute(b.node("ThresholdedRelu", "tr", {"cat"}, {"tr"}), "alpha", 0.125f);
  b.node("GlobalAveragePool", "gap", {"tr"}, {"gap"});
  set_attribute(b.node("Flatten", "flat", {"gap"}, {"flat"}), "axis", std::int64_t(1));
  b.initializer("fc.w", {3, 8}, random_values(24, 33));
  b.initializer("fc.b", {3}, random_values(3, 34));
  set_attribute(b.node("Gemm", "fc", {"flat", "fc.w", "fc.b"}, {"logits"}), "transB", std::int64_t(1));
  b.output("logits", {-1, 3});
  return b.model();
}

struct Imported {
  sparsedse::ir::Graph graph;
  std::string warnings;
};

inline Imported import_model(const onnx::ModelProto& model, const std::string& source = "test.onnx") {
  std::ostringstream warnings;
  sparsedse::frontend::OnnxImportOptions options;
  options.warnings = &warnings;
  Imported out{sparsedse::frontend::import_onnx(model, source, options), ""};
  out.warnings = warnings.str();
  return out;
}

// The message of the InputError that importing `model` throws; fails the test if it does not throw.
inline std::string import_error(const onnx::ModelProto& model) {
  std::ostringstream warnings;
  sparsedse::frontend::OnnxImportOptions options;
  options.warnings = &warnings;
  try {
    sparsedse::frontend::import_onnx(model, "test.onnx", options);
  } catch (const sparsedse::InputError& e) {
    return e.what();
  }
  FAIL("import did not throw an InputError");
  return "";
}

// Direct NCHW convolution of one image, the textbook definition: out[f][y][x] = b[f] +
// Σ_{c in group} Σ_{i,j} w[f][c][i][j] · in[c][y·s − pt + i][x·s − pl + j] (zero outside the input).
inline std::vector<double> direct_conv(const std::vector<float>& in, int c, int h, int w, const std::vector<float>& weights,
                                       const std::vector<float>& bias, int f, int k, int stride, int pad, int group = 1) {
  const int ho = (h + 2 * pad - k) / stride + 1, wo = (w + 2 * pad - k) / stride + 1;
  const int cg = c / group, fg = f / group;
  std::vector<double> out(std::size_t(f * ho * wo));
  for (int o = 0; o < f; ++o) {
    const int g = o / fg;
    for (int y = 0; y < ho; ++y)
      for (int x = 0; x < wo; ++x) {
        double acc = bias.empty() ? 0.0 : bias[std::size_t(o)];
        for (int ci = 0; ci < cg; ++ci)
          for (int i = 0; i < k; ++i)
            for (int j = 0; j < k; ++j) {
              const int r = y * stride - pad + i, s = x * stride - pad + j;
              if (r < 0 || r >= h || s < 0 || s >= w) continue;
              acc += double(weights[std::size_t(((o * cg + ci) * k + i) * k + j)]) *
                     double(in[std::size_t(((g * cg + ci) * h + r) * w + s)]);
            }
        out[std::size_t((o * ho + y) * wo + x)] = acc;
      }
  }
  return out;
}

}  // namespace fixtures
