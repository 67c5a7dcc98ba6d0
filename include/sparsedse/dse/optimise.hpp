#pragma once
// The optimiser entry point (model.md §7.1): build the start design from a graph, run a solver, and
// return the best design. Sparsity statistics travel on the graph (ir::Layer::sparsity), attached by
// the caller; dse never reads statistics files itself.
#include <cstdint>
#include <optional>
#include <string_view>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/dse/solvers.hpp"
#include "sparsedse/dse/state.hpp"

namespace sparsedse::dse {

enum class Solver { sa, greedy, rule };
std::string_view to_string(Solver solver);
Solver solver_from_string(std::string_view name);  // "sa" | "greedy" | "rule"; InputError otherwise

constexpr int kMaxChains = 4096;  // the most annealing chains one run accepts (CLI and threshold config)

struct OptimiseOptions {
  Solver solver = Solver::sa;
  int chains = 1;                     // independent SA chains (OpenMP); the best is returned
  std::optional<std::uint64_t> seed;  // overrides annealing.seed
  const Design* warm_start = nullptr; // start from this design's folding, modes and partitions
  // This process runs only chains first_chain, first_chain + chain_stride, … < chains (MPI ranks share
  // the chains out; a chain's seed depends on its index alone, so the union equals a single process).
  int first_chain = 0;
  int chain_stride = 1;
};

struct OptimiseResult {
  Design design;
  SolverStats stats;
  double start_cost = 0.0;  // cost of the design the solver started from (after any warm start)
  int winner_chain = 0;     // SA: the chain index of `design` (the lowest index among equal costs)
};

// The start design of §7.1 step 4: the graph mapped to hardware (dense or sparse by §3.4), folding 1
// (maximum fine with fine.start_complete), one partition (or one per allowed cut with
// partition.start_complete, then the single-layer merges), weights reloading 1 (or the maximum with
// weights_reloading.start_max). Batch size and constraints come from the config.
Design initial_design(const ir::Graph& graph, const hw::Platform& platform, hw::ModelOptions options,
                      const OptimiserConfig& config);

// The dense/sparse alternatives of each layer of `network` (built from `graph`) that has statistics.
ModeTable mode_table(const ir::Graph& graph, const hw::Network& network, const hw::ModelOptions& options);

// The design `start` with the folding, memory placement, dense/sparse modes, partitions and weights
// reloading of `warm` (matched by layer name; the networks must have the same layers in the same
// order). Sparse layers keep `start`'s (new) statistics. Throws InputError if the networks differ.
Design adopt(const Design& warm, Design start, const ModeTable& modes);

OptimiseResult optimise(const ir::Graph& graph, const hw::Platform& platform, const hw::ModelOptions& options,
                        const OptimiserConfig& config, const OptimiseOptions& run = {});

}  // namespace sparsedse::dse
