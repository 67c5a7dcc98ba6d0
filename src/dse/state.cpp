// Search state with incremental evaluation and an undo journal (model.md §7.3, §7.4).
#include "sparsedse/dse/state.hpp"

#include <algorithm>
#include <stdexcept>

#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::dse {

namespace {
const ModeOption kNoMode{};
}

SearchState::SearchState(Design design, ModeTable modes) : design_(std::move(design)), modes_(std::move(modes)) {
  modes_.resize(design_.network.size());
  layer_undo_.reserve(64);
  journal_.reserve(128);
  metrics_undo_.reserve(16);
  rebuild_all();
}

const ModeOption& SearchState::mode_option(int v) const { return v < static_cast<int>(modes_.size()) ? modes_[v] : kNoMode; }

void SearchState::rebuild_all() {
  hw::Network& net = design_.network;
  const int n = net.size();
  int expected = 0;
  for (hw::Partition& p : design_.partitions) {
    p.batch_size = design_.batch_size;
    for (int v : p.nodes)
      if (v != expected++) throw std::logic_error("SearchState: partitions must be contiguous and cover the network");
  }
  if (expected != n) throw std::logic_error("SearchState: partitions must cover the network");
  alt_feasible_.assign(n, {});
  for (int v = 0; v < n; ++v) {
    if (!modes_[v].available) continue;
    hw::HwLayer other = net.layers[v];
    other.kind = hw::is_sparse(other.kind) ? modes_[v].dense : modes_[v].sparse;
    alt_feasible_[v] = hw::feasible_folding(other);
  }
  layer_metrics_.resize(n);
  for (int v = 0; v < n; ++v) refresh_layer(v);
  const int parts = partition_count();
  models_.clear();
  models_.reserve(parts);
  for (const hw::Partition& p : design_.partitions) models_.emplace_back(net, p);
  partition_metrics_.assign(parts, {});
  partition_dirty_.assign(parts, 1);
  saved_epoch_.assign(parts, 0);
  reindex();
  evaluate();
  commit();
}

void SearchState::reindex() {
  partition_of_.assign(design_.network.size(), -1);
  for (int p = 0; p < partition_count(); ++p)
    for (int v : design_.partitions[p].nodes) partition_of_[v] = p;
}

void SearchState::evaluate() {
  for (int p = 0; p < partition_count(); ++p) {
    if (!partition_dirty_[p]) continue;
    partition_metrics_[p] = models_[p].evaluate(design_.network, design_.partitions[p], layer_metrics_,
                                                design_.platform, design_.options);
    partition_dirty_[p] = 0;
  }
  metrics_ = hw::network_metrics(partition_metrics_, design_.batch_size, design_.platform, design_.options);
  cost_ = objective_cost(metrics_, design_.objective);
}

Design SearchState::design() const {
  Design d = design_;
  dse::evaluate(d);
  return d;
}

// ---------------------------------------------------------------------------------------------------
// Journal

void SearchState::mark(int p) {
  if (saved_epoch_[p] != epoch_) {
    metrics_undo_.push_back({p, partition_metrics_[p], saved_epoch_[p]});
    journal_.push_back({Entry::Type::metrics, static_cast<int>(metrics_undo_.size()) - 1});
    saved_epoch_[p] = epoch_;
  }
  partition_dirty_[p] = 1;
}

void SearchState::touch_layer(int v, bool shape, bool mode) {
  layer_undo_.push_back({v, design_.network.layers[v], layer_metrics_[v], shape, mode});
  journal_.push_back({Entry::Type::layer, static_cast<int>(layer_undo_.size()) - 1});
  mark(partition_of_[v]);
}

void SearchState::clamp_streaming(int v) {
  hw::HwLayer& l = design_.network.layers[v];
  if (l.stream_weights <= 0) return;
  // The RAM count depends on folding and shape: stream at most what is there (§7.3).
  const std::int64_t ram = hw::weight_memory(l, design_.options).ram;
  if (l.stream_weights > ram) l.stream_weights = static_cast<int>(ram);
}

void SearchState::refresh_layer(int v) {
  layer_metrics_[v] = hw::evaluate_layer(design_.network.layers[v], design_.options);
}

SearchState::Checkpoint SearchState::checkpoint() {
  if (std::any_of(partition_dirty_.begin(), partition_dirty_.end(), [](char d) { return d != 0; })) evaluate();
  epoch_ = ++epochs_;
  return {journal_.size(), epoch_};
}

void SearchState::commit() {
  if (std::any_of(partition_dirty_.begin(), partition_dirty_.end(), [](char d) { return d != 0; })) evaluate();
  journal_.clear();
  layer_undo_.clear();
  partition_undo_.clear();
  metrics_undo_.clear();
  epoch_ = ++epochs_;
  committed_ = {0, epoch_};
}

void SearchState::rollback_to(const Checkpoint& cp) {
  hw::Network& net = design_.network;
  while (journal_.size() > cp.journal) {
    const Entry entry = journal_.back();
    journal_.pop_back();
    switch (entry.type) {
      case Entry::Type::layer: {
        LayerUndo& u = layer_undo_[entry.index];
        net.layers[u.v] = u.layer;
        layer_metrics_[u.v] = u.metrics;
        if (u.mode) std::swap(net.feasible[u.v], alt_feasible_[u.v]);
        if (u.shape) {
          net.refresh_feasible(u.v);
          if (modes_[u.v].available) {
            hw::HwLayer other = net.layers[u.v];
            other.kind = hw::is_sparse(other.kind) ? modes_[u.v].dense : modes_[u.v].sparse;
            alt_feasible_[u.v] = hw::feasible_folding(other);
          }
        }
        layer_undo_.pop_back();
        break;
      }
      case Entry::Type::metrics: {
        const MetricsUndo& u = metrics_undo_[entry.index];
        partition_metrics_[u.p] = u.metrics;
        saved_epoch_[u.p] = u.saved;
        metrics_undo_.pop_back();
        break;
      }
      case Entry::Type::partition: {
        PartitionUndo& u = partition_undo_[entry.index];
        const int p = u.p;
        auto& parts = design_.partitions;
        switch (u.kind) {
          case PartitionUndo::Kind::update:
            parts[p] = std::move(u.first);
            break;
          case PartitionUndo::Kind::split:
            parts[p] = std::move(u.first);
            parts.erase(parts.begin() + p + 1);
            models_[p] = std::move(u.first_model);
            models_.erase(models_.begin() + p + 1);
            partition_metrics_[p] = u.first_metrics;
            partition_metrics_.erase(partition_metrics_.begin() + p + 1);
            partition_dirty_.erase(partition_dirty_.begin() + p + 1);
            saved_epoch_.erase(saved_epoch_.begin() + p + 1);
            saved_epoch_[p] = u.first_saved;
            reindex();
            break;
          case PartitionUndo::Kind::merge:
            parts[p] = std::move(u.first);
            parts.insert(parts.begin() + p + 1, std::move(u.second));
            models_[p] = std::move(u.first_model);
            models_.insert(models_.begin() + p + 1, std::move(u.second_model));
            partition_metrics_[p] = u.first_metrics;
            partition_metrics_.insert(partition_metrics_.begin() + p + 1, u.second_metrics);
            partition_dirty_.insert(partition_dirty_.begin() + p + 1, 0);
            saved_epoch_.insert(saved_epoch_.begin() + p + 1, u.second_saved);
            saved_epoch_[p] = u.first_saved;
            reindex();
            break;
        }
        partition_undo_.pop_back();
        break;
      }
    }
  }
  epoch_ = cp.epoch;
  // Every partition is back at its evaluated state of the checkpoint.
  std::fill(partition_dirty_.begin(), partition_dirty_.end(), 0);
  metrics_ = hw::network_metrics(partition_metrics_, design_.batch_size, design_.platform, design_.options);
  cost_ = objective_cost(metrics_, design_.objective);
}

// ---------------------------------------------------------------------------------------------------
// Mutations

void SearchState::set_folding(int v, const hw::Folding& folding) {
  if (design_.network.layers[v].folding == folding) return;
  touch_layer(v);
  design_.network.layers[v].folding = folding;
  clamp_streaming(v);
  refresh_layer(v);
}

void SearchState::set_memory(int v, bool use_uram, int stream_weights) {
  hw::HwLayer& l = design_.network.layers[v];
  if (l.use_uram == use_uram && l.stream_weights == stream_weights) return;
  touch_layer(v);
  l.use_uram = use_uram;
  l.stream_weights = stream_weights;
  refresh_layer(v);
}

void SearchState::set_stream_input(int v, int port, bool streamed) {
  hw::Network& net = design_.network;
  const std::uint8_t bit = static_cast<std::uint8_t>(1u << port);
  if (((net.layers[v].stream_inputs & bit) != 0) == streamed) return;
  touch_layer(v);
  net.layers[v].stream_inputs = streamed ? (net.layers[v].stream_inputs | bit) : (net.layers[v].stream_inputs & ~bit);
  refresh_layer(v);
  for (int e : net.in_edges[v]) {
    if (net.edges[e].port != port) continue;
    const int u = net.edges[e].from;
    bool out = false;
    for (int f : net.out_edges[u]) out = out || ((net.layers[net.edges[f].to].stream_inputs >> net.edges[f].port) & 1u);
    if (net.layers[u].stream_outputs != out) {
      touch_layer(u);
      net.layers[u].stream_outputs = out;
      refresh_layer(u);
    }
  }
}

void SearchState::toggle_mode(int v) {
  ModeOption& m = modes_[v];
  if (!m.available) return;
  hw::Network& net = design_.network;
  touch_layer(v, false, true);
  hw::HwLayer& l = net.layers[v];
  const bool to_sparse = !hw::is_sparse(l.kind);
  l.kind = to_sparse ? m.sparse : m.dense;
  if (to_sparse) l.sparsity = m.profile;
  else l.sparsity.reset();
  std::swap(net.feasible[v], alt_feasible_[v]);
  hw::fix_coarse(l, net.feasible[v]);  // dense fine must divide K² (§2.3)
  clamp_streaming(v);
  refresh_layer(v);
}

std::vector<int> SearchState::weights_reloading_options(int p) const {
  const hw::Partition& part = design_.partitions[p];
  if (!part.enable_wr || part.wr_layer < 0) return {1};
  const hw::HwLayer& l = design_.network.layers[part.wr_layer];
  const int filters = l.filters * std::max(1, part.wr_factor);  // before reloading
  const int per_lane = hw::is_convolution(l.kind) ? filters / (l.groups * l.folding.coarse_out)
                                                  : filters / l.folding.coarse_out;
  return hw::factors(per_lane);
}

void SearchState::set_weights_reloading(int p, int wr) {
  hw::Partition& part = design_.partitions[p];
  if (part.wr_layer < 0 || part.wr_factor == wr) return;
  // Every layer from the WR layer downstream may change shape (§4.8).
  push_partition_undo(PartitionUndo::Kind::update, p).first = part;
  for (int v : part.nodes)
    if (v >= part.wr_layer) touch_layer(v, true);
  for (int v : hw::apply_weights_reloading(design_.network, part, wr)) {
    clamp_streaming(v);
    refresh_layer(v);
    if (modes_[v].available) {
      hw::HwLayer other = design_.network.layers[v];
      other.kind = hw::is_sparse(other.kind) ? modes_[v].dense : modes_[v].sparse;
      alt_feasible_[v] = hw::feasible_folding(other);
    }
  }
  mark(p);
}

void SearchState::set_slow_down(int p, double factor) {
  hw::Partition& part = design_.partitions[p];
  if (part.slow_down_factor == factor) return;
  push_partition_undo(PartitionUndo::Kind::update, p).first = part;
  part.slow_down_factor = factor;
  mark(p);
}

SearchState::PartitionUndo& SearchState::push_partition_undo(PartitionUndo::Kind kind, int p) {
  PartitionUndo& u = partition_undo_.emplace_back();
  u.kind = kind;
  u.p = p;
  journal_.push_back({Entry::Type::partition, static_cast<int>(partition_undo_.size()) - 1});
  return u;
}

void SearchState::find_wr_layer(int p) {
  hw::Partition& part = design_.partitions[p];
  part.wr_factor = 1;
  part.wr_layer = part.enable_wr ? hw::find_wr_layer(design_.network, part) : -1;
}

void SearchState::split(int p, int last_of_first) {
  hw::Partition& part = design_.partitions[p];
  if (last_of_first < part.nodes.front() || last_of_first >= part.nodes.back())
    throw std::logic_error("SearchState::split: the cut must leave both parts non-empty");
  set_weights_reloading(p, 1);
  auto& parts = design_.partitions;
  PartitionUndo& u = push_partition_undo(PartitionUndo::Kind::split, p);
  u.first = parts[p];
  u.first_metrics = partition_metrics_[p];
  u.first_model = std::move(models_[p]);
  u.first_saved = saved_epoch_[p];

  hw::Partition second = parts[p];
  const auto cut = std::upper_bound(parts[p].nodes.begin(), parts[p].nodes.end(), last_of_first);
  second.nodes.assign(cut, parts[p].nodes.end());
  parts[p].nodes.erase(cut, parts[p].nodes.end());
  parts.insert(parts.begin() + p + 1, std::move(second));
  find_wr_layer(p);
  find_wr_layer(p + 1);
  models_[p].rebuild(design_.network, parts[p]);
  models_.insert(models_.begin() + p + 1, hw::PartitionModel(design_.network, parts[p + 1]));
  partition_metrics_.insert(partition_metrics_.begin() + p + 1, hw::PartitionMetrics{});
  partition_dirty_[p] = 1;
  partition_dirty_.insert(partition_dirty_.begin() + p + 1, 1);
  saved_epoch_[p] = epoch_;  // the split entry restores both
  saved_epoch_.insert(saved_epoch_.begin() + p + 1, epoch_);
  reindex();
}

void SearchState::merge(int p) {
  if (p < 0 || p + 1 >= partition_count()) throw std::logic_error("SearchState::merge: no next partition");
  set_weights_reloading(p, 1);
  set_weights_reloading(p + 1, 1);
  auto& parts = design_.partitions;
  PartitionUndo& u = push_partition_undo(PartitionUndo::Kind::merge, p);
  u.first = parts[p];
  u.second = parts[p + 1];
  u.first_metrics = partition_metrics_[p];
  u.second_metrics = partition_metrics_[p + 1];
  u.first_model = std::move(models_[p]);
  u.second_model = std::move(models_[p + 1]);
  u.first_saved = saved_epoch_[p];
  u.second_saved = saved_epoch_[p + 1];

  parts[p].nodes.insert(parts[p].nodes.end(), parts[p + 1].nodes.begin(), parts[p + 1].nodes.end());
  parts[p].slow_down_factor = std::max(parts[p].slow_down_factor, parts[p + 1].slow_down_factor);
  parts.erase(parts.begin() + p + 1);
  find_wr_layer(p);
  models_[p] = hw::PartitionModel(design_.network, parts[p]);
  models_.erase(models_.begin() + p + 1);
  partition_metrics_.erase(partition_metrics_.begin() + p + 1);
  partition_dirty_.erase(partition_dirty_.begin() + p + 1);
  partition_dirty_[p] = 1;
  saved_epoch_.erase(saved_epoch_.begin() + p + 1);
  saved_epoch_[p] = epoch_;
  reindex();
}

// ---------------------------------------------------------------------------------------------------
// Snapshots

void SearchState::save(Snapshot& s) const {
  s.layers = design_.network.layers;
  s.partitions = design_.partitions;
  s.cost = cost_;
  s.feasible = metrics_.fits;
}

void SearchState::restore(const Snapshot& s) {
  design_.network.layers = s.layers;
  design_.partitions = s.partitions;
  for (int v = 0; v < design_.network.size(); ++v) design_.network.refresh_feasible(v);
  rebuild_all();
}

Design SearchState::design_of(const Snapshot& s) const {
  Design d = design_;
  d.network.layers = s.layers;
  d.partitions = s.partitions;
  for (int v = 0; v < d.network.size(); ++v) d.network.refresh_feasible(v);
  dse::evaluate(d);
  return d;
}

}  // namespace sparsedse::dse
