#pragma once
// Random design transforms of the annealer (model.md §7.3). Every move draws from feasible sets only
// (folding factors, weights-reloading factors, allowed cuts), so the design stays legal; whether it
// still fits the platform is decided by the caller after evaluation.
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/dse/state.hpp"

namespace sparsedse::dse {

using Rng = std::mt19937_64;

enum class Transform {
  coarse, fine, weights_reloading, partition, bram_uram_balancing, off_chip_streaming, sparsity,
  bottleneck,  // ours: the slowest node of a partition, one folding factor up by one feasible step
};
inline constexpr int kTransforms = 8;
std::string_view to_string(Transform transform);

// Horizontal cuts (model.md §2.4, §7.3): the network may be cut after layer i (topological index)
// when exactly one edge crosses the cut, that edge does not enter a multi-input layer (so no cut lies
// inside a parallel region), and its [producer, consumer] kinds match `allowed_partitions` (if any).
std::vector<int> allowed_cuts(const hw::Network& network, const PartitionTransform& settings);

class Transforms {
 public:
  Transforms(const SearchState& state, const OptimiserConfig& config);

  // One move: a transform drawn by its probability, a uniform random partition and a uniform random
  // node of it among those the transform applies to, then a uniform random new value (§7.3).
  // Returns the transform applied, or nothing if the draw found nothing to change.
  std::optional<Transform> apply_random(SearchState& state, Rng& rng) const;

  // The single moves (also used by tests). Each returns false if it changed nothing.
  bool coarse(SearchState& state, int v, Rng& rng) const;
  bool fine(SearchState& state, int v, Rng& rng) const;
  bool weights_reloading(SearchState& state, int p, Rng& rng) const;
  bool partition(SearchState& state, int p, Rng& rng) const;
  bool bram_uram(SearchState& state, int v) const;
  bool off_chip_streaming(SearchState& state, int v, Rng& rng) const;
  bool sparsity(SearchState& state, int v) const;
  bool bottleneck(SearchState& state, int p, Rng& rng) const;

  // Whether the transform can change layer v (node transforms) of the current state.
  bool applies(const SearchState& state, Transform t, int v) const;
  const std::vector<int>& cuts() const { return cuts_; }
  bool enabled(Transform t) const { return weight_[static_cast<int>(t)] > 0; }

 private:
  int pick_node(const SearchState& state, Transform t, int p, Rng& rng) const;
  void reload_after_partition_change(SearchState& state, int p) const;

  OptimiserConfig config_;
  std::vector<int> cuts_;
  std::array<double, kTransforms> weight_{};  // relative draw weights (0 = disabled)
  double total_ = 0.0;
  bool uram_ = false;  // the platform has URAM and balancing is on
};

}  // namespace sparsedse::dse
