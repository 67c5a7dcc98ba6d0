// Simulated annealing (model.md §7.4) and the random-search baseline.
#include <cmath>

#include "random.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/dse/solvers.hpp"

namespace sparsedse::dse {

namespace {

// §7.4 step 1: random transforms until the state fits, or fail.
void reach_feasible(SearchState& s, const Transforms& t, int start_loop, Rng& rng, SolverStats& stats) {
  s.evaluate();
  s.commit();
  for (int i = 0; i < start_loop && !s.feasible(); ++i) {
    if (t.apply_random(s, rng)) ++stats.moves;
    s.evaluate();
    ++stats.evaluations;
    s.commit();
  }
  if (!s.feasible())
    throw InputError("platform " + s.platform().name,
                     "simulated annealing found no design that fits after " + std::to_string(start_loop) +
                         " random moves (annealing.start_loop); try the rule or greedy solver, a larger "
                         "resource_allocation, or enabling the partition transform");
}

// The annealer's energy: the cost plus the resource term of Annealing::resource_weight.
double energy(const SearchState& s, double weight) {
  if (weight <= 0) return s.cost();
  double util = 0;
  for (int p = 0; p < s.partition_count(); ++p) {
    const hw::Utilisation& u = s.partition_metrics(p).utilisation;
    util += 0.25 * (u.lut + u.ff + u.dsp + u.bram);
  }
  return s.cost() + std::abs(s.cost()) * weight * util / s.partition_count();
}

}  // namespace

SearchState::Snapshot anneal(SearchState& s, const Transforms& t, const OptimiserConfig& config, std::uint64_t seed,
                             SolverStats* out) {
  SolverStats stats;
  Rng rng(seed);
  const Annealing& a = config.annealing;
  reach_feasible(s, t, a.start_loop, rng, stats);

  SearchState::Snapshot best;
  s.save(best);
  // Cost scale of the Metropolis test: cost units (faithful), or relative to the start (Q13 option).
  const double scale = a.normalise_cost ? std::max(std::abs(s.cost()), 1e-300) : 1.0;
  int rejected = 0;
  double best_energy = energy(s, a.resource_weight);
  for (double T = a.T; T > a.T_min;) {
    const double cost = energy(s, a.resource_weight);
    for (int i = 0; i < a.iterations; ++i)
      if (t.apply_random(s, rng)) ++stats.moves;
    s.evaluate();
    ++stats.evaluations;
    if (!s.feasible()) {  // restore and continue without cooling (faithful, Q13)
      s.rollback();
      ++stats.infeasible;
      if (++rejected >= a.max_rejected_chains) break;
      continue;
    }
    rejected = 0;
    const double next = energy(s, a.resource_weight);
    const double keep = std::exp(std::min(0.0, (cost - next) / scale / (a.k * T)));
    if (next < cost || keep >= uniform01(rng)) {
      s.commit();
      ++stats.accepted;
    } else {
      s.rollback();
    }
    // Best by cost; among equal costs the lower energy (fewer resources).
    const double e = energy(s, a.resource_weight);
    if (s.cost() < best.cost || (s.cost() == best.cost && e < best_energy)) {
      s.save(best);
      best_energy = e;
    }
    T *= a.cool;
    ++stats.temperature_steps;
  }
  if (out) *out += stats;
  return best;
}

SearchState::Snapshot random_search(SearchState& s, const Transforms& t, std::int64_t moves, std::uint64_t seed) {
  Rng rng(seed);
  SolverStats stats;
  reach_feasible(s, t, 1000, rng, stats);
  SearchState::Snapshot best;
  s.save(best);
  for (std::int64_t i = 0; i < moves; ++i) {
    t.apply_random(s, rng);
    s.evaluate();
    if (!s.feasible()) {
      s.rollback();
      continue;
    }
    s.commit();
    if (s.cost() < best.cost) s.save(best);
  }
  return best;
}

}  // namespace sparsedse::dse
