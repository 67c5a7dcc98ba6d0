#include "sparsedse/ir/compare.hpp"

#include <cstring>
#include <sstream>

namespace sparsedse::ir {

namespace {

bool same_values(const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
  return a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0);
}

std::string names(const Graph& g, const std::vector<Vertex>& vs) {
  std::string out = "[";
  for (std::size_t i = 0; i < vs.size(); ++i) out += (i ? ", " : "") + g.layer(vs[i]).name;
  return out + "]";
}

std::string shapes(const std::vector<Shape>& ss) {
  std::string out = "[";
  for (std::size_t i = 0; i < ss.size(); ++i) out += (i ? ", " : "") + to_string(ss[i]);
  return out + "]";
}

// First differing field of two layers of the same name, or "".
std::string layer_difference(const Graph& ga, const Layer& a, const Graph& gb, const Layer& b) {
  auto diff = [&](const std::string& field, const std::string& x, const std::string& y) {
    return "layer '" + a.name + "': " + field + " differs (" + x + " vs " + y + ")";
  };
  if (a.kind != b.kind) return diff("kind", std::string(to_string(a.kind)), std::string(to_string(b.kind)));
  if (a.output_tensor != b.output_tensor) return diff("output_tensor", a.output_tensor, b.output_tensor);
  if (a.input_tensors != b.input_tensors) {
    std::string x, y;
    for (const auto& t : a.input_tensors) x += t + " ";
    for (const auto& t : b.input_tensors) y += t + " ";
    return diff("input_tensors", x, y);
  }
  if (a.input_shapes != b.input_shapes) return diff("input_shapes", shapes(a.input_shapes), shapes(b.input_shapes));
  if (!(a.output_shape == b.output_shape))
    return diff("output_shape", to_string(a.output_shape), to_string(b.output_shape));
  if (!(a.window == b.window)) return "layer '" + a.name + "': window differs";
  if (a.groups != b.groups) return diff("groups", std::to_string(a.groups), std::to_string(b.groups));
  if (a.filters != b.filters) return diff("filters", std::to_string(a.filters), std::to_string(b.filters));
  if (std::memcmp(&a.threshold, &b.threshold, sizeof(float)) != 0) {
    std::ostringstream x, y;
    x.precision(9);
    y.precision(9);
    x << a.threshold;
    y << b.threshold;
    return diff("threshold", x.str(), y.str());
  }
  if (a.count_include_pad != b.count_include_pad) return "layer '" + a.name + "': count_include_pad differs";
  if (!same_values(a.weights, b.weights))
    return diff("weights", std::to_string(a.weights.size()) + " values", std::to_string(b.weights.size()) + " values");
  if (!same_values(a.bias, b.bias))
    return diff("bias", std::to_string(a.bias.size()) + " values", std::to_string(b.bias.size()) + " values");
  if (a.sparsity.has_value() != b.sparsity.has_value())
    return diff("sparsity", a.sparsity ? "present" : "null", b.sparsity ? "present" : "null");
  if (a.sparsity && !(*a.sparsity == *b.sparsity)) return "layer '" + a.name + "': sparsity statistics differ";
  std::string pa = names(ga, ga.predecessors(ga.vertex(a.name)));
  std::string pb = names(gb, gb.predecessors(gb.vertex(b.name)));
  if (pa != pb) return diff("producers", pa, pb);
  return "";
}

}  // namespace

std::string first_difference(const Graph& a, const Graph& b) {
  if (a.name != b.name) return "graph name differs ('" + a.name + "' vs '" + b.name + "')";
  for (Vertex v : a.topological_order()) {
    const Layer& la = a.layer(v);
    if (!b.contains(la.name)) return "layer '" + la.name + "' is missing from the second graph";
    std::string d = layer_difference(a, la, b, b.layer(la.name));
    if (!d.empty()) return d;
  }
  if (a.size() != b.size()) {
    for (Vertex v = 0; v < b.size(); ++v)
      if (!a.contains(b.layer(v).name)) return "layer '" + b.layer(v).name + "' is missing from the first graph";
  }
  return "";
}

}  // namespace sparsedse::ir
