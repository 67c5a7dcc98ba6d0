// Random design transforms (model.md §7.3).
#include "sparsedse/dse/transforms.hpp"

#include <algorithm>

#include "random.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::dse {

namespace {

bool is_merge(hw::LayerKind k) { return k == hw::LayerKind::eltwise || k == hw::LayerKind::concat; }

// A uniform value of `values` other than `current` (values has at least two entries).
int other_value(const std::vector<int>& values, int current, Rng& rng) {
  const auto it = std::find(values.begin(), values.end(), current);
  if (it == values.end()) return values[uniform_index(rng, values.size())];
  const std::size_t skip = static_cast<std::size_t>(it - values.begin());
  std::size_t i = uniform_index(rng, values.size() - 1);
  return values[i >= skip ? i + 1 : i];
}

}  // namespace

std::string_view to_string(Transform t) {
  switch (t) {
    case Transform::coarse: return "coarse";
    case Transform::fine: return "fine";
    case Transform::weights_reloading: return "weights_reloading";
    case Transform::partition: return "partition";
    case Transform::bram_uram_balancing: return "bram_uram_balancing";
    case Transform::off_chip_streaming: return "off_chip_streaming";
    case Transform::sparsity: return "sparsity";
    case Transform::bottleneck: return "bottleneck";
  }
  return "?";
}

std::vector<int> allowed_cuts(const hw::Network& net, const PartitionTransform& settings) {
  const int n = net.size();
  // crossing[i] = edges from layers ≤ i to layers > i (a difference array over edge spans).
  std::vector<int> delta(n + 1, 0);
  for (const hw::HwEdge& e : net.edges) {
    const int a = std::min(e.from, e.to), b = std::max(e.from, e.to);
    ++delta[a];
    --delta[b];
  }
  std::vector<int> cuts;
  int crossing = 0;
  for (int i = 0; i + 1 < n; ++i) {
    crossing += delta[i];
    if (crossing != 1) continue;
    // The single crossing edge: the one spanning i → i+1 and beyond.
    const hw::HwEdge* edge = nullptr;
    for (const hw::HwEdge& e : net.edges)
      if (e.from <= i && e.to > i) edge = &e;
    if (!edge || is_merge(net.layers[edge->to].kind)) continue;
    if (!settings.allowed_partitions.empty()) {
      const hw::LayerKind a = net.layers[edge->from].kind, b = net.layers[edge->to].kind;
      const bool ok = std::any_of(settings.allowed_partitions.begin(), settings.allowed_partitions.end(),
                                  [&](const auto& pair) { return kind_matches(pair.first, a) && kind_matches(pair.second, b); });
      if (!ok) continue;
    }
    cuts.push_back(i);
  }
  return cuts;
}

Transforms::Transforms(const SearchState& state, const OptimiserConfig& config)
    : config_(config), cuts_(allowed_cuts(state.network(), config.partition)) {
  uram_ = state.platform().usable.uram > 0 && config.balance_bram_uram;
  auto set = [&](Transform t, const TransformSwitch& s, bool possible) {
    weight_[static_cast<int>(t)] = s.apply && possible ? s.probability : 0.0;
  };
  bool modes = false;
  for (int v = 0; v < state.size(); ++v) modes = modes || state.mode_option(v).available;
  set(Transform::coarse, config.coarse, true);
  set(Transform::fine, config.fine, true);
  set(Transform::weights_reloading, config.weights_reloading, true);
  set(Transform::partition, config.partition,
      (config.partition.allow_split && !cuts_.empty()) || (config.partition.allow_merge && state.partition_count() > 1));
  set(Transform::bram_uram_balancing, config.bram_uram_balancing, uram_);
  set(Transform::off_chip_streaming, config.off_chip_streaming_transform, config.off_chip_streaming);
  set(Transform::sparsity, config.sparsity, modes);
  set(Transform::bottleneck, config.bottleneck, true);
  for (double w : weight_) total_ += w;
}

bool Transforms::applies(const SearchState& s, Transform t, int v) const {
  const hw::HwLayer& l = s.layer(v);
  const hw::FoldingSpace& f = s.feasible_folding(v);
  switch (t) {
    case Transform::coarse:
      return f.coarse_in.size() > 1 || f.coarse_out.size() > 1 || f.coarse_group.size() > 1;
    case Transform::fine:
      return hw::is_convolution(l.kind) && f.fine.size() > 1;
    case Transform::bram_uram_balancing:
    case Transform::off_chip_streaming:
      return hw::is_weighted(l.kind);
    case Transform::sparsity:
      return s.mode_option(v).available;
    case Transform::weights_reloading:
    case Transform::partition:
    case Transform::bottleneck:
      return true;
  }
  return false;
}

int Transforms::pick_node(const SearchState& s, Transform t, int p, Rng& rng) const {
  const std::vector<int>& nodes = s.partitions()[p].nodes;
  // Rejection sampling is uniform over the applicable nodes; fall back to a scan for rare kinds.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int v = nodes[uniform_index(rng, nodes.size())];
    if (applies(s, t, v)) return v;
  }
  std::size_t count = 0;
  for (int v : nodes) count += applies(s, t, v);
  if (count == 0) return -1;
  std::size_t k = uniform_index(rng, count);
  for (int v : nodes)
    if (applies(s, t, v) && k-- == 0) return v;
  return -1;
}

std::optional<Transform> Transforms::apply_random(SearchState& s, Rng& rng) const {
  if (total_ <= 0) return std::nullopt;
  double x = uniform01(rng) * total_;
  int t = -1;
  for (int i = 0; i < kTransforms; ++i) {
    if (weight_[i] <= 0) continue;
    t = i;
    if (x < weight_[i]) break;
    x -= weight_[i];
  }
  const Transform transform = static_cast<Transform>(t);
  const int p = static_cast<int>(uniform_index(rng, s.partition_count()));
  bool changed = false;
  if (transform == Transform::weights_reloading) {
    changed = weights_reloading(s, p, rng);
  } else if (transform == Transform::partition) {
    changed = partition(s, p, rng);
  } else if (transform == Transform::bottleneck) {
    changed = bottleneck(s, p, rng);
  } else {
    const int v = pick_node(s, transform, p, rng);
    if (v < 0) return std::nullopt;
    switch (transform) {
      case Transform::coarse: changed = coarse(s, v, rng); break;
      case Transform::fine: changed = fine(s, v, rng); break;
      case Transform::bram_uram_balancing: changed = bram_uram(s, v); break;
      case Transform::off_chip_streaming: changed = off_chip_streaming(s, v, rng); break;
      case Transform::sparsity: changed = sparsity(s, v); break;
      default: break;
    }
  }
  if (!changed) return std::nullopt;
  return transform;
}

bool Transforms::coarse(SearchState& s, int v, Rng& rng) const {
  const hw::HwLayer& l = s.layer(v);
  const hw::FoldingSpace& f = s.feasible_folding(v);
  hw::Folding folding = l.folding;
  if (!hw::is_weighted(l.kind)) {  // coarse_in = coarse_out (§7.3)
    if (f.coarse_in.size() < 2) return false;
    folding.coarse_in = folding.coarse_out = other_value(f.coarse_in, folding.coarse_in, rng);
  } else {
    // One of coarse_in / coarse_out / coarse_group, uniformly among those with a choice.
    const std::vector<int>* sets[3] = {&f.coarse_in, &f.coarse_out, &f.coarse_group};
    int* fields[3] = {&folding.coarse_in, &folding.coarse_out, &folding.coarse_group};
    int choices[3], n = 0;
    for (int i = 0; i < 3; ++i)
      if (sets[i]->size() > 1) choices[n++] = i;
    if (n == 0) return false;
    const int i = choices[uniform_index(rng, n)];
    *fields[i] = other_value(*sets[i], *fields[i], rng);
  }
  s.set_folding(v, folding);
  return true;
}

bool Transforms::fine(SearchState& s, int v, Rng& rng) const {
  const hw::FoldingSpace& f = s.feasible_folding(v);
  if (!hw::is_convolution(s.layer(v).kind) || f.fine.size() < 2) return false;
  hw::Folding folding = s.layer(v).folding;
  folding.fine = other_value(f.fine, folding.fine, rng);
  s.set_folding(v, folding);
  return true;
}

bool Transforms::weights_reloading(SearchState& s, int p, Rng& rng) const {
  if (s.weights_reloading_layer(p) < 0) return false;
  const std::vector<int> options = s.weights_reloading_options(p);
  if (options.size() < 2) return false;
  s.set_weights_reloading(p, other_value(options, s.partitions()[p].wr_factor, rng));
  return true;
}

void Transforms::reload_after_partition_change(SearchState& s, int p) const {
  // §7.3 applies the maximum WR after a split or merge; ours does so only with `start_max`, since
  // a maximal factor multiplies the partition's batch cycles (see docs/benchmarks.md).
  if (!config_.weights_reloading.apply || !config_.weights_reloading.start_max) return;
  if (s.weights_reloading_layer(p) < 0) return;
  s.set_weights_reloading(p, s.weights_reloading_options(p).back());
}

bool Transforms::partition(SearchState& s, int p, Rng& rng) const {
  const hw::Partition& part = s.partitions()[p];
  const auto lo = std::lower_bound(cuts_.begin(), cuts_.end(), part.nodes.front());
  const auto hi = std::lower_bound(cuts_.begin(), cuts_.end(), part.nodes.back());
  const bool can_split = config_.partition.allow_split && lo != hi;
  const bool can_merge = config_.partition.allow_merge && s.partition_count() > 1;
  if (!can_split && !can_merge) return false;
  const bool split = can_split && (!can_merge || uniform01(rng) < 0.5);
  if (split) {
    const int cut = *(lo + static_cast<std::ptrdiff_t>(uniform_index(rng, static_cast<std::size_t>(hi - lo))));
    s.split(p, cut);
    reload_after_partition_change(s, p);
    reload_after_partition_change(s, p + 1);
  } else {
    const int first = p + 1 < s.partition_count() ? p : p - 1;  // the next one preferred
    s.merge(first);
    reload_after_partition_change(s, first);
  }
  return true;
}

bool Transforms::bram_uram(SearchState& s, int v) const {
  if (!uram_ || !hw::is_weighted(s.layer(v).kind)) return false;
  s.set_memory(v, !s.layer(v).use_uram, 0);
  return true;
}

bool Transforms::off_chip_streaming(SearchState& s, int v, Rng& rng) const {
  const hw::HwLayer& l = s.layer(v);
  if (!config_.off_chip_streaming || !hw::is_weighted(l.kind)) return false;
  if (uniform01(rng) < 0.5) {
    // Weights: stream_unit · stream_step(r) RAMs, r ∈ {0, 0.1, …, 1.0}.
    const hw::WeightMemory w = hw::weight_memory(l, s.options());
    if (w.ram <= 0) return false;
    const int level = static_cast<int>(uniform_index(rng, 11));
    const std::int64_t rams = level == 0 ? 0 : std::min<std::int64_t>(w.ram, w.stream_unit() * w.stream_step(level / 10.0));
    if (rams == l.stream_weights) return false;
    s.set_memory(v, l.use_uram, static_cast<int>(rams));
    return true;
  }
  // Inputs: toggle port 0 when its producer is in the same partition (the edge then skips its Squeeze).
  for (int e : s.network().in_edges[v]) {
    const hw::HwEdge& edge = s.network().edges[e];
    if (edge.port != 0 || s.partition_of(edge.from) != s.partition_of(v)) continue;
    s.set_stream_input(v, 0, !(l.stream_inputs & 1u));
    return true;
  }
  return false;
}

bool Transforms::bottleneck(SearchState& s, int p, Rng& rng) const {
  // The node that sets the interval; a Squeeze bottleneck is left to the coarse moves.
  const int v = s.partition_metrics(p).bottleneck;
  if (v < 0) return false;
  const hw::HwLayer& l = s.layer(v);
  const hw::FoldingSpace& f = s.feasible_folding(v);
  hw::Folding folding = l.folding;
  // The next larger value of one factor (coarse_in / coarse_out / coarse_group / fine), uniformly
  // among the factors that have one.
  const std::vector<int>* sets[4] = {&f.coarse_in, &f.coarse_out, &f.coarse_group, &f.fine};
  int* fields[4] = {&folding.coarse_in, &folding.coarse_out, &folding.coarse_group, &folding.fine};
  const int dims = hw::is_weighted(l.kind) ? 4 : 1;
  int choices[4], n = 0;
  for (int i = 0; i < dims; ++i)
    if (std::upper_bound(sets[i]->begin(), sets[i]->end(), *fields[i]) != sets[i]->end()) choices[n++] = i;
  if (n == 0) return false;
  const int i = choices[uniform_index(rng, n)];
  *fields[i] = *std::upper_bound(sets[i]->begin(), sets[i]->end(), *fields[i]);
  if (!hw::is_weighted(l.kind)) folding.coarse_out = folding.coarse_in;
  s.set_folding(v, folding);
  return true;
}

bool Transforms::sparsity(SearchState& s, int v) const {
  if (!s.mode_option(v).available) return false;
  s.toggle_mode(v);
  return true;
}

}  // namespace sparsedse::dse
