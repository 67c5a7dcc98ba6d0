#include "sparsedse/ir/graph.hpp"

#include <algorithm>
#include <set>

#include "sparsedse/common/error.hpp"

namespace sparsedse::ir {

Vertex Graph::add_layer(Layer layer) {
  if (layer.name.empty()) throw InputError(name, "a layer has an empty name");
  if (by_name_.count(layer.name)) throw InputError(name, "duplicate layer name '" + layer.name + "'");
  std::string key = layer.name;
  Vertex v = boost::add_vertex(std::move(layer), g_);
  by_name_.emplace(std::move(key), v);
  return v;
}

void Graph::connect(Vertex from, Vertex to, int port) {
  Edge e;
  e.port = port;
  e.shape = g_[from].output_shape;
  boost::add_edge(from, to, e, g_);
}

Vertex Graph::vertex(const std::string& layer_name) const {
  auto it = by_name_.find(layer_name);
  if (it == by_name_.end()) throw InputError(name, "no layer named '" + layer_name + "'");
  return it->second;
}

bool Graph::contains(const std::string& layer_name) const { return by_name_.count(layer_name) > 0; }

std::vector<Vertex> Graph::predecessors(Vertex v) const {
  std::vector<std::pair<int, Vertex>> ports;
  for (auto [it, end] = boost::in_edges(v, g_); it != end; ++it)
    ports.emplace_back(g_[*it].port, boost::source(*it, g_));
  std::sort(ports.begin(), ports.end());
  std::vector<Vertex> out;
  out.reserve(ports.size());
  for (auto& p : ports) out.push_back(p.second);
  return out;
}

std::vector<Vertex> Graph::successors(Vertex v) const {
  std::vector<Vertex> out;
  for (auto [it, end] = boost::out_edges(v, g_); it != end; ++it) out.push_back(boost::target(*it, g_));
  std::sort(out.begin(), out.end(), [&](Vertex a, Vertex b) { return g_[a].name < g_[b].name; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Vertex> Graph::topological_order() const {
  const std::size_t n = size();
  std::vector<int> indegree(n, 0);
  for (auto [it, end] = boost::edges(g_); it != end; ++it) ++indegree[boost::target(*it, g_)];
  auto by_name = [&](Vertex a, Vertex b) { return g_[a].name < g_[b].name; };
  std::set<Vertex, decltype(by_name)> ready(by_name);
  for (Vertex v = 0; v < n; ++v)
    if (indegree[v] == 0) ready.insert(v);
  std::vector<Vertex> order;
  order.reserve(n);
  while (!ready.empty()) {
    Vertex v = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(v);
    for (auto [it, end] = boost::out_edges(v, g_); it != end; ++it) {
      Vertex t = boost::target(*it, g_);
      if (--indegree[t] == 0) ready.insert(t);
    }
  }
  if (order.size() != n) {
    for (Vertex v = 0; v < n; ++v)
      if (indegree[v] > 0)
        throw InputError(name, "the graph has a cycle through layer '" + g_[v].name + "'");
  }
  return order;
}

std::vector<Vertex> Graph::inputs() const {
  std::vector<Vertex> out;
  for (Vertex v : topological_order())
    if (g_[v].kind == LayerKind::Input) out.push_back(v);
  return out;
}

std::vector<Vertex> Graph::outputs() const {
  std::vector<Vertex> out;
  for (Vertex v : topological_order())
    if (boost::out_degree(v, g_) == 0) out.push_back(v);
  return out;
}

Graph Graph::without(const std::function<bool(const Layer&)>& drop) const {
  Graph result;
  result.name = name;
  std::vector<Vertex> order = topological_order();
  // `source_of[v]` = the kept vertex (in `result`) that carries v's output.
  std::vector<std::optional<Vertex>> source_of(size());
  for (Vertex v : order) {
    std::vector<Vertex> preds = predecessors(v);
    if (drop(g_[v])) {
      if (preds.size() != 1)
        throw InputError(name, "cannot remove layer '" + g_[v].name + "': it has " +
                                   std::to_string(preds.size()) + " inputs, expected 1");
      source_of[v] = source_of[preds[0]];
      continue;
    }
    Vertex nv = result.add_layer(g_[v]);
    source_of[v] = nv;
    for (auto [it, end] = boost::in_edges(v, g_); it != end; ++it) {
      Vertex from = boost::source(*it, g_);
      if (!source_of[from]) continue;
      int port = g_[*it].port;
      result.connect(*source_of[from], nv, port);
      // A bypassed producer: the consumer now reads the tensor of the kept layer.
      auto& tensors = result.layer(nv).input_tensors;
      if (port >= 0 && std::size_t(port) < tensors.size())
        tensors[port] = result.layer(*source_of[from]).output_tensor;
    }
  }
  return result;
}

std::int64_t Graph::total_macs() const {
  std::int64_t total = 0;
  for (Vertex v = 0; v < size(); ++v) total += g_[v].macs();
  return total;
}

std::int64_t Graph::total_params() const {
  std::int64_t total = 0;
  for (Vertex v = 0; v < size(); ++v) total += g_[v].params();
  return total;
}

}  // namespace sparsedse::ir
