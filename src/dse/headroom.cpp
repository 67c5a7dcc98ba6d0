#include "sparsedse/dse/headroom.hpp"

#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/dse/state.hpp"

namespace sparsedse::dse {

namespace {

// A refolded layer can deepen the pipeline (a wider stream adapter, a sparse layer's longer fill, deeper
// merge FIFOs), so a step may cost up to this fraction of the design's own throughput, for a ceiling
// typically a third higher (ResNet-18 threshold-0 designs: 2e-7 and 8.6e-4 of throughput).
constexpr double kCostTolerance = 1e-3;

// Both views of one design: on its own statistics and on the limit's. Foldings change in both.
struct Views {
  SearchState own, limit;

  void set_folding(int v, const hw::Folding& f) {
    own.set_folding(v, f);
    limit.set_folding(v, f);
  }
};

// Moves layer v to the coarse_in × coarse_out split ranked first by (multipliers if `grow`; latency on
// the limit; latency on the design's own statistics) among: without `grow`, the splits of no larger
// product than v's; with `grow`, the larger ones that are faster on the limit. Applied to both views;
// v stays as it is when no split qualifies.
void best_split(Views& s, int v, bool grow) {
  const hw::Folding current = s.own.layer(v).folding;
  const hw::FoldingSpace& space = s.own.feasible_folding(v);
  const std::int64_t product = std::int64_t{current.coarse_in} * current.coarse_out;
  const std::int64_t before = s.limit.layer_metrics(v).latency;
  using Rank = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
  hw::Folding best = current;
  Rank best_rank = grow ? Rank{INT64_MAX, 0, 0} : Rank{0, before, s.own.layer_metrics(v).latency};
  for (int cin : space.coarse_in)
    for (int cout : space.coarse_out) {
      const std::int64_t p = std::int64_t{cin} * cout;
      if (grow ? p <= product : p > product) continue;
      const hw::Folding f{cin, cout, current.coarse_group, current.fine};
      s.set_folding(v, f);
      const Rank rank{grow ? p : 0, s.limit.layer_metrics(v).latency, s.own.layer_metrics(v).latency};
      if ((!grow || std::get<1>(rank) < before) && rank < best_rank) {
        best = f;
        best_rank = rank;
      }
    }
  s.set_folding(v, best);
}

// Make layer v faster on the limit statistics, at the smallest price: a DSP-free layer takes its next
// coarse factor (LUTs only); a weighted one its best split of no more multipliers, in its own mode or,
// for a dense layer that has statistics, in the sparse mode (which skips the windows thresholds empty);
// failing both (a convolution reading the image, which no threshold sparsifies), the fewest extra
// multipliers that make it faster, spare ones of the allocation (the step is kept only if the design
// still fits). Returns whether v got faster; otherwise v is left as it was.
bool speed_up_on_limit(Views& s, int v) {
  const hw::HwLayer& l = s.own.layer(v);
  const hw::Folding current = l.folding;
  const std::int64_t before = s.limit.layer_metrics(v).latency;
  const auto faster = [&] { return s.limit.layer_metrics(v).latency < before; };
  if (!hw::is_weighted(l.kind)) {
    for (int c : s.own.feasible_folding(v).coarse_in)
      if (c > current.coarse_in) {
        s.set_folding(v, {c, c, 1, current.fine});
        return true;
      }
    return false;
  }
  best_split(s, v, false);
  if (faster()) return true;
  s.set_folding(v, current);
  if (!hw::is_sparse(l.kind) && s.own.mode_option(v).available && s.limit.mode_option(v).available) {
    s.own.toggle_mode(v);
    s.limit.toggle_mode(v);
    best_split(s, v, false);
    if (faster()) return true;
    s.own.toggle_mode(v);
    s.limit.toggle_mode(v);
    s.set_folding(v, current);
  }
  best_split(s, v, true);
  return faster();
}

}  // namespace

Design add_headroom(const Design& design, const ir::Graph& graph, const ir::Graph& limit) {
  const Design at_limit = evaluate(design, limit);
  Views s{SearchState(design, mode_table(graph, design.network, design.options)),
          SearchState(at_limit, mode_table(limit, at_limit.network, at_limit.options))};
  s.own.evaluate();
  s.limit.evaluate();
  s.own.commit();
  s.limit.commit();
  for (int p = 0; p < s.own.partition_count(); ++p) {
    for (int guard = 0; guard < 1000; ++guard) {
      const std::int64_t interval = s.limit.partition_metrics(p).interval;
      const double cost = s.own.cost();
      bool moved = false;
      for (int v : s.own.partitions()[p].nodes) {
        if (s.limit.layer_metrics(v).latency < interval) continue;  // not holding the interval
        moved = speed_up_on_limit(s, v) || moved;
      }
      s.own.evaluate();
      s.limit.evaluate();
      const bool better = moved && s.limit.partition_metrics(p).interval < interval && s.own.feasible() &&
                          s.own.cost() <= cost + kCostTolerance * std::abs(cost);
      if (!better) {
        s.own.rollback();
        s.limit.rollback();
        break;
      }
      s.own.commit();
      s.limit.commit();
    }
  }
  return s.own.design();
}

}  // namespace sparsedse::dse
