// Network metrics and the incremental evaluator (model.md §4.7).
#include "sparsedse/hw/evaluator.hpp"

#include <algorithm>
#include <numeric>

#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

void check_platform_for(const Platform& platform, const ModelOptions& options) {
  if (options.network_mode != NetworkMode::pipelined) return;
  (void)platform.ethernet_port_width();
  (void)platform.ethernet_latency();
}

NetworkMetrics network_metrics(const std::vector<PartitionMetrics>& partitions, int batch_size,
                               const Platform& platform, const ModelOptions& options) {
  NetworkMetrics n;
  n.partitions = static_cast<int>(partitions.size());
  n.fits = true;
  for (const PartitionMetrics& p : partitions) n.fits = n.fits && p.fits();
  const double hz = platform.clock_mhz * 1e6;
  if (options.network_mode == NetworkMode::pipelined) {
    // cycles = max_p interval_p·B + Σ_p PD_p; with weights reloading a stage also refills and reloads.
    double stage = 0.0, fill = 0.0;
    for (const PartitionMetrics& p : partitions) {
      stage = std::max(stage, p.stage_cycles);
      fill += p.pipeline_depth;
    }
    n.cycles = trunc_int(stage + fill);
    n.ethernet_s = std::max(0, n.partitions - 1) * platform.ethernet_latency();
    n.latency_s = static_cast<double>(n.cycles) / hz + n.ethernet_s;
    n.throughput = n.latency_s > 0 ? batch_size / n.latency_s : 0.0;
    n.steady_throughput = stage > 0 ? batch_size * hz / stage : 0.0;
    return n;
  }
  for (const PartitionMetrics& p : partitions) n.cycles += p.cycles;
  if (n.partitions > 1) {
    const int count = options.reconf_count == ReconfCount::p ? n.partitions : n.partitions - 1;
    n.reconfiguration_s = count * platform.reconfiguration_time_s;
  }
  n.latency_s = static_cast<double>(n.cycles) / hz + n.reconfiguration_s;
  n.throughput = n.latency_s > 0 ? batch_size / n.latency_s : 0.0;
  n.steady_throughput = n.throughput;
  return n;
}

Evaluator::Evaluator(const Network& network, Platform platform, ModelOptions options)
    : network_(&network), platform_(std::move(platform)), options_(std::move(options)) {
  check_platform_for(platform_, options_);
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
