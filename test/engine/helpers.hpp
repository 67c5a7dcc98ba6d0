#pragma once
// Hand-built IR graphs and straightforward reference implementations (nested loops in double or
// int64) that the engine's optimised kernels are checked against.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sparsedse/common/fixed_point.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

namespace test_engine {

using namespace sparsedse;
using namespace sparsedse::ir;

inline Layer input_layer(Shape s, const std::string& name = "input") {
  Layer l;
  l.name = name;
  l.kind = LayerKind::Input;
  l.output_tensor = name;
  l.output_shape = s;
  return l;
}

inline Layer simple(const std::string& name, LayerKind kind) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.output_tensor = name;
  return l;
}

inline Layer conv_layer(const std::string& name, int c, int f, Window w, int groups, std::mt19937& rng,
                        bool bias = true, float scale = 0.5f) {
  Layer l = simple(name, LayerKind::Convolution);
  l.filters = f;
  l.groups = groups;
  l.window = w;
  std::uniform_real_distribution<float> u(-scale, scale);
  l.weights.resize(std::int64_t(f) * (c / groups) * w.kernel_size());
  for (auto& x : l.weights) x = u(rng);
  if (bias) {
    l.bias.resize(f);
    for (auto& x : l.bias) x = u(rng);
  }
  return l;
}

// One convolution shape of a table-driven test: input C×H×W, F filters, groups, window.
struct ConvCase {
  int c, h, w, f, groups;
  Window win;
};

inline Layer fc_layer(const std::string& name, std::int64_t inputs, int f, std::mt19937& rng, bool bias = true) {
  Layer l = simple(name, LayerKind::InnerProduct);
  l.filters = f;
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  l.weights.resize(inputs * f);
  for (auto& x : l.weights) x = u(rng);
  if (bias) {
    l.bias.resize(f);
    for (auto& x : l.bias) x = u(rng);
  }
  return l;
}

// input -> layer (single-layer graph), shapes inferred.
inline Graph single(Shape in, Layer layer) {
  Graph g;
  g.name = "single";
  Vertex i = g.add_layer(input_layer(in));
  Vertex v = g.add_layer(std::move(layer));
  g.connect(i, v, 0);
  infer_shapes(g);
  return g;
}

inline engine::Tensor random_tensor(int n, Shape s, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  engine::Tensor t(n, s);
  std::uniform_real_distribution<float> u(lo, hi);
  for (auto& x : t.data) x = u(rng);
  return t;
}

// Random grid values of `f` (raw codes uniformly over a sub-range of the format).
inline engine::Tensor random_grid(int n, Shape s, FixedFormat f, std::mt19937& rng, std::int64_t max_raw_used) {
  engine::Tensor t(n, s);
  std::uniform_int_distribution<std::int64_t> u(-max_raw_used, max_raw_used);
  for (auto& x : t.data) x = float(std::ldexp(double(u(rng)), -f.frac));
  return t;
}

inline engine::Numerics float_numerics() {
  engine::Numerics n;
  n.mode = engine::Numerics::Mode::Float;
  return n;
}

inline engine::Numerics fixed_numerics(FixedFormat data = kDefaultData, FixedFormat weights = kDefaultWeight) {
  engine::Numerics n;
  n.mode = engine::Numerics::Mode::Fixed;
  n.data = data;
  n.weights = weights;
  return n;
}

// Reference convolution in double: out[n][f][y][x] = b[f] + Σ w · x over the group's channels.
inline std::vector<double> reference_conv(const Layer& l, const engine::Tensor& in) {
  const Shape& s = in.shape;
  const Shape& o = l.output_shape;
  const Window& w = l.window;
  const int cg = s.channels / l.groups, fg = l.filters / l.groups;
  std::vector<double> out(std::size_t(in.batch) * o.elements());
  for (int n = 0; n < in.batch; ++n)
    for (int f = 0; f < l.filters; ++f)
      for (int y = 0; y < o.rows; ++y)
        for (int x = 0; x < o.cols; ++x) {
          double acc = l.has_bias() ? double(l.bias[f]) : 0.0;
          for (int ci = 0; ci < cg; ++ci)
            for (int kr = 0; kr < w.kernel_rows; ++kr)
              for (int kc = 0; kc < w.kernel_cols; ++kc) {
                const int iy = y * w.stride_rows - w.pad_top + kr, ix = x * w.stride_cols - w.pad_left + kc;
                if (iy < 0 || iy >= s.rows || ix < 0 || ix >= s.cols) continue;
                const int c = (f / fg) * cg + ci;
                acc += double(l.weights[((std::int64_t(f) * cg + ci) * w.kernel_rows + kr) * w.kernel_cols + kc]) *
                       double(in.image(n)[(c * s.rows + iy) * s.cols + ix]);
              }
          out[std::size_t(((std::int64_t(n) * l.filters + f) * o.rows + y) * o.cols + x)] = acc;
        }
  return out;
}

// Reference fixed-point convolution (hls.md §8): raw products summed exactly in int64, the bias on the
// accumulator grid, one AP_RND/AP_SAT cast to the output format. Returns output grid values.
inline std::vector<double> reference_fixed_conv(const Layer& l, const engine::Tensor& in, FixedFormat in_fmt,
                                                FixedFormat w_fmt, FixedFormat out_fmt) {
  const Shape& s = in.shape;
  const Shape& o = l.output_shape;
  const Window& w = l.window;
  const int cg = s.channels / l.groups, fg = l.filters / l.groups;
  const AccumulatorFormat acc_fmt = accumulator_format(in_fmt, w_fmt, std::int64_t(cg) * w.kernel_size());
  std::vector<double> out(std::size_t(in.batch) * o.elements());
  for (int n = 0; n < in.batch; ++n)
    for (int f = 0; f < l.filters; ++f)
      for (int y = 0; y < o.rows; ++y)
        for (int x = 0; x < o.cols; ++x) {
          std::int64_t acc = 0;
          for (int ci = 0; ci < cg; ++ci)
            for (int kr = 0; kr < w.kernel_rows; ++kr)
              for (int kc = 0; kc < w.kernel_cols; ++kc) {
                const int iy = y * w.stride_rows - w.pad_top + kr, ix = x * w.stride_cols - w.pad_left + kc;
                if (iy < 0 || iy >= s.rows || ix < 0 || ix >= s.cols) continue;
                const int c = (f / fg) * cg + ci;
                const std::int64_t xr = quantize(double(in.image(n)[(c * s.rows + iy) * s.cols + ix]), in_fmt);
                const std::int64_t wr = quantize_data(
                    double(l.weights[((std::int64_t(f) * cg + ci) * w.kernel_rows + kr) * w.kernel_cols + kc]), w_fmt);
                acc += xr * wr;
              }
          if (l.has_bias()) acc += quantize(double(l.bias[f]), acc_fmt.format, Rounding::rnd, Overflow::sat);
          const std::int64_t r = requantize(acc, acc_fmt.format.frac, out_fmt, Rounding::rnd, Overflow::sat);
          out[std::size_t(((std::int64_t(n) * l.filters + f) * o.rows + y) * o.cols + x)] = to_double(r, out_fmt);
        }
  return out;
}

// The reference for a fixed-point inner product: the 1x1 convolution over its C·H·W × 1 × 1 input with the
// same weights, default formats.
inline std::vector<double> reference_fixed_fc(const Layer& fc, const engine::Tensor& in) {
  Layer as_conv = fc;
  as_conv.kind = LayerKind::Convolution;
  as_conv.window = {};
  as_conv.output_shape = {fc.filters, 1, 1};
  engine::Tensor flat = in;
  flat.shape = {int(in.shape.elements()), 1, 1};
  return reference_fixed_conv(as_conv, flat, kDefaultData, kDefaultWeight, kDefaultData);
}

}  // namespace test_engine
