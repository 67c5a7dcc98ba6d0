// Rule-based solver (model.md §7.6, SAMO `rule.py`): raise the slowest node.
#include <algorithm>
#include <tuple>

#include "sparsedse/dse/solvers.hpp"

namespace sparsedse::dse {

namespace {

std::int64_t product(const hw::Folding& f, bool weighted) {
  return weighted ? std::int64_t{f.coarse_in} * f.coarse_out * f.coarse_group * f.fine : f.coarse_in;
}

double mean_utilisation(const hw::PartitionMetrics& m) {  // SAMO avg_rsc_util
  const hw::Utilisation& u = m.utilisation;
  return 0.25 * (u.bram + u.dsp + u.lut + u.ff);
}

struct Candidate {
  std::int64_t product;
  bool toggle;  // ours: switch dense <-> sparse as well (layers with statistics)
  hw::Folding folding;
};

void add_larger(const hw::FoldingSpace& f, bool weighted, bool toggle, std::int64_t current,
                std::vector<Candidate>& out) {
  if (!weighted) {
    for (int c : f.coarse_in)
      if (c > current) out.push_back({c, toggle, hw::Folding{c, c, 1, 1}});
    return;
  }
  for (int cg : f.coarse_group)
    for (int cin : f.coarse_in)
      for (int cout : f.coarse_out)
        for (int fine : f.fine) {
          const hw::Folding folding{cin, cout, cg, fine};
          const std::int64_t prod = product(folding, true);
          if (prod > current) out.push_back({prod, toggle, folding});
        }
}

// Foldings of layer v with a larger product than the current one (in either mode when the layer
// has statistics), by product, then lexicographic.
std::vector<Candidate> larger_foldings(const SearchState& s, int v, const hw::FoldingSpace* other) {
  const hw::HwLayer& l = s.layer(v);
  const bool weighted = hw::is_weighted(l.kind);
  const std::int64_t current = product(l.folding, weighted);
  std::vector<Candidate> out;
  add_larger(s.feasible_folding(v), weighted, false, current, out);
  if (other) add_larger(*other, weighted, true, current, out);
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    const hw::Folding &x = a.folding, &y = b.folding;
    return std::tie(a.product, x.fine, x.coarse_out, x.coarse_in, x.coarse_group, a.toggle) <
           std::tie(b.product, y.fine, y.coarse_out, y.coarse_in, y.coarse_group, b.toggle);
  });
  return out;
}

// The layer to raise when partition p's bottleneck is a Squeeze: the side with fewer streams.
int squeeze_neighbour(const SearchState& s, int p) {
  std::int64_t worst = -1;
  int node = -1;
  for (const hw::SqueezeSite& site : s.partition_model(p).squeezes()) {
    const hw::LayerMetrics m = hw::evaluate_layer(site.layer, s.options());
    if (m.latency <= worst) continue;
    worst = m.latency;
    if (site.where == hw::SqueezeSite::Where::edge) {
      const hw::HwEdge& e = s.network().edges[site.edge];
      node = site.coarse_in <= site.coarse_out ? e.from : e.to;
    } else {
      node = site.node;
    }
  }
  return node;
}

void apply(SearchState& s, int v, const Candidate& c) {
  if (c.toggle) s.toggle_mode(v);
  s.set_folding(v, c.folding);
}

// One step for partition p: raise its slowest node. Returns false when it cannot be raised.
bool raise_slowest(SearchState& s, int p, const OptimiserConfig& config, SolverStats& stats) {
  const hw::PartitionMetrics& m = s.partition_metrics(p);
  const int v = m.bottleneck >= 0 ? m.bottleneck : squeeze_neighbour(s, p);
  if (v < 0) return false;
  const std::int64_t latency = s.layer_metrics(v).latency;
  hw::FoldingSpace other;
  if (s.mode_option(v).available) {
    hw::HwLayer l = s.layer(v);
    l.kind = hw::is_sparse(l.kind) ? s.mode_option(v).dense : s.mode_option(v).sparse;
    other = hw::feasible_folding(l);
  }
  const std::vector<Candidate> candidates = larger_foldings(s, v, s.mode_option(v).available ? &other : nullptr);
  const SearchState::Checkpoint cp = s.checkpoint();

  // Evaluate in increasing product order until two distinct feasible products are found.
  std::int64_t products[2] = {0, 0};
  int found = 0;
  int best = -1;
  double best_util = 0.0;
  int ram_bound = -1;  // the first faster candidate that fails only on on-chip RAM
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    if (found == 2 && c.product != products[1]) break;  // a third product starts
    apply(s, v, c);
    s.evaluate();
    ++stats.moves;
    ++stats.evaluations;
    const hw::PartitionMetrics& n = s.partition_metrics(p);
    const bool faster = s.layer_metrics(v).latency < latency;
    const bool fits = n.fits();
    const double util = mean_utilisation(n);
    // Fails only on on-chip RAM: LUTs are judged before the BRAM→LUT trade (§6.7), which may be undone.
    const double raw_lut = static_cast<double>(n.resources_raw.lut) / static_cast<double>(s.platform().usable.lut);
    const bool ram_only = !fits && n.utilisation.dsp <= config.resource_allocation && raw_lut <= config.resource_allocation &&
                          n.utilisation.ff <= config.resource_allocation;
    s.rollback_to(cp);
    if (!faster) continue;
    if (fits) {
      if (found == 0 || c.product != products[found - 1]) products[found++] = c.product;
      if (best < 0 || util < best_util) {
        best = static_cast<int>(i);
        best_util = util;
      }
    } else if (ram_only && ram_bound < 0) {
      ram_bound = static_cast<int>(i);
    }
  }
  if (best >= 0) {
    apply(s, v, candidates[best]);
    s.evaluate();
    s.commit();
    return true;
  }
  // Nothing fits as is: a candidate that only lacks on-chip RAM may fit after re-allocating memory.
  if (ram_bound >= 0) {
    apply(s, v, candidates[ram_bound]);
    const bool fits = reallocate_to_fit(s, p, config);
    stats.evaluations += 1;
    if (fits && s.layer_metrics(v).latency < latency) {
      s.commit();
      return true;
    }
    s.rollback_to(cp);
  }
  return false;
}

// Raise the slowest node of p until it cannot be raised; the best design seen is kept.
void raise_partition(SearchState& s, int p, const OptimiserConfig& config, SolverStats& stats) {
  s.evaluate();
  s.commit();
  if (!s.partition_metrics(p).fits()) return;
  SearchState::Snapshot best;
  s.save(best);
  bool improved_since = false;
  while (raise_slowest(s, p, config, stats)) {
    if (s.feasible() && s.cost() < best.cost) {
      s.save(best);
      improved_since = false;
    } else {
      improved_since = true;
    }
  }
  if (improved_since && best.cost < s.cost()) s.restore(best);
}

}  // namespace

void rule_solver(SearchState& s, const Transforms& t, const OptimiserConfig& config, SolverStats* out) {
  SolverStats stats;
  make_feasible(s, t, config);
  for (int p = 0; p < s.partition_count(); ++p) raise_partition(s, p, config, stats);

  // Merge adjacent partitions greedily, slowest first, while the cost improves (§7.6).
  if (config.partition.apply && config.partition.allow_merge) {
    std::vector<std::pair<int, int>> rejected;  // (first node of p, first node of p+1)
    for (bool merged = true; merged && s.partition_count() > 1;) {
      merged = false;
      std::vector<int> order(s.partition_count() - 1);
      for (int p = 0; p + 1 < s.partition_count(); ++p) order[p] = p;
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return s.partition_metrics(a).cycles + s.partition_metrics(a + 1).cycles >
               s.partition_metrics(b).cycles + s.partition_metrics(b + 1).cycles;
      });
      for (int p : order) {
        const std::pair<int, int> key{s.partitions()[p].nodes.front(), s.partitions()[p + 1].nodes.front()};
        if (std::find(rejected.begin(), rejected.end(), key) != rejected.end()) continue;
        SearchState::Snapshot before;
        s.save(before);
        const double cost = s.cost();
        s.merge(p);
        for (int v : s.partitions()[p].nodes) {  // start the merged partition from folding 1
          const hw::HwLayer& l = s.layer(v);
          s.set_folding(v, hw::Folding{1, 1, 1, hw::is_convolution(l.kind) ? s.feasible_folding(v).fine.front() : 1});
        }
        s.evaluate();
        s.commit();
        allocate_memory(s, p, config);
        raise_partition(s, p, config, stats);
        if (s.feasible() && s.cost() < cost) {
          merged = true;
          break;
        }
        s.restore(before);
        rejected.push_back(key);
      }
    }
  }
  s.evaluate();
  s.commit();
  if (out) *out += stats;
}

}  // namespace sparsedse::dse
