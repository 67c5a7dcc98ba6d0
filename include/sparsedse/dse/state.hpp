#pragma once
// The search state of the optimiser: a design under change with incremental evaluation and undo.
// A folding change re-evaluates one layer and its partition (no allocation); every change since the
// last commit() is journaled, so rollback() restores the exact previous state (model.md §7.4 snapshot).
#include <cstdint>
#include <memory>
#include <vector>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/hw/evaluator.hpp"

namespace sparsedse::dse {

// Per layer: the dense and sparse kinds a weighted layer with statistics can switch between.
struct ModeOption {
  bool available = false;
  hw::LayerKind dense = hw::LayerKind::convolution;
  hw::LayerKind sparse = hw::LayerKind::convolution_sparse;
  std::shared_ptr<const hw::SparseProfile> profile;  // used in the sparse kind
};
using ModeTable = std::vector<ModeOption>;  // indexed by network layer; may be empty

class SearchState {
 public:
  // `design` must have consistent partitions (contiguous, ascending, covering the network).
  SearchState(Design design, ModeTable modes = {});

  // Current design with its derived fields filled.
  Design design() const;

  // Evaluated state (call evaluate() after mutations; the solvers do).
  void evaluate();
  double cost() const { return cost_; }
  bool feasible() const { return metrics_.fits; }
  Objective objective() const { return design_.objective; }
  const hw::NetworkMetrics& metrics() const { return metrics_; }
  const hw::PartitionMetrics& partition_metrics(int p) const { return partition_metrics_[p]; }
  const hw::LayerMetrics& layer_metrics(int v) const { return layer_metrics_[v]; }
  const hw::PartitionModel& partition_model(int p) const { return models_[p]; }
  const hw::Network& network() const { return design_.network; }
  const std::vector<hw::Partition>& partitions() const { return design_.partitions; }
  const hw::HwLayer& layer(int v) const { return design_.network.layers[v]; }
  const hw::FoldingSpace& feasible_folding(int v) const { return design_.network.feasible[v]; }
  const hw::Platform& platform() const { return design_.platform; }
  const hw::ModelOptions& options() const { return design_.options; }
  int partition_of(int v) const { return partition_of_[v]; }
  int size() const { return design_.network.size(); }
  int partition_count() const { return static_cast<int>(design_.partitions.size()); }
  const ModeOption& mode_option(int v) const;

  // Mutations, journaled until commit() / rollback(). Each keeps the design legal when its
  // argument is legal (a feasible folding, a feasible factor, an allowed cut).
  void set_folding(int v, const hw::Folding& folding);
  void set_memory(int v, bool use_uram, int stream_weights);
  void set_stream_input(int v, int port, bool streamed);  // also sets the producer's stream_outputs
  void toggle_mode(int v);                                // dense <-> sparse (fine clamped, §7.3 fix_coarse)
  void set_weights_reloading(int p, int wr);              // wr ∈ weights_reloading_options(p)
  void set_slow_down(int p, double factor);
  void split(int p, int last_of_first);  // the first part ends with layer `last_of_first`
  void merge(int p);                     // p with p + 1
  // Feasible weights-reloading factors of partition p (ascending; {1} without a WR layer).
  std::vector<int> weights_reloading_options(int p) const;
  int weights_reloading_layer(int p) const { return design_.partitions[p].wr_layer; }

  // Undo points. A checkpoint is taken on an evaluated state; rollback_to() restores that state
  // exactly (metrics included); checkpoints nest. commit() forgets the journal, rollback() returns to
  // the last commit.
  struct Checkpoint {
    std::size_t journal = 0;
    std::uint64_t epoch = 0;
  };
  Checkpoint checkpoint();
  void rollback_to(const Checkpoint& checkpoint);
  void commit();
  void rollback() { rollback_to(committed_); }
  bool dirty() const { return !journal_.empty(); }

  // A compact copy of the inputs (layers and partitions) for remembering the best design.
  struct Snapshot {
    std::vector<hw::HwLayer> layers;
    std::vector<hw::Partition> partitions;
    double cost = 0.0;
    bool feasible = false;
  };
  void save(Snapshot& snapshot) const;
  void restore(const Snapshot& snapshot);  // rebuilds everything; clears the journal
  Design design_of(const Snapshot& snapshot) const;

 private:
  struct LayerUndo {
    int v;
    hw::HwLayer layer;
    hw::LayerMetrics metrics;
    bool shape;  // the feasible sets must be refreshed on undo
    bool mode;   // the mode alternative was swapped
  };
  struct PartitionUndo {
    enum class Kind { split, merge, update } kind;
    int p;
    hw::Partition first, second;
    hw::PartitionMetrics first_metrics, second_metrics;
    hw::PartitionModel first_model, second_model;
    std::uint64_t first_saved = 0, second_saved = 0;  // saved_epoch_ of the partitions before
  };
  PartitionUndo& push_partition_undo(PartitionUndo::Kind kind, int p);
  struct Entry {
    enum class Type { layer, partition, metrics } type;
    int index;
  };

  void touch_layer(int v, bool shape = false, bool mode = false);
  void refresh_layer(int v);
  void clamp_streaming(int v);
  void mark(int p);
  void reindex();
  void rebuild_all();
  void find_wr_layer(int p);

  Design design_;
  ModeTable modes_;
  std::vector<hw::FoldingSpace> alt_feasible_;  // feasible sets of the other mode
  std::vector<hw::LayerMetrics> layer_metrics_;
  std::vector<hw::PartitionModel> models_;
  std::vector<hw::PartitionMetrics> partition_metrics_;
  std::vector<char> partition_dirty_;
  std::vector<int> partition_of_;
  hw::NetworkMetrics metrics_;
  double cost_ = 0.0;

  std::vector<Entry> journal_;
  std::vector<LayerUndo> layer_undo_;
  std::vector<PartitionUndo> partition_undo_;
  struct MetricsUndo {
    int p;
    hw::PartitionMetrics metrics;
    std::uint64_t saved;  // saved_epoch_[p] before this entry
  };
  std::vector<MetricsUndo> metrics_undo_;
  std::vector<std::uint64_t> saved_epoch_;  // epoch in which a partition's metrics were last journaled
  std::uint64_t epoch_ = 1, epochs_ = 1;
  Checkpoint committed_;
};

}  // namespace sparsedse::dse
