#pragma once
// The solvers (model.md §7.4–§7.6) on a SearchState. Each leaves the state committed.
#include <cstdint>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/dse/state.hpp"
#include "sparsedse/dse/transforms.hpp"

namespace sparsedse::dse {

// What a solver did (for benchmarks and logs; never written into a design file).
struct SolverStats {
  std::int64_t moves = 0;        // transforms applied
  std::int64_t evaluations = 0;  // partition evaluations
  std::int64_t accepted = 0;     // SA: chains kept
  std::int64_t infeasible = 0;   // SA: chains rejected for resources or bandwidth
  std::int64_t temperature_steps = 0;
  SolverStats& operator+=(const SolverStats& o);
};

// Where BRAM beyond `ram_usage` goes when both are enabled: into LUTRAM (§6.7's trade, the spec's
// allocate_memory), or off-chip while the bandwidth budget lasts, the rest into LUTRAM.
enum class BramOverflow { lutram, off_chip };

// §7.5 allocate_memory for partition p: reset streaming and URAM, balance BRAM against URAM by
// moving the largest weight memories, stream weights / line buffers / merge FIFOs off-chip while
// on-chip RAM is over `ram_usage` (best RAM saved per bandwidth first), and set the slow-down factor
// when off-chip bandwidth is exceeded.
void allocate_memory(SearchState& state, int p, const OptimiserConfig& config,
                     BramOverflow overflow = BramOverflow::lutram);

// allocate_memory, and when partition p then does not fit, again with BramOverflow::off_chip: LUTRAM
// takes LUTs the compute needs (folding 1 on ResNet-50 already fills the LUT allocation with it),
// streaming only bandwidth. How the greedy and rule-based solvers re-allocate after a step that does not
// fit as is. Whether p fits afterwards (evaluated, not committed).
bool reallocate_to_fit(SearchState& state, int p, const OptimiserConfig& config);

// Make every partition fit: allocate memory, then split partitions that still do not fit at the
// allowed cut nearest their weight midpoint (if partitioning is enabled). Throws InputError naming
// the layer when a single layer does not fit the platform even with folding 1.
void make_feasible(SearchState& state, const Transforms& transforms, const OptimiserConfig& config);

// §7.6 rule-based solver ("raise the slowest node"): per partition, repeatedly move the slowest node
// to the cheapest feasible folding with a larger product (of the first two feasible products, the one
// with the lowest mean utilisation), then merge adjacent partitions while the cost improves.
void rule_solver(SearchState& state, const Transforms& transforms, const OptimiserConfig& config,
                 SolverStats* stats = nullptr);

// §7.5 greedy partition solver (the default inside the thresholding loop).
void greedy_solver(SearchState& state, const Transforms& transforms, const OptimiserConfig& config,
                   SolverStats* stats = nullptr);

// §7.4 simulated annealing, one chain from the state's current design (made feasible first by up to
// `start_loop` random moves). Returns the best design seen; the state is left at the last one.
SearchState::Snapshot anneal(SearchState& state, const Transforms& transforms, const OptimiserConfig& config,
                             std::uint64_t seed, SolverStats* stats = nullptr);

// Random search with the same moves: `moves` random transforms from the start, keeping every
// feasible result and remembering the best (the baseline the annealer must beat).
SearchState::Snapshot random_search(SearchState& state, const Transforms& transforms, std::int64_t moves,
                                    std::uint64_t seed);

}  // namespace sparsedse::dse
