#include "sparsedse/ir/passes.hpp"

#include <algorithm>
#include <cmath>

#include "sparsedse/common/error.hpp"

namespace sparsedse::ir {

namespace {

std::string where(const Graph& g, const Layer& l) {
  return (g.name.empty() ? std::string("model") : g.name) + ": layer '" + l.name + "'";
}

Shape infer_output(const Graph& g, const Layer& l) {
  auto fail = [&](const std::string& what) -> Shape { throw InputError(where(g, l), what); };
  if (l.kind == LayerKind::Input) return l.output_shape;
  if (l.input_shapes.empty()) return fail("has no input");
  const Shape& in = l.input_shapes[0];
  if (in.channels <= 0 || in.rows <= 0 || in.cols <= 0)
    return fail("input shape " + to_string(in) + " has a zero or negative dimension");
  const Window& w = l.window;
  switch (l.kind) {
    case LayerKind::Convolution:
    case LayerKind::MaxPool:
    case LayerKind::AveragePool: {
      if (w.kernel_rows <= 0 || w.kernel_cols <= 0 || w.stride_rows <= 0 || w.stride_cols <= 0)
        return fail("kernel and stride must be positive");
      if (w.pad_top < 0 || w.pad_left < 0 || w.pad_bottom < 0 || w.pad_right < 0)
        return fail("pads must be non-negative");
      int rows = window_output_size(in.rows, w.kernel_rows, w.stride_rows, w.pad_top, w.pad_bottom);
      int cols = window_output_size(in.cols, w.kernel_cols, w.stride_cols, w.pad_left, w.pad_right);
      if (rows <= 0 || cols <= 0)
        return fail("kernel " + std::to_string(w.kernel_rows) + "x" + std::to_string(w.kernel_cols) +
                    " does not fit the padded input " + to_string(in));
      if (l.kind != LayerKind::Convolution) return {in.channels, rows, cols};
      if (l.groups <= 0 || in.channels % l.groups != 0 || l.filters <= 0 || l.filters % l.groups != 0)
        return fail("groups (" + std::to_string(l.groups) + ") must divide input channels (" +
                    std::to_string(in.channels) + ") and filters (" + std::to_string(l.filters) + ")");
      std::int64_t expected = std::int64_t(l.filters) * (in.channels / l.groups) * w.kernel_size();
      if (l.weights.size() != expected)
        return fail("weights have " + std::to_string(l.weights.size()) + " values, expected " +
                    std::to_string(expected) + " (F x C/G x Kr x Kc)");
      if (l.has_bias() && l.bias.size() != l.filters)
        return fail("bias has " + std::to_string(l.bias.size()) + " values, expected " + std::to_string(l.filters));
      return {l.filters, rows, cols};
    }
    case LayerKind::InnerProduct: {
      std::int64_t expected = in.elements() * l.filters;
      if (l.filters <= 0 || l.weights.size() != expected)
        return fail("weights have " + std::to_string(l.weights.size()) + " values, expected " +
                    std::to_string(expected) + " (features x inputs)");
      if (l.has_bias() && l.bias.size() != l.filters)
        return fail("bias has " + std::to_string(l.bias.size()) + " values, expected " + std::to_string(l.filters));
      return {l.filters, 1, 1};
    }
    case LayerKind::ReLU:
    case LayerKind::Split:
      return in;
    case LayerKind::GlobalAveragePool:
      return {in.channels, 1, 1};
    case LayerKind::Flatten:
      return {int(in.elements()), 1, 1};
    case LayerKind::EltwiseAdd:
      for (const Shape& s : l.input_shapes)
        if (!(s == in)) return fail("eltwise inputs differ in shape: " + to_string(in) + " vs " + to_string(s));
      return in;
    case LayerKind::Concat: {
      Shape out = in;
      out.channels = 0;
      for (const Shape& s : l.input_shapes) {
        if (s.rows != in.rows || s.cols != in.cols)
          return fail("concat inputs differ in spatial size: " + to_string(in) + " vs " + to_string(s));
        out.channels += s.channels;
      }
      return out;
    }
    case LayerKind::Input:
      break;
  }
  return fail("unknown layer kind");
}

}  // namespace

Shape output_shape_of(const Graph& graph, const Layer& layer) { return infer_output(graph, layer); }

void infer_shapes(Graph& graph) {
  auto& g = graph.boost();
  for (Vertex v : graph.topological_order()) {
    Layer& l = g[v];
    std::vector<Vertex> preds = graph.predecessors(v);
    if (l.kind != LayerKind::Input) {
      l.input_shapes.clear();
      for (Vertex p : preds) l.input_shapes.push_back(g[p].output_shape);
    }
    l.output_shape = infer_output(graph, l);
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) g[*it].shape = l.output_shape;
  }
}

int insert_splits(Graph& graph) {
  auto& g = graph.boost();
  int inserted = 0;
  for (Vertex v : graph.topological_order()) {
    if (g[v].kind == LayerKind::Split) continue;
    std::vector<std::pair<Vertex, int>> consumers;
    for (auto [it, end] = boost::out_edges(v, g); it != end; ++it)
      consumers.emplace_back(boost::target(*it, g), g[*it].port);
    if (consumers.size() < 2) continue;
    Layer split;
    split.name = g[v].name + "_split";
    split.kind = LayerKind::Split;
    split.output_tensor = g[v].output_tensor;  // the fork forwards the same tensor
    split.input_tensors = {g[v].output_tensor};
    split.input_shapes = {g[v].output_shape};
    split.output_shape = g[v].output_shape;
    Vertex s = graph.add_layer(std::move(split));
    boost::clear_out_edges(v, g);
    graph.connect(v, s, 0);
    for (auto [consumer, port] : consumers) graph.connect(s, consumer, port);
    ++inserted;
  }
  return inserted;
}

void validate(const Graph& graph) {
  const auto& g = graph.boost();
  std::vector<Vertex> order = graph.topological_order();  // throws on a cycle
  if (graph.inputs().empty()) throw InputError(graph.name, "the model has no input");
  for (Vertex v : order) {
    const Layer& l = g[v];
    std::vector<int> ports;
    for (auto [it, end] = boost::in_edges(v, g); it != end; ++it) ports.push_back(g[*it].port);
    std::sort(ports.begin(), ports.end());
    for (std::size_t i = 0; i < ports.size(); ++i)
      if (ports[i] != int(i)) throw InputError(where(graph, l), "input ports are not 0..n-1");
    const bool multi = l.kind == LayerKind::EltwiseAdd || l.kind == LayerKind::Concat;
    if (l.kind == LayerKind::Input && !ports.empty()) throw InputError(where(graph, l), "an input layer has producers");
    if (l.kind != LayerKind::Input && ports.empty()) throw InputError(where(graph, l), "has no producer");
    if (!multi && ports.size() > 1) throw InputError(where(graph, l), "has more than one input");
    if (l.kind == LayerKind::ReLU && !(l.threshold >= 0.0f && std::isfinite(l.threshold)))
      throw InputError(where(graph, l), "threshold must be a finite number >= 0");
    for (float w : l.weights)
      if (!std::isfinite(w)) throw InputError(where(graph, l), "weights contain NaN or Inf");
    for (float b : l.bias)
      if (!std::isfinite(b)) throw InputError(where(graph, l), "bias contains NaN or Inf");
  }
}

}  // namespace sparsedse::ir
