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
  // sequential: Σ partition cycles; pipelined: int(max_p stage_cycles_p + Σ_p PD_p) (§4.7).
  std::int64_t cycles = 0;
  double reconfiguration_s = 0.0;  // sequential: 0 for one partition, else P·t (or (P−1)·t, Q11); pipelined: 0
  double ethernet_s = 0.0;         // pipelined: (P−1)·ethernet.latency, one hop between consecutive FPGAs
  double latency_s = 0.0;          // cycles / f + reconfiguration + ethernet
  double throughput = 0.0;         // images per second = batch / latency (the optimiser's objective)
  // Images per second once a stream of batches fills the pipeline: batch·f / max_p stage_cycles_p
  // (pipelined; informative, not optimised); = throughput when sequential.
  double steady_throughput = 0.0;
  int partitions = 0;
  bool fits = false;               // every partition meets its constraints (pipelined: also Ethernet)
};

// §4.7. `sequential`: one FPGA, reconfigured between partitions. `pipelined`: one FPGA per partition,
// partitions overlap on consecutive batches' images, linked by Ethernet. Pipelined mode needs the
// platform's ethernet section (InputError naming the platform file and the missing field).
NetworkMetrics network_metrics(const std::vector<PartitionMetrics>& partitions, int batch_size,
                               const Platform& platform, const ModelOptions& options);
// Throws the InputError of network_metrics up front when the options need what the platform lacks.
void check_platform_for(const Platform& platform, const ModelOptions& options);

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
