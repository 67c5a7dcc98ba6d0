// Network metrics and the incremental evaluator (model.md §4.7).
#include "sparsedse/hw/evaluator.hpp"

#include <numeric>

namespace sparsedse::hw {

NetworkMetrics network_metrics(const std::vector<PartitionMetrics>& partitions, int batch_size,
                               const Platform& platform, const ModelOptions& options) {
  NetworkMetrics n;
  n.partitions = static_cast<int>(partitions.size());
  n.fits = true;
  for (const PartitionMetrics& p : partitions) {
    n.cycles += p.cycles;
    n.fits = n.fits && p.fits();
  }
  if (n.partitions > 1) {
    const int count = options.reconf_count == ReconfCount::p ? n.partitions : n.partitions - 1;
    n.reconfiguration_s = count * platform.reconfiguration_time_s;
  }
  n.latency_s = static_cast<double>(n.cycles) / (platform.clock_mhz * 1e6) + n.reconfiguration_s;
  n.throughput = n.latency_s > 0 ? batch_size / n.latency_s : 0.0;
  return n;
}

Evaluator::Evaluator(const Network& network, Platform platform, ModelOptions options)
    : network_(&network), platform_(std::move(platform)), options_(std::move(options)) {
  refresh_all();
}

void Evaluator::refresh_all() {
  metrics_.resize(network_->layers.size());
  for (int i = 0; i < network_->size(); ++i) refresh_layer(i);
}

void Evaluator::set_partitions(const std::vector<Partition>& partitions) {
  models_.resize(partitions.size());
  partition_metrics_.resize(partitions.size());
  for (std::size_t i = 0; i < partitions.size(); ++i) models_[i].rebuild(*network_, partitions[i]);
}

void Evaluator::rebuild_partition(int index, const Partition& partition) {
  if (index >= static_cast<int>(models_.size())) {
    models_.resize(index + 1);
    partition_metrics_.resize(index + 1);
  }
  models_[index].rebuild(*network_, partition);
}

const PartitionMetrics& Evaluator::evaluate_partition(int index, const Partition& partition) {
  partition_metrics_[index] = models_[index].evaluate(*network_, partition, metrics_, platform_, options_);
  return partition_metrics_[index];
}

NetworkMetrics Evaluator::evaluate(const std::vector<Partition>& partitions) {
  for (std::size_t i = 0; i < partitions.size(); ++i) evaluate_partition(static_cast<int>(i), partitions[i]);
  const int batch = partitions.empty() ? 1 : partitions.front().batch_size;
  return network_metrics(partition_metrics_, batch, platform_, options_);
}

Partition whole_network_partition(const Network& network, int batch_size) {
  Partition p;
  p.nodes.resize(network.layers.size());
  std::iota(p.nodes.begin(), p.nodes.end(), 0);
  p.batch_size = batch_size;
  return p;
}

}  // namespace sparsedse::hw
