#pragma once
// Whole-design evaluation with incremental re-evaluation (model.md §4.6, §4.7): layer metrics are
// cached per layer, so a folding change costs one evaluate_layer plus one partition aggregation,
// with no allocation.
#include <vector>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/network.hpp"
#include "sparsedse/hw/options.hpp"
#include "sparsedse/hw/partition.hpp"
#include "sparsedse/hw/platform.hpp"

namespace sparsedse::hw {

struct NetworkMetrics {
  std::int64_t cycles = 0;         // Σ partition cycles
  double reconfiguration_s = 0.0;  // 0 for one partition, else P·t (or (P−1)·t, Q11)
  double latency_s = 0.0;          // cycles / f + reconfiguration
  double throughput = 0.0;         // images per second = batch / latency
  int partitions = 0;
  bool fits = false;               // every partition meets its constraints
};

// Sequential execution on one FPGA, reconfigured between partitions (§4.7).
NetworkMetrics network_metrics(const std::vector<PartitionMetrics>& partitions, int batch_size,
                               const Platform& platform, const ModelOptions& options);

class Evaluator {
 public:
  // `network` must outlive the evaluator; change its layers, then call refresh_layer.
  Evaluator(const Network& network, Platform platform, ModelOptions options);

  void refresh_layer(int layer) { metrics_[layer] = evaluate_layer(network_->layers[layer], options_); }
  void refresh_all();
  const LayerMetrics& layer(int i) const { return metrics_[i]; }
  const std::vector<LayerMetrics>& layers() const { return metrics_; }

  // Partition structures: rebuild after a membership change (split / merge), not after folding.
  void set_partitions(const std::vector<Partition>& partitions);
  void rebuild_partition(int index, const Partition& partition);
  const PartitionMetrics& evaluate_partition(int index, const Partition& partition);
  const PartitionModel& partition_model(int index) const { return models_[index]; }

  // Evaluates every partition (structures must match `partitions`).
  NetworkMetrics evaluate(const std::vector<Partition>& partitions);
  const std::vector<PartitionMetrics>& partition_metrics() const { return partition_metrics_; }

  const Network& network() const { return *network_; }
  const Platform& platform() const { return platform_; }
  const ModelOptions& options() const { return options_; }

 private:
  const Network* network_;
  Platform platform_;
  ModelOptions options_;
  std::vector<LayerMetrics> metrics_;
  std::vector<PartitionModel> models_;
  std::vector<PartitionMetrics> partition_metrics_;
};

// One partition holding the whole network.
Partition whole_network_partition(const Network& network, int batch_size);

}  // namespace sparsedse::hw
