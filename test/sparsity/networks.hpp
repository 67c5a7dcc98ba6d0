#pragma once
// Small random IR networks for the sparsity tests, built directly with the IR API.
#include <random>
#include <string>

#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

namespace sparsedse::test {

struct NetBuilder {
  ir::Graph graph;
  std::mt19937 rng;
  bool nonnegative;  // non-negative weights make every activation monotone in every threshold

  NetBuilder(unsigned seed, bool nonnegative_weights) : rng(seed), nonnegative(nonnegative_weights) {}

  Eigen::VectorXf random(std::int64_t n, float scale) {
    std::uniform_real_distribution<float> d(nonnegative ? 0.0f : -scale, scale);
    Eigen::VectorXf v(n);
    for (auto& x : v) x = d(rng);
    return v;
  }

  ir::Vertex add(ir::Layer l, std::initializer_list<ir::Vertex> from) {
    l.output_tensor = l.name + "_out";
    int port = 0;
    for (ir::Vertex f : from) l.input_tensors.push_back(graph.layer(f).output_tensor);
    ir::Vertex v = graph.add_layer(std::move(l));
    for (ir::Vertex f : from) graph.connect(f, v, port++);
    return v;
  }

  ir::Vertex input(ir::Shape s) {
    ir::Layer l;
    l.name = "input";
    l.kind = ir::LayerKind::Input;
    l.output_shape = s;
    return add(std::move(l), {});
  }

  ir::Vertex conv(const std::string& name, ir::Vertex from, int in_channels, int filters, int k, int stride, int pad,
                  int groups = 1) {
    ir::Layer l;
    l.name = name;
    l.kind = ir::LayerKind::Convolution;
    l.filters = filters;
    l.groups = groups;
    l.window.kernel_rows = l.window.kernel_cols = k;
    l.window.stride_rows = l.window.stride_cols = stride;
    l.window.pad_top = l.window.pad_left = l.window.pad_bottom = l.window.pad_right = pad;
    const float scale = 1.5f / float(k * k * in_channels / groups);
    l.weights = random(std::int64_t(filters) * (in_channels / groups) * k * k, 2.0f * scale);
    l.bias = random(filters, 0.2f);
    return add(std::move(l), {from});
  }

  ir::Vertex simple(const std::string& name, ir::LayerKind kind, std::initializer_list<ir::Vertex> from) {
    ir::Layer l;
    l.name = name;
    l.kind = kind;
    return add(std::move(l), from);
  }

  ir::Vertex pool(const std::string& name, ir::Vertex from, int k, int stride) {
    ir::Layer l;
    l.name = name;
    l.kind = ir::LayerKind::MaxPool;
    l.window.kernel_rows = l.window.kernel_cols = k;
    l.window.stride_rows = l.window.stride_cols = stride;
    return add(std::move(l), {from});
  }

  ir::Vertex inner_product(const std::string& name, ir::Vertex from, int inputs, int features) {
    ir::Layer l;
    l.name = name;
    l.kind = ir::LayerKind::InnerProduct;
    l.filters = features;
    l.weights = random(std::int64_t(inputs) * features, 1.0f / float(inputs));
    l.bias = random(features, 0.1f);
    return add(std::move(l), {from});
  }
};

// input 2xSxS (S = 12 by default) -> conv_a 3x3 -> relu_a -> {conv_b 3x3 s2 -> relu_b, conv_skip 1x1 s2}
// -> add -> relu_c -> conv_g 3x3 (groups 2) -> relu_g -> maxpool 2x2 -> relu_d (on the pool) -> gap -> flatten
// -> fc (10 classes).
// A residual join, a fork (split), stride 2, padding, 1x1 and grouped convs, a pool and an inner product.
inline ir::Graph small_resnet(unsigned seed, bool nonnegative_weights, int size = 12) {
  NetBuilder b(seed, nonnegative_weights);
  auto in = b.input({2, size, size});
  auto a = b.conv("conv_a", in, 2, 4, 3, 1, 1);
  auto ra = b.simple("relu_a", ir::LayerKind::ReLU, {a});
  auto cb = b.conv("conv_b", ra, 4, 6, 3, 2, 1);
  auto rb = b.simple("relu_b", ir::LayerKind::ReLU, {cb});
  auto cs = b.conv("conv_skip", ra, 4, 6, 1, 2, 0);
  auto add = b.simple("add", ir::LayerKind::EltwiseAdd, {rb, cs});
  auto rc = b.simple("relu_c", ir::LayerKind::ReLU, {add});
  auto cg = b.conv("conv_g", rc, 6, 6, 3, 1, 1, 2);
  auto rg = b.simple("relu_g", ir::LayerKind::ReLU, {cg});
  auto mp = b.pool("pool", rg, 2, 2);
  auto rd = b.simple("relu_d", ir::LayerKind::ReLU, {mp});
  auto gap = b.simple("gap", ir::LayerKind::GlobalAveragePool, {rd});
  auto fl = b.simple("flatten", ir::LayerKind::Flatten, {gap});
  b.inner_product("fc", fl, 6, 10);
  b.graph.name = "small_resnet";
  ir::insert_splits(b.graph);
  ir::infer_shapes(b.graph);
  ir::validate(b.graph);
  return std::move(b.graph);
}

}  // namespace sparsedse::test
