#pragma once
// A hardware design: the network's hardware layers with their folding, memory placement and dense or
// sparse mode, cut into partitions with weights reloading, for one platform and batch size, together
// with its evaluated performance (model.md §2.1, §4.6–§4.8, §7.8). The design file is self-contained
// (shapes, edges and the histograms of sparse layers), so a fixed design can be re-evaluated without
// the model (§8.4).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/hw/evaluator.hpp"
#include "sparsedse/hw/network.hpp"
#include "sparsedse/hw/partition.hpp"
#include "sparsedse/hw/platform.hpp"
#include "sparsedse/ir/layer.hpp"

namespace sparsedse::ir {
class Graph;
}

namespace sparsedse::dse {

struct Design {
  std::string model;  // network name
  hw::Platform platform;
  hw::ModelOptions options;
  Objective objective = Objective::throughput;
  int batch_size = 1;
  hw::Network network;                    // weights reloading applied (filters //= wr, §4.8)
  std::vector<hw::Partition> partitions;  // contiguous ranges of the topological order

  // Derived by evaluate(); everything above is the input.
  std::vector<hw::LayerMetrics> layer_metrics;
  std::vector<hw::PartitionMetrics> partition_metrics;
  hw::NetworkMetrics metrics;

  // Solver cost (§4.7): −throughput or latency in seconds. Infeasible designs are still evaluated.
  double cost() const;
  bool feasible() const { return metrics.fits; }
};

// Cost of evaluated network metrics under an objective.
double objective_cost(const hw::NetworkMetrics& metrics, Objective objective);

// Fill the derived fields of `design` from its inputs.
void evaluate(Design& design);

// model.md §8.4 `fixed` mode ("baseline hardware"): the design's sparse layers get the new histograms
// (by layer name), its dense layers stay dense; folding, partitions and weights reloading are kept.
// A partition whose off-chip traffic now exceeds the bandwidth is slowed down until it fits (memory
// stalls), as the optimiser does (§7.5). A sparse layer without new statistics is an InputError naming it.
using StatsMap = std::map<std::string, ir::SparsityStats>;
Design evaluate(const Design& fixed, const StatsMap& stats);
// The same with the statistics attached to the graph's layers (as the thresholding loop holds them).
Design evaluate(const Design& fixed, const ir::Graph& graph);

// Design files. to_json writes the layers with their original shapes (weights reloading undone) and
// the evaluated performance; no timestamps, so equal designs give byte-identical files.
nlohmann::json to_json(const Design& design);
// Rebuilds and re-evaluates; the performance fields in the file are ignored. Throws InputError
// naming `where` and the JSON path for a malformed design (bad folding, unknown layer, broken cut).
Design design_from_json(const nlohmann::json& doc, const std::string& where);
Design read_design(const std::filesystem::path& path);
void write_design(const std::filesystem::path& path, const Design& design);

// A human-readable summary: one row per layer (folding, latency, DSP, BRAM) per partition.
std::string design_table(const Design& design);

}  // namespace sparsedse::dse
