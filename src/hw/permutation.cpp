// Channel permutation of a sparse layer's input: the fold rule and the ChannelPermute cost
// (model.md §5.4, hls.md §3.4).
#include "sparsedse/hw/permutation.hpp"

#include <algorithm>

#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

namespace {

bool channel_wise(LayerKind k) {
  return k == LayerKind::relu || k == LayerKind::thresholded_relu || k == LayerKind::pooling ||
         k == LayerKind::global_pooling;
}

}  // namespace

int permutation_fold_producer(const Network& net, int layer, const std::vector<int>& partition_nodes) {
  const HwLayer& l = net.layers[layer];
  if (!is_weighted(l.kind)) return -1;
  auto inside = [&](int v) { return std::binary_search(partition_nodes.begin(), partition_nodes.end(), v); };
  int walk = layer;
  while (net.in_edges[walk].size() == 1) {
    const int from = net.edges[net.in_edges[walk][0]].from;
    if (!inside(from) || net.out_edges[from].size() != 1) return -1;
    const HwLayer& u = net.layers[from];
    if (is_weighted(u.kind)) {
      const std::int64_t features = is_inner_product(l.kind) ? l.workload_in() : l.channels;
      if (u.filters != features || flattened_pixels(net, layer) != 1) return -1;
      return from;  // reorder its filters, biases and thresholds (hls.md §3.4 realisation 1)
    }
    if (!channel_wise(u.kind)) return -1;
    walk = from;
  }
  return -1;
}

int flattened_pixels(const Network& net, int layer) {
  const HwLayer& l = net.layers[layer];
  if (!is_inner_product(l.kind)) return 1;
  if (net.in_edges[layer].empty()) return l.rows * l.cols;
  const HwLayer& source = net.layers[net.edges[net.in_edges[layer][0]].from];
  return source.rows_out() * source.cols_out();
}

bool interleaving_moves_streams(const SparseProfile& profile, int streams, int fine, bool skip, Interleaving il,
                                int pixels) {
  if (pixels <= 1) return profile.moves_streams(streams, fine, skip, il);
  const std::vector<int> perm = profile.interleaving(streams, fine, skip, il);
  const int channels = static_cast<int>(perm.size()) / pixels;
  for (std::size_t p = 0; p < perm.size(); ++p) {
    const int word = (perm[p] % pixels) * channels + perm[p] / pixels;  // IR c·H·W + pixel → pixel·C + c
    if (word % streams != static_cast<int>(p % static_cast<std::size_t>(streams))) return true;
  }
  return false;
}

bool permutation_moves_streams(const HwLayer& l, const ModelOptions& o, int pixels) {
  if (!is_sparse(l.kind) || !l.sparsity) return false;
  return interleaving_moves_streams(*l.sparsity, l.streams_in(), std::max(1, l.folding.fine), l.skip_all_zero_window,
                                    o.interleaving, pixels);
}

LayerMetrics channel_permute_metrics(std::int64_t words, std::int64_t group, int streams, int data_width) {
  LayerMetrics m;
  const std::int64_t s = streams, cs = group / s;
  m.latency = m.latency_in = m.latency_out = words / s;
  m.pipeline_depth = cs;  // one pixel of Cs words is buffered before it can be read out of order
  m.rate_in = m.rate_out = 1.0;
  m.size_in = m.size_out = words / s;
  m.streams_in = m.streams_out = streams;
  const std::int64_t bank_bram = bram18(2 * cs, data_width, RamKind::memory);
  m.resources.bram = s * bank_bram;
  m.resources.lut = (bank_bram > 0 ? 0 : s * lutram(2 * cs, data_width)) +  // banks in LUTRAM
                    s * data_width * ceil_div(s - 1, 3) +                     // S×S mux (estimate)
                    s * rom_lut(cs, 16);                                      // schedule ROM
  m.resources.ff = s * data_width;
  return m;
}

}  // namespace sparsedse::hw
