// IR → hardware network (model.md §3.1, §3.4).
#include "sparsedse/hw/network.hpp"

#include <algorithm>

#include "sparsedse/common/error.hpp"
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::hw {

int Network::index(const std::string& layer_name) const {
  auto it = by_name_.find(layer_name);
  if (it == by_name_.end()) throw InputError(name, "no hardware layer named '" + layer_name + "'");
  return it->second;
}

int Network::add_layer(std::string layer_name, HwLayer layer) {
  if (by_name_.count(layer_name)) throw InputError(name, "duplicate layer name '" + layer_name + "'");
  const int i = size();
  by_name_.emplace(layer_name, i);
  names.push_back(std::move(layer_name));
  feasible.push_back(feasible_folding(layer));
  layers.push_back(std::move(layer));
  in_edges.emplace_back();
  out_edges.emplace_back();
  return i;
}

void Network::connect(int from, int to, int port) {
  const int e = static_cast<int>(edges.size());
  edges.push_back({from, to, port});
  auto& in = in_edges[to];
  in.insert(std::upper_bound(in.begin(), in.end(), e, [&](int a, int b) { return edges[a].port < edges[b].port; }), e);
  auto& out = out_edges[from];
  out.insert(std::upper_bound(out.begin(), out.end(), e,
                              [&](int a, int b) { return names[edges[a].to] < names[edges[b].to]; }),
             e);
}

void Network::refresh_feasible(int layer) { feasible[layer] = feasible_folding(layers[layer]); }

namespace {

void set_input(HwLayer& l, const ir::Shape& s) {
  l.rows = s.rows;
  l.cols = s.cols;
  l.channels = s.channels;
}

void set_window(HwLayer& l, const ir::Window& w) {
  l.kernel_rows = w.kernel_rows;
  l.kernel_cols = w.kernel_cols;
  l.stride_rows = w.stride_rows;
  l.stride_cols = w.stride_cols;
  l.pad_top = w.pad_top;
  l.pad_right = w.pad_right;
  l.pad_bottom = w.pad_bottom;
  l.pad_left = w.pad_left;
}

// layer_avg < sparse_enable → dense (§3.4); the mean of C doubles may miss 0.1 by one ulp.
bool below_enable(double mean_sparsity, const ModelOptions& o) { return mean_sparsity < o.sparse_enable - 1e-12; }

// §3.4 for a convolution carrying statistics.
void select_conv(HwLayer& l, const ir::Layer& layer, const ModelOptions& o, const std::string& where) {
  const ir::SparsityStats& s = *layer.sparsity;
  if (s.kernel_rows != l.kernel_rows || s.kernel_cols != l.kernel_cols)
    throw InputError(where, "sparsity statistics are for a " + std::to_string(s.kernel_rows) + "x" +
                                std::to_string(s.kernel_cols) + " kernel, the layer has " +
                                std::to_string(l.kernel_rows) + "x" + std::to_string(l.kernel_cols));
  if (static_cast<int>(s.histogram.size()) != l.channels)
    throw InputError(where, "sparsity histogram has " + std::to_string(s.histogram.size()) + " channels, expected " +
                                std::to_string(l.channels));
  auto profile = SparseProfile::from_histogram(s.histogram, l.kernel_size(), where + " sparsity");
  if (l.groups != 1) return;  // decision (§2.3): grouped convolutions stay dense
  if (below_enable(profile->mean_sparsity(), o)) return;
  const bool pointwise = l.kernel_size() == 1;
  if (pointwise && o.semantics == Semantics::pass) return;  // PASS-era code rejected 1×1
  l.kind = pointwise && o.pointwise_model == PointwiseModel::cluster ? LayerKind::convolution_pointwise_sparse
                                                                     : LayerKind::convolution_sparse;
  l.sparsity = std::move(profile);
}

// A sparse inner product: the K² = 1 window model over the flattened input (rows C·H·W, or C
// channel rows spread over their H·W features).
void select_inner_product(HwLayer& l, const ir::Layer& layer, const ModelOptions& o, const std::string& where) {
  const ir::SparsityStats& s = *layer.sparsity;
  const std::int64_t features = l.workload_in();
  const std::int64_t rows = static_cast<std::int64_t>(s.histogram.size());
  if (rows != features && rows != l.channels)
    throw InputError(where, "sparsity histogram has " + std::to_string(rows) + " rows, expected " +
                                std::to_string(features) + " features or " + std::to_string(l.channels) + " channels");
  std::vector<std::vector<double>> h;
  h.reserve(features);
  const std::int64_t spread = features / rows;
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t k = 0; k < spread; ++k) h.push_back(s.histogram[r]);
  auto profile = SparseProfile::from_histogram(std::move(h), 1, where + " sparsity");
  if (!o.sparse_inner_product || o.semantics == Semantics::pass) return;
  if (below_enable(profile->mean_sparsity(), o)) return;
  l.kind = LayerKind::inner_product_sparse;
  l.sparsity = std::move(profile);
}

HwLayer make_layer(const ir::Layer& layer, int consumers, const ModelOptions& o, const std::string& where) {
  HwLayer l;
  l.data_width = o.data_width;
  l.weight_width = o.weight_width;
  l.acc_width = o.acc_width;
  if (layer.input_shapes.empty()) throw InputError(where, "layer has no input shape (run shape inference first)");
  set_input(l, layer.input_shape());
  switch (layer.kind) {
    case ir::LayerKind::Convolution:
      l.kind = LayerKind::convolution;
      set_window(l, layer.window);
      l.groups = layer.groups;
      l.filters = layer.filters;
      l.has_bias = layer.has_bias();
      if (layer.sparsity) select_conv(l, layer, o, where);
      break;
    case ir::LayerKind::InnerProduct:
      l.kind = LayerKind::inner_product;
      l.filters = layer.filters;
      l.has_bias = layer.has_bias();
      if (layer.sparsity) select_inner_product(l, layer, o, where);
      break;
    case ir::LayerKind::ReLU:
      l.kind = layer.threshold > 0.0f ? LayerKind::thresholded_relu : LayerKind::relu;
      l.threshold = layer.threshold;
      break;
    case ir::LayerKind::MaxPool:
    case ir::LayerKind::AveragePool:
      l.kind = LayerKind::pooling;
      l.pool_type = layer.kind == ir::LayerKind::MaxPool ? PoolType::max : PoolType::avg;
      set_window(l, layer.window);
      break;
    case ir::LayerKind::GlobalAveragePool:
      l.kind = LayerKind::global_pooling;
      l.pool_type = PoolType::avg;
      break;
    case ir::LayerKind::EltwiseAdd:
    case ir::LayerKind::Concat: {
      l.kind = layer.kind == ir::LayerKind::EltwiseAdd ? LayerKind::eltwise : LayerKind::concat;
      l.ports_in = static_cast<int>(layer.input_shapes.size());
      if (l.ports_in > kMaxPorts)
        throw InputError(where, "more than " + std::to_string(kMaxPorts) + " inputs are not supported in hardware");
      for (int i = 0; i < l.ports_in; ++i) l.port_channels[i] = layer.input_shapes[i].channels;
      break;
    }
    case ir::LayerKind::Split:
      l.kind = LayerKind::split;
      l.ports_out = consumers;
      break;
    case ir::LayerKind::Input:
    case ir::LayerKind::Flatten:
      throw InputError(where, "internal: NOP layer mapped to hardware");
  }
  return l;
}

bool is_nop_kind(ir::LayerKind k) { return k == ir::LayerKind::Input || k == ir::LayerKind::Flatten; }

}  // namespace

Network build_network(const ir::Graph& graph, const ModelOptions& options) {
  Network net;
  net.name = graph.name;
  const auto& g = graph.boost();
  std::vector<int> source(graph.size(), -1);  // IR vertex -> hw layer carrying its output
  for (ir::Vertex v : graph.topological_order()) {
    const ir::Layer& layer = graph.layer(v);
    const std::string where = graph.name + ": layer '" + layer.name + "'";
    if (is_nop_kind(layer.kind)) {
      const auto preds = graph.predecessors(v);
      if (layer.kind == ir::LayerKind::Flatten && preds.size() == 1) source[v] = source[preds[0]];
      continue;
    }
    const int consumers = static_cast<int>(boost::out_degree(v, g));
    const int i = net.add_layer(layer.name, make_layer(layer, consumers, options, where));
    source[v] = i;
    for (auto [it, end] = boost::in_edges(v, g); it != end; ++it) {
      const int from = source[boost::source(*it, g)];
      if (from >= 0) net.connect(from, i, g[*it].port);
    }
  }
  return net;
}

}  // namespace sparsedse::hw
