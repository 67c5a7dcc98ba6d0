// Greedy partition solver (model.md §7.5, upstream `solvers/greedy_partition.py`).
#include <algorithm>
#include <functional>
#include <tuple>

#include "sparsedse/dse/solvers.hpp"

namespace sparsedse::dse {

namespace {

class Greedy {
 public:
  Greedy(SearchState& s, const Transforms& t, const OptimiserConfig& c, SolverStats& stats)
      : s_(s), t_(t), c_(c), stats_(stats) {}

  void run() {
    make_feasible(s_, t_, c_);
    std::vector<int> all(s_.partition_count());
    for (int p = 0; p < s_.partition_count(); ++p) all[p] = p;
    run_solver(all);
    merge_memory_bound_partitions();
    s_.evaluate();
    s_.commit();
  }

 private:
  // Nodes of p by layer latency, descending (stable: topological order among equals).
  std::vector<int> by_latency(int p) const {
    std::vector<int> nodes = s_.partitions()[p].nodes;
    std::stable_sort(nodes.begin(), nodes.end(),
                     [&](int a, int b) { return s_.layer_metrics(a).latency > s_.layer_metrics(b).latency; });
    return nodes;
  }

  double slowed_interval(int p) const {
    return static_cast<double>(s_.partition_metrics(p).interval) * s_.partitions()[p].slow_down_factor;
  }

  // empirical(p, phase) in fast mode: apply the phase until it fails or the result stops fitting.
  bool empirical(int p, const std::function<bool()>& phase) {
    bool any = false;
    for (int guard = 0; guard < 100000; ++guard) {
      const SearchState::Checkpoint cp = s_.checkpoint();
      const double before = slowed_interval(p);
      if (!phase()) {
        s_.rollback_to(cp);
        break;
      }
      ++stats_.moves;
      s_.evaluate();
      const bool fits = reallocate_to_fit(s_, p, c_);
      ++stats_.evaluations;
      if ((c_.off_chip_streaming && slowed_interval(p) > before) || !fits) {
        s_.rollback_to(cp);
        break;
      }
      s_.commit();
      any = true;
    }
    return any;
  }

  // more_fine(threshold): the slowest conv whose next fine gains more than `threshold`.
  bool more_fine(int p, double threshold) {
    for (int v : by_latency(p)) {
      const hw::HwLayer& l = s_.layer(v);
      const std::vector<int>& fines = s_.feasible_folding(v).fine;
      if (!hw::is_convolution(l.kind) || fines.size() < 2) continue;
      const auto next = std::upper_bound(fines.begin(), fines.end(), l.folding.fine);
      if (next == fines.end()) continue;
      const hw::Folding old = l.folding;
      const double old_latency = static_cast<double>(s_.layer_metrics(v).latency);
      hw::Folding f = old;
      f.fine = *next;
      s_.set_folding(v, f);
      if (old_latency / static_cast<double>(s_.layer_metrics(v).latency) > threshold) return true;
      s_.set_folding(v, old);
    }
    return false;
  }

  bool less_weight_reloading(int p) {
    if (s_.weights_reloading_layer(p) < 0) return false;
    const std::vector<int> options = s_.weights_reloading_options(p);
    const auto it = std::lower_bound(options.begin(), options.end(), s_.partitions()[p].wr_factor);
    if (it == options.begin()) return false;
    s_.set_weights_reloading(p, *(it - 1));
    return true;
  }

  // more_coarse: the slowest node's cheapest larger (cg, cin, cout) that lowers its latency.
  bool more_coarse(int p, bool coarse_in_first, bool fix) {
    const bool batched = s_.partitions()[p].batch_size > 1;
    for (int v : by_latency(p)) {
      if (std::find(rejected_.begin(), rejected_.end(), v) != rejected_.end()) continue;
      const hw::HwLayer& l = s_.layer(v);
      const hw::FoldingSpace& f = s_.feasible_folding(v);
      const hw::Folding cur = l.folding;
      const bool weighted = hw::is_weighted(l.kind);
      const std::int64_t current = std::int64_t{cur.coarse_in} * (weighted ? cur.coarse_out : 1) * cur.coarse_group;
      std::vector<hw::Folding> candidates;
      std::int64_t smallest = -1;
      for (int cg : f.coarse_group)
        for (int cin : f.coarse_in)
          for (int cout : weighted ? f.coarse_out : std::vector<int>{cin}) {
            if (!weighted && cout != cin) continue;
            const std::int64_t prod = std::int64_t{cin} * (weighted ? cout : 1) * cg;
            if (prod <= current) continue;
            if (fix && weighted) {
              if (coarse_in_first ? (cout != cur.coarse_out || cin < cur.coarse_in)
                                  : (cin != cur.coarse_in || cout < cur.coarse_out))
                continue;
              if (cg < cur.coarse_group) continue;
            }
            if (smallest >= 0 && prod > smallest) continue;
            if (prod < smallest || smallest < 0) {
              candidates.clear();
              smallest = prod;
            }
            candidates.push_back({cin, cout, cg, cur.fine});
          }
      std::sort(candidates.begin(), candidates.end(), [&](const hw::Folding& a, const hw::Folding& b) {
        return coarse_in_first ? std::tie(a.coarse_out, a.coarse_in, a.coarse_group) <
                                     std::tie(b.coarse_out, b.coarse_in, b.coarse_group)
                               : std::tie(a.coarse_in, a.coarse_out, a.coarse_group) <
                                     std::tie(b.coarse_in, b.coarse_out, b.coarse_group);
      });
      const std::int64_t latency = s_.layer_metrics(v).latency;
      for (const hw::Folding& c : candidates) {
        s_.set_folding(v, c);
        if (s_.layer_metrics(v).latency < latency) return true;
        s_.set_folding(v, cur);
      }
      if (batched) return false;  // with batch > 1 only the slowest node is tried
      rejected_.push_back(v);
    }
    return false;
  }

  double usage(int p, int resource) const {
    const hw::Utilisation& u = s_.partition_metrics(p).utilisation;
    return resource == 0 ? u.dsp : resource == 1 ? u.lut : u.ff;
  }

  // optimise_coarse: trade cin against cout (same product) to lower the bottleneck resource.
  void optimise_coarse(int p) {
    s_.evaluate();
    s_.commit();
    const hw::Utilisation& u = s_.partition_metrics(p).utilisation;
    const int resource = (u.dsp >= u.lut && u.dsp >= u.ff) ? 0 : (u.lut >= u.ff ? 1 : 2);
    auto improve = [&](int v, const std::vector<hw::Folding>& candidates) {
      const std::int64_t cycles = s_.partition_metrics(p).cycles;
      const double use = usage(p, resource);
      const SearchState::Checkpoint cp = s_.checkpoint();
      int best = -1;
      double best_use = use;
      for (std::size_t i = 0; i < candidates.size(); ++i) {
        s_.set_folding(v, candidates[i]);
        s_.evaluate();
        ++stats_.evaluations;
        const bool ok = s_.partition_metrics(p).cycles <= cycles && s_.partition_metrics(p).fits() &&
                        usage(p, resource) < best_use;
        if (ok) {
          best = static_cast<int>(i);
          best_use = usage(p, resource);
        }
        s_.rollback_to(cp);
      }
      if (best >= 0) {
        s_.set_folding(v, candidates[best]);
        s_.evaluate();
        s_.commit();
      }
    };
    for (int v : s_.partitions()[p].nodes) {
      const hw::HwLayer& l = s_.layer(v);
      if (!hw::is_weighted(l.kind)) continue;
      const hw::FoldingSpace& f = s_.feasible_folding(v);
      const std::int64_t prod = std::int64_t{l.folding.coarse_in} * l.folding.coarse_out;
      std::vector<hw::Folding> candidates;
      for (int cin : f.coarse_in)
        for (int cout : f.coarse_out)
          if (std::int64_t{cin} * cout == prod && cin != l.folding.coarse_in)
            candidates.push_back({cin, cout, l.folding.coarse_group, l.folding.fine});
      improve(v, candidates);
    }
    if (resource != 0) {  // DSP does not depend on the coarse split; the others may
      for (int v : s_.partitions()[p].nodes) {
        const hw::HwLayer& l = s_.layer(v);
        if (hw::is_weighted(l.kind)) continue;
        std::vector<hw::Folding> candidates;
        for (int c : s_.feasible_folding(v).coarse_in)
          if (c > l.folding.coarse_in) candidates.push_back({c, c, 1, 1});
        improve(v, candidates);
      }
    }
    allocate_memory(s_, p, c_);
    s_.evaluate();
    s_.commit();
  }

  void optimise_partition(int p) {
    bool sparse = false;
    for (int v : s_.partitions()[p].nodes) sparse = sparse || hw::is_sparse(s_.layer(v).kind);
    const std::vector<double> thresholds = sparse ? std::vector<double>{1.2, 1.01} : std::vector<double>{1.0};
    for (double threshold : thresholds) {
      empirical(p, [&] { return more_fine(p, threshold); });
      empirical(p, [&] { return less_weight_reloading(p); });
      std::vector<int> factors{1};
      if (s_.weights_reloading_layer(p) >= 0) {
        factors = s_.weights_reloading_options(p);
        factors.erase(factors.begin(), std::lower_bound(factors.begin(), factors.end(), s_.partitions()[p].wr_factor));
      }
      for (int wr : factors) {
        if (s_.weights_reloading_layer(p) >= 0) {  // coarse_out may have changed since: still a divisor?
          const std::vector<int> now = s_.weights_reloading_options(p);
          if (!std::binary_search(now.begin(), now.end(), wr)) continue;
        }
        SearchState::Snapshot before;
        s_.save(before);
        const std::int64_t cost = s_.partition_metrics(p).cycles;
        s_.set_weights_reloading(p, wr);
        s_.evaluate();
        s_.commit();
        for (int round = 0; round < 1000; ++round) {
          bool changed = false;
          const bool in_first = false;  // coarse_in_first partitions: none configured
          const std::tuple<bool, bool> phases[4] = {{in_first, false}, {!in_first, true}, {in_first, true}, {!in_first, false}};
          for (const auto& [cin_first, fix] : phases) {
            rejected_.clear();
            changed = empirical(p, [&, cin_first = cin_first, fix = fix] { return more_coarse(p, cin_first, fix); }) || changed;
          }
          if (!changed) break;
          optimise_coarse(p);
        }
        allocate_memory(s_, p, c_);
        s_.evaluate();
        s_.commit();
        if (!s_.partition_metrics(p).fits() || s_.partition_metrics(p).cycles >= cost) s_.restore(before);
        if (c_.objective != Objective::throughput) break;
      }
    }
  }

  void run_solver(const std::vector<int>& parts) {
    for (int p : parts) {
      const hw::Utilisation& u = s_.partition_metrics(p).utilisation;
      if (u.lut > c_.resource_allocation && u.dsp < c_.resource_allocation) {  // complete fine
        for (int v : s_.partitions()[p].nodes)
          if (hw::is_convolution(s_.layer(v).kind)) {
            hw::Folding f = s_.layer(v).folding;
            f.fine = s_.feasible_folding(v).fine.back();
            s_.set_folding(v, f);
          }
      }
      allocate_memory(s_, p, c_);
      s_.evaluate();
      s_.commit();
    }
    for (int p : parts)
      if (s_.partition_metrics(p).fits()) optimise_partition(p);
  }

  // Merge neighbours while the network cost decreases (§7.5 merge_memory_bound_partitions).
  void merge_memory_bound_partitions() {
    if (!c_.partition.apply || !c_.partition.allow_merge) return;
    std::vector<std::pair<int, int>> rejected;  // by the first layers of the two partitions
    for (int guard = 0; guard < 10000 && s_.partition_count() > 1; ++guard) {
      int chosen = -1;
      for (int p = 0; p + 1 < s_.partition_count(); ++p) {
        const std::pair<int, int> key{s_.partitions()[p].nodes.front(), s_.partitions()[p + 1].nodes.front()};
        if (std::find(rejected.begin(), rejected.end(), key) != rejected.end()) continue;
        const std::int64_t cycles = std::max(s_.partition_metrics(p).cycles, s_.partition_metrics(p + 1).cycles);
        if (chosen < 0 || cycles > std::max(s_.partition_metrics(chosen).cycles, s_.partition_metrics(chosen + 1).cycles))
          chosen = p;
      }
      if (chosen < 0) break;
      const std::pair<int, int> key{s_.partitions()[chosen].nodes.front(), s_.partitions()[chosen + 1].nodes.front()};
      SearchState::Snapshot before;
      s_.save(before);
      const double cost = s_.cost();
      s_.merge(chosen);
      for (int v : s_.partitions()[chosen].nodes) {  // reset: coarse and fine 1
        const hw::HwLayer& l = s_.layer(v);
        s_.set_folding(v, hw::Folding{1, 1, 1, hw::is_convolution(l.kind) ? s_.feasible_folding(v).fine.front() : 1});
      }
      allocate_memory(s_, chosen, c_);
      s_.evaluate();
      s_.commit();
      if (s_.partition_metrics(chosen).fits()) run_solver({chosen});
      s_.evaluate();
      s_.commit();
      if (s_.feasible() && s_.cost() < cost) continue;
      s_.restore(before);
      rejected.push_back(key);
    }
  }

  SearchState& s_;
  const Transforms& t_;
  const OptimiserConfig& c_;
  SolverStats& stats_;
  std::vector<int> rejected_;
};

}  // namespace

void greedy_solver(SearchState& s, const Transforms& t, const OptimiserConfig& config, SolverStats* out) {
  SolverStats stats;
  Greedy(s, t, config, stats).run();
  if (out) *out += stats;
}

}  // namespace sparsedse::dse
