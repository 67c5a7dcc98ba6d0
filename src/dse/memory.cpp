// Memory allocation and feasibility repair (model.md §7.5 allocate_memory).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "sparsedse/common/error.hpp"
#include "sparsedse/dse/solvers.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::dse {

namespace {

constexpr double kBramBits = 18432.0, kUramBits = 294912.0;

double raw_util(std::int64_t used, std::int64_t total) {
  return total > 0 ? static_cast<double>(used) / static_cast<double>(total) : (used > 0 ? 1e9 : 0.0);
}

double bram_util(const SearchState& s, int p) {
  return raw_util(s.partition_metrics(p).resources_raw.bram, s.platform().usable.bram);
}
double uram_util(const SearchState& s, int p) {
  return raw_util(s.partition_metrics(p).resources_raw.uram, s.platform().usable.uram);
}

// Which on-chip RAM streaming must relieve: BRAM after the BRAM→LUTRAM trade or URAM over its
// allocation (`must`); with BramOverflow::off_chip also BRAM that only the trade keeps inside it, while
// the bandwidth lasts.
struct RamOver {
  bool bram = false, uram = false, must = false;
  bool any() const { return bram || uram; }
};
RamOver ram_over(const SearchState& s, int p, double ram_usage, double bw_max, BramOverflow overflow) {
  const hw::PartitionMetrics& m = s.partition_metrics(p);
  RamOver o;
  o.uram = m.utilisation.uram > ram_usage;
  o.bram = m.utilisation.bram > ram_usage;
  o.must = o.bram || o.uram;
  if (overflow == BramOverflow::off_chip && !o.bram)
    o.bram = bram_util(s, p) > ram_usage && m.bandwidth.total() < bw_max;
  return o;
}

// On-chip RAM bits of the memory kinds streaming must relieve. BRAM is counted before the LUTRAM trade:
// while the trade is active, a step that frees BRAM shows after it only as a smaller conversion, or not at
// all when the step also costs LUTs, and the streaming would stop with BRAM still over.
double over_bits(const SearchState& s, int p, const RamOver& over) {
  const hw::PartitionMetrics& m = s.partition_metrics(p);
  return (over.bram ? static_cast<double>(m.resources_raw.bram) * kBramBits : 0.0) +
         (over.uram ? static_cast<double>(m.resources.uram) * kUramBits : 0.0);
}

// One off-chip streaming step (§7.5): the candidate with the most on-chip RAM saved per Gbit/s.
struct StreamStep {
  enum class Kind { weights, input } kind;
  int v = -1, port = 0, value = 0;
};

bool apply_step(SearchState& s, const StreamStep& c) {
  if (c.kind == StreamStep::Kind::weights) s.set_memory(c.v, s.layer(c.v).use_uram, c.value);
  else s.set_stream_input(c.v, c.port, true);
  return true;
}

}  // namespace

SolverStats& SolverStats::operator+=(const SolverStats& o) {
  moves += o.moves;
  evaluations += o.evaluations;
  accepted += o.accepted;
  infeasible += o.infeasible;
  temperature_steps += o.temperature_steps;
  return *this;
}

void allocate_memory(SearchState& s, int p, const OptimiserConfig& config, BramOverflow overflow) {
  const std::vector<int> nodes = s.partitions()[p].nodes;
  const double ram_usage = config.effective_ram_usage();
  // Reset streaming and URAM (§7.5).
  s.set_slow_down(p, 1.0);
  for (int v : nodes) {
    const hw::HwLayer& l = s.layer(v);
    if (hw::is_weighted(l.kind)) s.set_memory(v, false, 0);
    for (int port = 0; port < l.ports_in; ++port)
      if ((s.layer(v).stream_inputs >> port) & 1u) s.set_stream_input(v, port, false);
  }
  s.evaluate();

  // BRAM/URAM balancing: largest weight memories first, until BRAM util <= URAM util.
  if (s.platform().usable.uram > 0 && config.balance_bram_uram) {
    std::vector<int> weighted;
    for (int v : nodes)
      if (hw::is_weighted(s.layer(v).kind) && s.layer_metrics(v).weights_ram > 0) weighted.push_back(v);
    std::stable_sort(weighted.begin(), weighted.end(), [&](int a, int b) {
      return s.layer_metrics(a).weights_ram > s.layer_metrics(b).weights_ram;
    });
    for (int v : weighted) {
      const double before = bram_util(s, p) - uram_util(s, p);
      if (before <= 0) break;
      const SearchState::Checkpoint cp = s.checkpoint();
      s.set_memory(v, true, 0);
      s.evaluate();
      const double after = bram_util(s, p) - uram_util(s, p);
      if (after < 0 && -after >= before) {  // overshoot: keep it only if it balances better
        s.rollback_to(cp);
        break;
      }
      // Ours: never fill URAM beyond its allocation; a smaller memory may still fit.
      if (uram_util(s, p) > ram_usage) s.rollback_to(cp);
    }
  }

  // Off-chip streaming while on-chip RAM is over its allocation.
  const double bw_max = config.resource_allocation * s.platform().memory_bandwidth_gbps;
  if (config.off_chip_streaming) {
    std::vector<StreamStep> candidates;
    for (int guard = 0; guard < 100000; ++guard) {
      const RamOver over = ram_over(s, p, ram_usage, bw_max, overflow);
      if (!over.any()) break;
      candidates.clear();
      for (int v : nodes) {
        const hw::HwLayer& l = s.layer(v);
        if (hw::is_weighted(l.kind)) {
          const hw::WeightMemory w = hw::weight_memory(l, s.options());
          if (w.ram > 0 && l.stream_weights < w.ram) {
            const std::int64_t next = std::min<std::int64_t>(w.ram, l.stream_weights + w.stream_unit() * w.stream_step(0.1));
            candidates.push_back({StreamStep::Kind::weights, v, 0, static_cast<int>(next)});
          }
        }
        const bool line_buffer = hw::is_convolution(l.kind) && l.kernel_rows > 1;
        const bool fifo = l.kind == hw::LayerKind::eltwise || l.kind == hw::LayerKind::concat;
        if (!line_buffer && !fifo) continue;
        for (int e : s.network().in_edges[v]) {
          const hw::HwEdge& edge = s.network().edges[e];
          if (s.partition_of(edge.from) != p || ((l.stream_inputs >> edge.port) & 1u)) continue;
          candidates.push_back({StreamStep::Kind::input, v, edge.port, 1});
        }
      }
      const double bits0 = over_bits(s, p, over), bw0 = s.partition_metrics(p).bandwidth.total();
      const SearchState::Checkpoint cp = s.checkpoint();
      // The candidate with the most over-allocated RAM freed per Gbit/s of bandwidth it adds.
      int best = -1;
      double best_score = 0.0;
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        apply_step(s, candidates[i]);
        s.evaluate();
        const double saved = bits0 - over_bits(s, p, over);
        const double extra = std::max(1e-9, s.partition_metrics(p).bandwidth.total() - bw0);
        s.rollback_to(cp);
        if (saved > 0 && saved / extra > best_score) {
          best_score = saved / extra;
          best = static_cast<int>(i);
        }
      }
      if (best < 0) break;
      apply_step(s, candidates[best]);
      s.evaluate();
      if (!over.must && s.partition_metrics(p).bandwidth.total() > bw_max) {  // a spill is not worth a slow-down
        s.rollback_to(cp);
        break;
      }
    }
  }

  // Bandwidth: slow the partition down until it fits (§7.5).
  const hw::PartitionMetrics& m = s.partition_metrics(p);
  if (m.bandwidth.total() > bw_max) {
    s.set_slow_down(p, m.bandwidth.total() / bw_max + 0.01);
    s.evaluate();
  }
}

bool reallocate_to_fit(SearchState& s, int p, const OptimiserConfig& config) {
  allocate_memory(s, p, config);
  s.evaluate();
  const bool fits = s.partition_metrics(p).fits();
  if (fits || !config.bram_to_lut || !config.off_chip_streaming) return fits;
  allocate_memory(s, p, config, BramOverflow::off_chip);
  s.evaluate();
  return s.partition_metrics(p).fits();
}

namespace {

// The allowed cut inside partition p nearest to the middle of its weights (parameters), or -1.
int balanced_cut(const SearchState& s, const Transforms& t, int p) {
  const std::vector<int>& nodes = s.partitions()[p].nodes;
  const auto& cuts = t.cuts();
  const auto lo = std::lower_bound(cuts.begin(), cuts.end(), nodes.front());
  const auto hi = std::lower_bound(cuts.begin(), cuts.end(), nodes.back());
  if (lo == hi) return -1;
  double total = 0;
  for (int v : nodes) total += static_cast<double>(s.layer(v).parameters()) + 1.0;
  int best = -1;
  double best_gap = 0;
  double prefix = 0;
  auto cut = lo;
  for (int v : nodes) {
    prefix += static_cast<double>(s.layer(v).parameters()) + 1.0;
    if (cut == hi) break;
    if (*cut != v) continue;
    const double gap = std::abs(2 * prefix - total);
    if (best < 0 || gap < best_gap) {
      best = v;
      best_gap = gap;
    }
    ++cut;
  }
  return best;
}

}  // namespace

void make_feasible(SearchState& s, const Transforms& t, const OptimiserConfig& config) {
  s.evaluate();
  s.commit();
  for (int p = 0; p < s.partition_count(); ++p)
    if (!s.partition_metrics(p).fits()) allocate_memory(s, p, config);
  const bool can_split = config.partition.apply && config.partition.allow_split;
  for (int p = 0; p < s.partition_count();) {
    if (s.partition_metrics(p).fits()) {
      ++p;
      continue;
    }
    const int cut = can_split ? balanced_cut(s, t, p) : -1;
    if (cut < 0) {
      const hw::PartitionMetrics& m = s.partition_metrics(p);
      const hw::Utilisation& u = m.utilisation;
      std::string what = s.partitions()[p].nodes.size() == 1 ? "layer '" + s.network().names[s.partitions()[p].nodes[0]] + "'"
                                                              : "partition " + std::to_string(p) + " (layers '" +
                                                                    s.network().names[s.partitions()[p].nodes.front()] +
                                                                    "' .. '" + s.network().names[s.partitions()[p].nodes.back()] + "')";
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    " does not fit the platform even with folding 1 (utilisation DSP %.2f, LUT %.2f, FF %.2f, BRAM %.2f, "
                    "URAM %.2f, bandwidth %.2f; allowed %.2f)%s",
                    u.dsp, u.lut, u.ff, u.bram, u.uram, u.bandwidth, config.resource_allocation,
                    can_split ? "" : "; enable the partition transform to split the network");
      throw InputError("platform " + s.platform().name, what + buf);
    }
    s.split(p, cut);
    s.evaluate();
    s.commit();
    allocate_memory(s, p, config);
    allocate_memory(s, p + 1, config);
  }
  s.evaluate();
  s.commit();
}

}  // namespace sparsedse::dse
