// Partition structure and metrics (model.md §2.4, §2.5, §4.6, §6.7, §7.7).
#include "sparsedse/hw/partition.hpp"

#include <algorithm>
#include <stdexcept>

#include "sparsedse/hw/permutation.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

namespace {

bool is_merge(LayerKind k) { return k == LayerKind::eltwise || k == LayerKind::concat; }

}  // namespace

void PartitionModel::rebuild(const Network& net, const Partition& p) {
  nodes_ = p.nodes;
  const int n = static_cast<int>(nodes_.size());
  for (int i = 0; i < n; ++i) {
    if (nodes_[i] < 0 || nodes_[i] >= net.size() || (i > 0 && nodes_[i] <= nodes_[i - 1]))
      throw std::logic_error("Partition: nodes must be distinct network layers in ascending order");
  }
  local_.assign(net.size(), -1);
  for (int i = 0; i < n; ++i) local_[nodes_[i]] = i;
  in_.assign(n, {});
  out_.assign(n, {});
  internal_edges_.clear();
  edge_slot_.assign(net.edges.size(), -1);
  inputs_.clear();
  input_first_.assign(n + 1, 0);
  outputs_.clear();
  input_nodes_.clear();
  output_nodes_.clear();
  leaving_.clear();
  for (int i = 0; i < n; ++i) {
    const int v = nodes_[i];
    const HwLayer& l = net.layers[v];
    std::array<bool, kMaxPorts> fed{};
    for (int e : net.in_edges[v]) {
      if (local_[net.edges[e].from] < 0) continue;
      in_[i].push_back(e);
      fed[net.edges[e].port] = true;
    }
    input_first_[i] = static_cast<int>(inputs_.size());
    for (int port = 0; port < l.ports_in; ++port)
      if (!fed[port]) inputs_.push_back({i, port});
    if (static_cast<int>(inputs_.size()) > input_first_[i]) input_nodes_.push_back(v);
    bool leaves = net.out_edges[v].empty(), elsewhere = false;
    for (int e : net.out_edges[v]) {
      if (local_[net.edges[e].to] < 0) {
        leaves = elsewhere = true;
        continue;
      }
      out_[i].push_back(e);
      edge_slot_[e] = static_cast<int>(internal_edges_.size());
      internal_edges_.push_back(e);
    }
    if (leaves) {
      outputs_.push_back(i);
      output_nodes_.push_back(v);
    }
    if (elsewhere) leaving_.push_back(i);
  }
  input_first_[n] = static_cast<int>(inputs_.size());

  // Merge points and their shortcut regions (§2.4).
  merges_.clear();
  merge_of_.assign(n, -1);
  std::vector<int> reach(n), seen(n), stack;
  for (int i = 0; i < n; ++i) {
    const HwLayer& l = net.layers[nodes_[i]];
    if (!is_merge(l.kind)) continue;
    Merge m;
    m.local = i;
    m.producers.assign(l.ports_in, -1);
    m.port_edges.assign(l.ports_in, -1);
    m.depth.assign(l.ports_in, 2);
    for (int e : in_[i]) {
      m.producers[net.edges[e].port] = local_[net.edges[e].from];
      m.port_edges[net.edges[e].port] = e;
    }
    const bool all_inside = std::none_of(m.producers.begin(), m.producers.end(), [](int u) { return u < 0; });
    if (all_inside && l.ports_in >= 2) {
      // reach[x] = number of distinct producers that x is an ancestor of (or equal to).
      std::fill(reach.begin(), reach.end(), 0);
      std::vector<int> distinct = m.producers;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      for (int u : distinct) {
        std::fill(seen.begin(), seen.end(), 0);
        stack.assign(1, u);
        seen[u] = 1;
        while (!stack.empty()) {
          const int x = stack.back();
          stack.pop_back();
          ++reach[x];
          for (int e : in_[x]) {
            const int y = local_[net.edges[e].from];
            if (!seen[y]) {
              seen[y] = 1;
              stack.push_back(y);
            }
          }
        }
      }
      const int all = static_cast<int>(distinct.size());
      // Lowest common ancestors: common ancestors with no child that is one; the oldest (first in
      // topological order) of them must be a Split.
      for (int x = 0; x < n && m.split < 0; ++x) {
        if (reach[x] != all) continue;
        const bool lowest = std::none_of(out_[x].begin(), out_[x].end(),
                                         [&](int e) { return reach[local_[net.edges[e].to]] == all; });
        if (!lowest) continue;
        if (net.layers[nodes_[x]].kind != LayerKind::split) break;
        m.split = x;
      }
      if (m.split >= 0) {
        // Region: descendants of the split that are ancestors of a producer.
        std::fill(seen.begin(), seen.end(), 0);
        seen[m.split] = 1;
        for (int x = m.split + 1; x < n; ++x) {
          if (reach[x] == 0) continue;
          for (int e : in_[x]) {
            if (!seen[local_[net.edges[e].from]]) continue;
            seen[x] = 1;
            m.region_edges.push_back({x, e});
          }
          if (seen[x]) m.region.push_back(x);
        }
      }
    }
    merge_of_[i] = static_cast<int>(merges_.size());
    merges_.push_back(std::move(m));
  }

  // ChannelPermute sites (§5.4, hls.md §3.4): weighted layers whose permutation cannot fold. Whether
  // one is charged depends on the folding and the statistics, so it is decided in evaluate().
  permutes_.clear();
  permute_of_.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    const int v = nodes_[i];
    if (!is_weighted(net.layers[v].kind) || permutation_fold_producer(net, v, nodes_) >= 0) continue;
    Permute q;
    q.local = i;
    q.pixels = flattened_pixels(net, v);
    permute_of_[i] = static_cast<int>(permutes_.size());
    permutes_.push_back(std::move(q));
  }

  edge_squeeze_.assign(internal_edges_.size(), Squeeze{});
  input_squeeze_.assign(inputs_.size(), Squeeze{});
  output_squeeze_.assign(outputs_.size(), Squeeze{});
  state_.assign(n, State{});
  region_state_.assign(n, State{});
  longest_.assign(n, 0.0);
}

void PartitionModel::update_squeeze(Squeeze& s, bool active, int rows, int cols, int channels, int cin, int cout,
                                    const ModelOptions& o) {
  s.active = active;
  if (!active) return;
  const HwLayer& l = s.layer;
  if (s.coarse_in == cin && s.coarse_out == cout && l.rows == rows && l.cols == cols && l.channels == channels &&
      l.data_width == o.data_width)
    return;  // cached
  s.coarse_in = cin;
  s.coarse_out = cout;
  HwLayer& q = s.layer;
  q = HwLayer{};
  q.kind = LayerKind::squeeze;
  q.rows = rows;
  q.cols = cols;
  q.channels = channels;
  q.folding = {cin, cout, 1, 1};
  q.data_width = o.data_width;
  q.weight_width = o.weight_width;
  q.acc_width = o.acc_width;
  s.metrics = evaluate_layer(q, o);
}

bool PartitionModel::update_permute(Permute& q, const HwLayer& l, const ModelOptions& o) {
  q.active = false;
  if (!is_sparse(l.kind) || !l.sparsity) return false;
  const int streams = l.streams_in();
  bool moves = false;
  if (q.pixels <= 1) {
    moves = l.sparsity->moves_streams(streams, std::max(1, l.folding.fine), l.skip_all_zero_window, o.interleaving);
  } else {
    // An InnerProduct over a flattened H×W×C tensor: tabulated once per profile (this allocates).
    if (q.table_of != l.sparsity.get()) {
      q.divisors = factors(l.sparsity->channels());
      q.moves.assign(q.divisors.size() * 4, 0);
      for (std::size_t d = 0; d < q.divisors.size(); ++d)
        for (int skip = 0; skip < 2; ++skip)
          for (int il = 0; il < 2; ++il)
            q.moves[(d * 2 + skip) * 2 + il] =
                interleaving_moves_streams(*l.sparsity, q.divisors[d], 1, skip == 1,
                                           il == 0 ? Interleaving::snake : Interleaving::naive, q.pixels);
      q.table_of = l.sparsity.get();
    }
    const auto it = std::lower_bound(q.divisors.begin(), q.divisors.end(), streams);
    if (it == q.divisors.end() || *it != streams) throw std::logic_error("ChannelPermute: infeasible stream count");
    const std::size_t d = static_cast<std::size_t>(it - q.divisors.begin());
    moves = q.moves[(d * 2 + (l.skip_all_zero_window ? 1 : 0)) * 2 + (o.interleaving == Interleaving::naive ? 1 : 0)];
  }
  if (!moves) return false;
  const std::int64_t words = l.workload_in();
  const std::int64_t group = is_inner_product(l.kind) ? words : l.channels;
  if (q.words != words || q.group != group || q.streams != streams || q.data_width != l.data_width) {  // cached
    q.words = words;
    q.group = group;
    q.streams = streams;
    q.data_width = l.data_width;
    q.metrics = channel_permute_metrics(words, group, streams, l.data_width);
  }
  q.active = true;
  return true;
}

PartitionModel::State PartitionModel::step(State s, const LayerMetrics& m, double interval) const {
  s.prod *= static_cast<double>(m.size_in) / static_cast<double>(m.size_out);
  s.pd += static_cast<double>(m.pipeline_depth) / m.rate_in + interval / static_cast<double>(m.size_in) * s.prod;
  ++s.count;
  return s;
}

namespace {

// Path delay through one layer (§2.4 step 2): pd + (lat / size_in)·Π size_in/size_out.
void delay_step(double& depth, double& prod, const LayerMetrics& m) {
  prod *= static_cast<double>(m.size_in) / static_cast<double>(m.size_out);
  depth += static_cast<double>(m.pipeline_depth) + static_cast<double>(m.latency) / m.size_in * prod;
}

bool better(int count, double pd, int best_count, double best_pd) {
  return count > best_count || (count == best_count && pd > best_pd);
}

}  // namespace

void PartitionModel::merge_depths(Merge& m, const Network& net, const std::vector<LayerMetrics>& metrics) {
  const HwLayer& l = net.layers[nodes_[m.local]];
  std::fill(m.depth.begin(), m.depth.end(), 2);
  if (m.split < 0) return;
  for (int x : m.region) region_state_[x].count = -1;
  State& root = region_state_[m.split];
  root = State{0, 0.0, 1.0};
  delay_step(root.pd, root.prod, metrics[nodes_[m.split]]);
  // Deepest path to every region node (edges are grouped by node in topological order).
  int current = -1;
  State best{};
  auto finish = [&]() {
    if (current < 0) return;
    if (permute_of_[current] >= 0 && permutes_[permute_of_[current]].active)
      delay_step(best.pd, best.prod, permutes_[permute_of_[current]].metrics);
    delay_step(best.pd, best.prod, metrics[nodes_[current]]);
    best.count = 0;
    region_state_[current] = best;
  };
  for (const auto& [x, e] : m.region_edges) {
    if (x != current) {
      finish();
      current = x;
      best = State{-1, 0.0, 1.0};
    }
    const int u = local_[net.edges[e].from];
    if (u != m.split && region_state_[u].count < 0) continue;
    State s = region_state_[u];
    const Squeeze& sq = edge_squeeze_[edge_slot_[e]];
    if (sq.active) delay_step(s.pd, s.prod, sq.metrics);
    else s.prod *= sq.stream_ratio;
    if (best.count < 0 || s.pd > best.pd) best = State{0, s.pd, s.prod};
  }
  finish();
  double max_depth = 0.0;
  const int ports = static_cast<int>(m.producers.size());
  std::array<double, kMaxPorts> depth{};
  for (int i = 0; i < ports; ++i) {
    State s = region_state_[m.producers[i]];
    const Squeeze& sq = edge_squeeze_[edge_slot_[m.port_edges[i]]];
    if (sq.active) delay_step(s.pd, s.prod, sq.metrics);
    else s.prod *= sq.stream_ratio;
    depth[i] = s.pd;
    max_depth = std::max(max_depth, s.pd);
  }
  double extra = 0.0;
  if (l.kind == LayerKind::concat) {  // + Σ_i channels_in(i)/rate_in(i), rate_in(i) = C_i/ΣC
    const double total = l.channels_out();
    for (int i = 0; i < ports; ++i) extra += l.port_channels[i] / (l.port_channels[i] / total);
  }
  for (int i = 0; i < ports; ++i) m.depth[i] = ceil_int(max_depth - depth[i] + extra) + 64;
}

const PartitionMetrics& PartitionModel::evaluate(const Network& net, const Partition& p,
                                                 const std::vector<LayerMetrics>& metrics, const Platform& platform,
                                                 const ModelOptions& o) {
  PartitionMetrics& r = result_;
  r = PartitionMetrics{};
  const int n = static_cast<int>(nodes_.size());
  const int max_streams = platform.max_streams(o.data_width);

  // Squeeze insertion (§2.5, §7.7): mismatched internal edges and partition ports.
  for (std::size_t k = 0; k < internal_edges_.size(); ++k) {
    const HwEdge& e = net.edges[internal_edges_[k]];
    const int cin = metrics[e.from].streams_out, cout = metrics[e.to].streams_in;
    const bool streamed = (net.layers[e.to].stream_inputs >> e.port) & 1u;
    edge_squeeze_[k].stream_ratio = streamed ? static_cast<double>(cout) / cin : 1.0;
    if (streamed || cin == cout) {
      edge_squeeze_[k].active = false;
      continue;
    }
    const HwLayer& u = net.layers[e.from];
    update_squeeze(edge_squeeze_[k], true, u.rows_out(), u.cols_out(), u.channels_out(), cin, cout, o);
  }
  for (std::size_t k = 0; k < inputs_.size(); ++k) {
    const int v = nodes_[inputs_[k].local];
    const HwLayer& l = net.layers[v];
    const int port_streams = largest_port_streams(l, net.feasible[v], true, max_streams);
    update_squeeze(input_squeeze_[k], port_streams != l.streams_in(), l.rows, l.cols,
                   l.channels_on_port(inputs_[k].port), port_streams, l.streams_in(), o);
  }
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    const int v = nodes_[outputs_[k]];
    const HwLayer& l = net.layers[v];
    const int port_streams = largest_port_streams(l, net.feasible[v], false, max_streams);
    update_squeeze(output_squeeze_[k], port_streams != l.streams_out(), l.rows_out(), l.cols_out(),
                   l.channels_out(), l.streams_out(), port_streams, o);
  }

  // Interval (§4.6) and resources.
  Resources raw;
  for (int i = 0; i < n; ++i) {
    const LayerMetrics& m = metrics[nodes_[i]];
    if (m.latency > r.interval) {
      r.interval = m.latency;
      r.bottleneck = nodes_[i];
    }
    raw += m.resources;
  }
  auto add_squeezes = [&](const std::vector<Squeeze>& squeezes) {
    for (const Squeeze& s : squeezes) {
      if (!s.active) continue;
      ++r.squeezes;
      raw += s.metrics.resources;
      if (s.metrics.latency > r.interval) {
        r.interval = s.metrics.latency;
        r.bottleneck = -1;
      }
    }
  };
  add_squeezes(edge_squeeze_);
  add_squeezes(input_squeeze_);
  add_squeezes(output_squeeze_);
  // ChannelPermute in front of a sparse layer whose interleaving cannot fold (§5.4): counts like a Squeeze.
  for (Permute& q : permutes_) {
    if (!update_permute(q, net.layers[nodes_[q.local]], o)) continue;
    ++r.permutes;
    raw += q.metrics.resources;
    if (q.metrics.latency > r.interval) {
      r.interval = q.metrics.latency;
      r.bottleneck = nodes_[q.local];
    }
  }

  // Shortcut FIFOs (§2.4, §6.5).
  for (Merge& m : merges_) {
    merge_depths(m, net, metrics);
    const HwLayer& l = net.layers[nodes_[m.local]];
    for (int i = 0; i < static_cast<int>(m.depth.size()); ++i)
      if (!((l.stream_inputs >> i) & 1u)) raw.bram += bram18(m.depth[i], o.data_width, RamKind::fifo) * l.streams_in();
  }

  // Pipeline depth.
  const double interval = static_cast<double>(r.interval);
  if (o.semantics == Semantics::main) {
    // Along dag_longest_path (most nodes, Squeeze included); ties → the largest PD (Q4).
    for (int i = 0; i < n; ++i) {
      State best{-1, 0.0, 1.0};
      auto consider = [&](const State& s) {
        if (better(s.count, s.pd, best.count, best.pd)) best = s;
      };
      for (int k = input_first_[i]; k < input_first_[i + 1]; ++k) {
        const Squeeze& sq = input_squeeze_[k];
        consider(sq.active ? step(State{}, sq.metrics, interval) : State{});
      }
      for (int e : in_[i]) {
        const Squeeze& sq = edge_squeeze_[edge_slot_[e]];
        State s = state_[local_[net.edges[e].from]];
        if (sq.active) s = step(s, sq.metrics, interval);
        else s.prod *= sq.stream_ratio;
        consider(s);
      }
      State in = best.count < 0 ? State{} : best;
      if (permute_of_[i] >= 0 && permutes_[permute_of_[i]].active) in = step(in, permutes_[permute_of_[i]].metrics, interval);
      state_[i] = step(in, metrics[nodes_[i]], interval);
    }
    State best{-1, 0.0, 1.0};
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      const Squeeze& sq = output_squeeze_[k];
      const State& s = state_[outputs_[k]];
      const State end = sq.active ? step(s, sq.metrics, interval) : s;
      if (better(end.count, end.pd, best.count, best.pd)) best = end;
    }
    r.pipeline_depth = best.pd;
  } else if (n > 0) {
    // pass: Σ pd along the deepest path from the first input node.
    for (int i = n - 1; i >= 0; --i) {
      double tail = 0.0;
      for (int e : out_[i]) tail = std::max(tail, longest_[local_[net.edges[e].to]]);
      const bool permuted = permute_of_[i] >= 0 && permutes_[permute_of_[i]].active;
      longest_[i] = static_cast<double>(metrics[nodes_[i]].pipeline_depth) +
                    (permuted ? static_cast<double>(permutes_[permute_of_[i]].metrics.pipeline_depth) : 0.0) + tail;
    }
    r.pipeline_depth = longest_[inputs_.empty() ? 0 : inputs_.front().local];
  }

  // Batch cycles with weights reloading (§4.6).
  const double slow = o.semantics == Semantics::pass ? 1.0 : p.slow_down_factor;
  const std::int64_t slowed = ceil_int(interval * slow);
  const int wr = p.wr_layer >= 0 ? std::max(1, p.wr_factor) : 1;
  std::int64_t size_wr = 0;
  if (wr > 1) {
    const HwLayer& w = net.layers[p.wr_layer];
    size_wr = is_inner_product(w.kind) && o.quirks.ip_param_size ? std::int64_t{w.filters} * w.channels : w.parameters();
  }
  r.cycles = trunc_int((static_cast<double>(slowed) * p.batch_size + r.pipeline_depth) * wr +
                       static_cast<double>(wr - 1) * static_cast<double>(size_wr));
  r.stage_cycles = static_cast<double>(slowed) * p.batch_size * wr + r.pipeline_depth * (wr - 1) +
                   static_cast<double>(wr - 1) * static_cast<double>(size_wr);
  r.latency_s = static_cast<double>(r.cycles) / (platform.clock_mhz * 1e6);

  // Bandwidth (§4.6), Gbit/s.
  const double t = std::max(interval * slow, 1.0);
  const double per_word = o.data_width * platform.clock_mhz / (t * 1000.0);
  auto read_words = [&](const HwLayer& l, int port) {
    double words = static_cast<double>(std::int64_t{l.rows} * l.cols * l.channels_on_port(port));
    if (is_convolution(l.kind) && ((l.stream_inputs >> port) & 1u)) words *= l.kernel_rows;  // line buffer re-read
    return words;
  };
  for (const Port& in : inputs_) r.bandwidth.in += read_words(net.layers[nodes_[in.local]], in.port) * per_word;
  for (int e : internal_edges_) {
    const HwEdge& edge = net.edges[e];
    const HwLayer& l = net.layers[edge.to];
    if ((l.stream_inputs >> edge.port) & 1u) r.bandwidth.in += read_words(l, edge.port) * per_word;
  }
  for (int i = 0; i < n; ++i) {
    const HwLayer& l = net.layers[nodes_[i]];
    const bool leaves = std::binary_search(outputs_.begin(), outputs_.end(), i);
    if (leaves || l.stream_outputs) r.bandwidth.out += static_cast<double>(l.workload_out()) * per_word;
    const LayerMetrics& m = metrics[nodes_[i]];
    if (m.weights_stream_bits_per_cycle > 0)
      r.bandwidth.weights +=
          m.weights_stream_bits_per_cycle * static_cast<double>(m.latency) * platform.clock_mhz / (t * 1000.0);
  }

  // BRAM→LUTRAM trade (§6.7) and constraints.
  r.resources_raw = raw;
  r.resources = raw;
  const ResourceBudget& u = platform.usable;
  const double rsc = o.rsc_allocation, ram = o.ram_fraction();
  if (o.bram_to_lut) {
    const std::int64_t shortage = ceil_int(static_cast<double>(raw.bram) - ram * static_cast<double>(u.bram));
    const std::int64_t surplus = trunc_int((rsc * static_cast<double>(u.lut) - static_cast<double>(raw.lut)) / 288.0);
    if (shortage > 0 && surplus > 0) {
      r.bram_converted = std::min(shortage, surplus);
      r.resources.bram -= r.bram_converted;
      r.resources.lut += (o.quirks.bram_to_lut_accounting ? surplus : r.bram_converted) * 288;
    }
  }
  auto frac = [](std::int64_t used, std::int64_t total) {
    return total > 0 ? static_cast<double>(used) / static_cast<double>(total) : (used > 0 ? 1e9 : 0.0);
  };
  Utilisation& ut = r.utilisation;
  ut.lut = frac(r.resources.lut, u.lut);
  ut.ff = frac(r.resources.ff, u.ff);
  ut.dsp = frac(r.resources.dsp, u.dsp);
  ut.bram = frac(r.resources.bram, u.bram);
  ut.uram = frac(r.resources.uram, u.uram);
  ut.bandwidth = r.bandwidth.total() / platform.memory_bandwidth_gbps;
  r.fits_resources = ut.lut <= rsc && ut.ff <= rsc && ut.dsp <= rsc && ut.bram <= ram && ut.uram <= ram;
  r.fits_bandwidth = ut.bandwidth <= rsc;

  // Inter-FPGA edges (§4.7 pipelined, §6.9 Ethernet port width): each edge to another partition carries
  // the producer's whole output at the partition's rate and must fit the Ethernet payload per cycle.
  for (int i : leaving_)
    r.ethernet_bits_per_cycle =
        std::max(r.ethernet_bits_per_cycle, static_cast<double>(net.layers[nodes_[i]].workload_out()) * o.data_width / t);
  if (o.network_mode == NetworkMode::pipelined) {
    const double port = static_cast<double>(platform.ethernet_port_width());
    ut.ethernet = port > 0 ? r.ethernet_bits_per_cycle / port : (r.ethernet_bits_per_cycle > 0 ? 1e9 : 0.0);
    r.fits_ethernet = r.ethernet_bits_per_cycle <= port;
  }
  return r;
}

std::int64_t PartitionModel::buffer_depth(int node, int port) const {
  const int i = node >= 0 && node < static_cast<int>(local_.size()) ? local_[node] : -1;
  if (i < 0 || merge_of_[i] < 0) return 2;
  const Merge& m = merges_[merge_of_[i]];
  return port >= 0 && port < static_cast<int>(m.depth.size()) ? m.depth[port] : 2;
}

std::vector<int> PartitionModel::permuted_layers() const {
  std::vector<int> out;
  for (const Permute& q : permutes_)
    if (q.active) out.push_back(nodes_[q.local]);
  return out;
}

std::vector<SqueezeSite> PartitionModel::squeezes() const {
  std::vector<SqueezeSite> out;
  for (std::size_t k = 0; k < internal_edges_.size(); ++k) {
    const Squeeze& s = edge_squeeze_[k];
    if (!s.active) continue;
    SqueezeSite site;
    site.where = SqueezeSite::Where::edge;
    site.edge = internal_edges_[k];
    site.coarse_in = s.coarse_in;
    site.coarse_out = s.coarse_out;
    site.layer = s.layer;
    out.push_back(site);
  }
  for (std::size_t k = 0; k < inputs_.size(); ++k) {
    const Squeeze& s = input_squeeze_[k];
    if (!s.active) continue;
    SqueezeSite site;
    site.where = SqueezeSite::Where::input;
    site.node = nodes_[inputs_[k].local];
    site.port = inputs_[k].port;
    site.coarse_in = s.coarse_in;
    site.coarse_out = s.coarse_out;
    site.layer = s.layer;
    out.push_back(site);
  }
  for (std::size_t k = 0; k < outputs_.size(); ++k) {
    const Squeeze& s = output_squeeze_[k];
    if (!s.active) continue;
    SqueezeSite site;
    site.where = SqueezeSite::Where::output;
    site.node = nodes_[outputs_[k]];
    site.coarse_in = s.coarse_in;
    site.coarse_out = s.coarse_out;
    site.layer = s.layer;
    out.push_back(site);
  }
  return out;
}

}  // namespace sparsedse::hw
