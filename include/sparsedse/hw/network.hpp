#pragma once
// The hardware network: hardware layers in topological order with their edges, built from the IR
// (model.md §2.1–§2.4, §3.1, §3.4). Input and Flatten are NOPs in hardware and are bypassed.
#include <string>
#include <unordered_map>
#include <vector>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/options.hpp"

namespace sparsedse::ir {
class Graph;
}

namespace sparsedse::hw {

struct HwEdge {
  int from = 0, to = 0;  // layer indices
  int port = 0;          // input port of `to`
};

struct Network {
  std::string name;
  std::vector<std::string> names;      // per layer
  std::vector<HwLayer> layers;         // topological order (name-sorted Kahn, §2.2)
  std::vector<FoldingSpace> feasible;  // per layer; refresh after a shape change (weights reloading)
  std::vector<HwEdge> edges;
  std::vector<std::vector<int>> in_edges;   // per layer: edge ids ordered by port
  std::vector<std::vector<int>> out_edges;  // per layer: edge ids ordered by consumer name

  int size() const { return static_cast<int>(layers.size()); }
  int index(const std::string& layer_name) const;  // throws InputError for an unknown name
  // Appends a layer (after its producers) / an edge; used by build_network and by tests.
  int add_layer(std::string layer_name, HwLayer layer);
  void connect(int from, int to, int port);
  void refresh_feasible(int layer);

 private:
  std::unordered_map<std::string, int> by_name_;
};

// Maps the IR to hardware layers with folding 1 everywhere: ReLU → ReLU / ThresholdedReLU,
// MaxPool / AveragePool → Pooling, GlobalAveragePool → GlobalPooling, EltwiseAdd → EltWise,
// Concat → Concat, Split → Split, Convolution / InnerProduct dense or sparse by the rule of §3.4
// (mean zero fraction ≥ sparse_enable; G > 1 stays dense; 1×1 uses `pointwise_model`; `pass` never
// makes a 1×1 sparse). Throws InputError for statistics that do not match the layer.
Network build_network(const ir::Graph& graph, const ModelOptions& options);


}  // namespace sparsedse::hw
