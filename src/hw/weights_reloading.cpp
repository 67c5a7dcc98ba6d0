// Weights reloading (model.md §4.8).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "sparsedse/hw/partition.hpp"

namespace sparsedse::hw {

namespace {

bool inside(const Partition& p, int v) { return std::binary_search(p.nodes.begin(), p.nodes.end(), v); }

// The chain from the WR layer to the partition output: WR layer first.
std::vector<int> wr_chain(const Network& net, const Partition& p) {
  int output = -1;
  for (int v : p.nodes) {
    bool leaves = net.out_edges[v].empty();
    for (int e : net.out_edges[v]) leaves = leaves || !inside(p, net.edges[e].to);
    if (!leaves) continue;
    if (output >= 0) return {};  // several outputs
    output = v;
  }
  std::vector<int> chain;
  for (int v = output; v >= 0;) {
    const LayerKind k = net.layers[v].kind;
    if (k == LayerKind::split || k == LayerKind::concat || k == LayerKind::eltwise) return {};
    chain.push_back(v);
    if (is_weighted(k)) {
      std::reverse(chain.begin(), chain.end());
      return chain;
    }
    int pred = -1;
    for (int e : net.in_edges[v])
      if (inside(p, net.edges[e].from)) pred = net.edges[e].from;
    v = pred;
  }
  return {};
}

std::vector<int> rescale(Network& net, const std::vector<int>& chain, int old_filters, int new_filters) {
  std::vector<int> changed;
  HwLayer& w = net.layers[chain.front()];
  w.filters = new_filters;
  changed.push_back(chain.front());
  for (std::size_t i = 1; i < chain.size(); ++i) {
    HwLayer& l = net.layers[chain[i]];
    if (l.channels != old_filters) break;
    l.channels = new_filters;
    changed.push_back(chain[i]);
  }
  for (int v : changed) {
    net.refresh_feasible(v);
    fix_coarse(net.layers[v], net.feasible[v]);
  }
  return changed;
}

}  // namespace

int find_wr_layer(const Network& net, const Partition& p) {
  const std::vector<int> chain = wr_chain(net, p);
  return chain.empty() ? -1 : chain.front();
}

std::vector<int> remove_weights_reloading(Network& net, Partition& p) {
  std::vector<int> changed;
  if (p.wr_layer >= 0 && p.wr_factor > 1) {
    const std::vector<int> chain = wr_chain(net, p);
    if (!chain.empty() && chain.front() == p.wr_layer) {
      const int filters = net.layers[p.wr_layer].filters;
      changed = rescale(net, chain, filters, filters * p.wr_factor);
    }
  }
  p.wr_factor = 1;
  return changed;
}

std::vector<int> apply_weights_reloading(Network& net, Partition& p, int wr) {
  std::vector<int> changed = remove_weights_reloading(net, p);
  p.wr_layer = p.enable_wr ? find_wr_layer(net, p) : -1;
  if (p.wr_layer < 0 || wr <= 1) return changed;
  const std::vector<int> chain = wr_chain(net, p);
  const std::vector<int> feasible = feasible_weights_reloading(net.layers[p.wr_layer]);
  if (!std::binary_search(feasible.begin(), feasible.end(), wr))
    throw std::invalid_argument("weights reloading factor " + std::to_string(wr) + " is not feasible for layer '" +
                                net.names[p.wr_layer] + "'");
  const int filters = net.layers[p.wr_layer].filters;
  p.wr_factor = wr;
  for (int v : rescale(net, chain, filters, filters / wr))
    if (std::find(changed.begin(), changed.end(), v) == changed.end()) changed.push_back(v);
  return changed;
}

}  // namespace sparsedse::hw
