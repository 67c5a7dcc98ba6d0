#pragma once
// The graph IR: a bidirectional Boost.Graph of layers. Vertices are stable indices (vecS) as long as
// no vertex is removed; passes that remove layers rebuild the graph (see Graph::without).
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "sparsedse/ir/layer.hpp"

namespace sparsedse::ir {

using BoostGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, Layer, Edge>;
using Vertex = BoostGraph::vertex_descriptor;

class Graph {
 public:
  std::string name;  // model name (ONNX graph name or file stem)

  Vertex add_layer(Layer layer);               // throws InputError on a duplicate name
  void connect(Vertex from, Vertex to, int port);
  Vertex vertex(const std::string& layer_name) const;  // throws InputError if unknown
  bool contains(const std::string& layer_name) const;

  Layer& layer(Vertex v) { return g_[v]; }
  const Layer& layer(Vertex v) const { return g_[v]; }
  Layer& layer(const std::string& n) { return g_[vertex(n)]; }
  const Layer& layer(const std::string& n) const { return g_[vertex(n)]; }
  std::size_t size() const { return boost::num_vertices(g_); }

  // Producers of v ordered by input port; consumers of v sorted by name (model.md §2.2 determinism rule).
  std::vector<Vertex> predecessors(Vertex v) const;
  std::vector<Vertex> successors(Vertex v) const;

  // Kahn's algorithm with a name-sorted ready set; throws InputError on a cycle.
  std::vector<Vertex> topological_order() const;
  std::vector<Vertex> inputs() const;   // Input layers
  std::vector<Vertex> outputs() const;  // layers with no consumer

  // A copy without the layers for which drop() is true; each dropped single-input layer is bypassed
  // (its consumers are fed by its producer on the same port).
  Graph without(const std::function<bool(const Layer&)>& drop) const;

  const BoostGraph& boost() const { return g_; }
  BoostGraph& boost() { return g_; }

  std::int64_t total_macs() const;
  std::int64_t total_params() const;

 private:
  BoostGraph g_;
  std::unordered_map<std::string, Vertex> by_name_;
};

}  // namespace sparsedse::ir
