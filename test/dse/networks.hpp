#pragma once
// Small IR networks and synthetic statistics for the DSE tests.
#include <cmath>
#include <string>
#include <vector>

#include "sparsedse/hw/platform.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

namespace dse_test {

using namespace sparsedse;

inline ir::Layer input(int c, int h, int w) {
  ir::Layer l;
  l.name = "input";
  l.kind = ir::LayerKind::Input;
  l.output_tensor = "input";
  l.output_shape = {c, h, w};
  return l;
}

inline ir::Layer conv(const std::string& name, int c, int f, int k, int stride, int pad) {
  ir::Layer l;
  l.name = name;
  l.kind = ir::LayerKind::Convolution;
  l.output_tensor = name;
  l.filters = f;
  l.window = {k, k, stride, stride, pad, pad, pad, pad};
  l.weights = Eigen::VectorXf::Ones(std::int64_t(f) * c * k * k);
  l.bias = Eigen::VectorXf::Zero(f);
  return l;
}

inline ir::Layer simple(const std::string& name, ir::LayerKind kind) {
  ir::Layer l;
  l.name = name;
  l.kind = kind;
  l.output_tensor = name;
  return l;
}

inline ir::Layer fc(const std::string& name, int inputs, int outputs) {
  ir::Layer l = simple(name, ir::LayerKind::InnerProduct);
  l.filters = outputs;
  l.weights = Eigen::VectorXf::Ones(std::int64_t(inputs) * outputs);
  l.bias = Eigen::VectorXf::Zero(outputs);
  return l;
}

// input(4x8x8) → c1(8) → r1 → {c2(8) → r2 → c3(8), identity} → add → r3 → c4(16, s2) → r4 → gap → fc(10)
inline ir::Graph residual_net() {
  ir::Graph g;
  g.name = "residual";
  auto in = g.add_layer(input(4, 8, 8));
  auto c1 = g.add_layer(conv("c1", 4, 8, 3, 1, 1));
  auto r1 = g.add_layer(simple("r1", ir::LayerKind::ReLU));
  auto c2 = g.add_layer(conv("c2", 8, 8, 3, 1, 1));
  auto r2 = g.add_layer(simple("r2", ir::LayerKind::ReLU));
  auto c3 = g.add_layer(conv("c3", 8, 8, 3, 1, 1));
  auto add = g.add_layer(simple("add", ir::LayerKind::EltwiseAdd));
  auto r3 = g.add_layer(simple("r3", ir::LayerKind::ReLU));
  auto c4 = g.add_layer(conv("c4", 8, 16, 3, 2, 1));
  auto r4 = g.add_layer(simple("r4", ir::LayerKind::ReLU));
  auto gap = g.add_layer(simple("gap", ir::LayerKind::GlobalAveragePool));
  auto flat = g.add_layer(simple("flatten", ir::LayerKind::Flatten));
  auto f = g.add_layer(fc("fc", 16, 10));
  g.connect(in, c1, 0);
  g.connect(c1, r1, 0);
  g.connect(r1, c2, 0);
  g.connect(c2, r2, 0);
  g.connect(r2, c3, 0);
  g.connect(c3, add, 0);
  g.connect(r1, add, 1);
  g.connect(add, r3, 0);
  g.connect(r3, c4, 0);
  g.connect(c4, r4, 0);
  g.connect(r4, gap, 0);
  g.connect(gap, flat, 0);
  g.connect(flat, f, 0);
  ir::insert_splits(g);
  ir::infer_shapes(g);
  ir::validate(g);
  return g;
}

// input(4x8x8) → conv(8, 3x3, pad 1, no bias) → relu: the hand-checked network of the greedy test.
inline ir::Graph two_layer_net() {
  ir::Graph g;
  g.name = "two_layer";
  auto in = g.add_layer(input(4, 8, 8));
  ir::Layer c = conv("conv", 4, 8, 3, 1, 1);
  c.bias.resize(0);
  auto cv = g.add_layer(c);
  auto r = g.add_layer(simple("relu", ir::LayerKind::ReLU));
  g.connect(in, cv, 0);
  g.connect(cv, r, 0);
  ir::infer_shapes(g);
  return g;
}

// Window histograms with zero fraction s_c per channel (binomial over the K² positions); the
// fraction of channel c is base + spread·((c·7) mod C)/C, deterministic.
inline ir::SparsityStats synthetic_stats(int channels, int k, double base, double spread) {
  ir::SparsityStats s;
  s.kernel_rows = s.kernel_cols = k;
  s.windows = 1000;
  const int k2 = k * k;
  double mean = 0;
  for (int c = 0; c < channels; ++c) {
    const double p = std::min(0.99, base + spread * static_cast<double>((c * 7) % channels) / channels);
    std::vector<double> row(k2 + 1);
    double total = 0;
    for (int z = 0; z <= k2; ++z) {
      row[z] = std::tgamma(k2 + 1.0) / (std::tgamma(z + 1.0) * std::tgamma(k2 - z + 1.0)) * std::pow(p, z) *
               std::pow(1 - p, k2 - z);
      total += row[z];
    }
    for (double& x : row) x /= total;
    double zeros = 0;
    for (int z = 0; z <= k2; ++z) zeros += row[z] * z / k2;
    mean += zeros;
    s.histogram.push_back(row);
  }
  s.mean_sparsity = mean / channels;
  return s;
}

// Attach synthetic statistics to every convolution except the first (its input is the image).
inline void attach_stats(ir::Graph& g, double base, double spread) {
  bool first = true;
  for (ir::Vertex v : g.topological_order()) {
    ir::Layer& l = g.layer(v);
    if (l.kind != ir::LayerKind::Convolution) continue;
    if (first) {
      first = false;
      continue;
    }
    l.sparsity = synthetic_stats(l.input_shape().channels, l.window.kernel_rows, base, spread);
  }
}

// A platform with the given budgets (BRAM18 units) and no URAM unless given.
inline hw::Platform small_platform(std::int64_t dsp, std::int64_t lut, std::int64_t bram, std::int64_t uram = 0) {
  hw::Platform p;
  p.name = "small";
  p.part = "test";
  p.board = "test";
  p.device = {lut, 2 * lut, dsp, bram, uram};
  p.usable = p.device;
  p.clock_mhz = 200;
  p.memory_bandwidth_gbps = 100;
  p.reconfiguration_time_s = 0.01;
  return p;
}

}  // namespace dse_test
