#pragma once
// Partitions: interval, pipeline depth, batch cycles with weights reloading, squeeze insertion,
// shortcut FIFO depths, bandwidth, resources and feasibility (model.md §2.4, §2.5, §4.6, §4.8, §6.7, §7.7).
#include <cstdint>
#include <vector>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/network.hpp"
#include "sparsedse/hw/platform.hpp"

namespace sparsedse::hw {

struct Partition {
  std::vector<int> nodes;  // network layer indices, ascending (= topological order)
  int batch_size = 1;
  int wr_factor = 1;
  int wr_layer = -1;       // network index of the weights-reloading layer, -1 = none
  bool enable_wr = true;
  double slow_down_factor = 1.0;  // raised when off-chip bandwidth is exceeded
};

struct Bandwidth {
  double in = 0.0, out = 0.0, weights = 0.0;  // Gbit/s
  double total() const { return in + out + weights; }
};

struct Utilisation {
  double lut = 0, ff = 0, dsp = 0, bram = 0, uram = 0, bandwidth = 0;  // fractions of the usable budget
  double ethernet = 0;  // network_mode pipelined: the busiest outgoing inter-FPGA edge / Ethernet payload width
};

struct PartitionMetrics {
  std::int64_t interval = 0;       // cycles per image (max node latency, Squeeze and ChannelPermute included)
  double pipeline_depth = 0.0;     // fill latency in cycles
  std::int64_t cycles = 0;         // batch cycles with weights reloading = int(stage_cycles + pipeline_depth)
  // Batch cycles beyond one pipeline fill: interval'·B·wr + PD·(wr − 1) + (wr − 1)·size_wr, the stage
  // time of the partition in a pipelined network (§4.7; interval'·B without weights reloading).
  double stage_cycles = 0.0;
  double latency_s = 0.0;
  Bandwidth bandwidth;
  Resources resources;             // after the BRAM→LUT trade
  Resources resources_raw;         // Σ layers + squeezes + merge FIFOs
  std::int64_t bram_converted = 0;
  int squeezes = 0;                // inserted Squeeze layers
  int permutes = 0;                // charged ChannelPermute layers (§5.4, hls.md §3.4)
  int bottleneck = -1;             // network index of the slowest layer (-1: a squeeze; a permute counts for its layer)
  // Largest data rate of an edge leaving the partition for another partition (bits per cycle,
  // workload_out·dw / (interval·slow_down_factor)); checked only when network_mode = pipelined.
  double ethernet_bits_per_cycle = 0.0;
  Utilisation utilisation;
  bool fits_resources = false;     // §6.7 resource constraints
  bool fits_bandwidth = false;     // bw_total ≤ rsc_allocation·memory_bandwidth
  bool fits_ethernet = true;       // pipelined: every outgoing inter-FPGA edge ≤ the Ethernet payload width
  bool fits() const { return fits_resources && fits_bandwidth && fits_ethernet; }
};

// An inserted stream-width adapter (§2.5), for reports and the HLS emitter.
struct SqueezeSite {
  enum class Where { edge, input, output } where = Where::edge;
  int edge = -1;   // network edge (Where::edge)
  int node = -1;   // network layer: the consumer (input) or the producer (output); -1 for an edge
  int port = 0;    // input port (Where::input)
  int coarse_in = 1, coarse_out = 1;
  HwLayer layer;   // the Squeeze layer
};

// Structure and scratch of one partition. Construction (and rebuild) allocates; evaluate() does not.
class PartitionModel {
 public:
  PartitionModel() = default;
  PartitionModel(const Network& network, const Partition& partition) { rebuild(network, partition); }
  // After the partition's membership changed.
  void rebuild(const Network& network, const Partition& partition);

  // `metrics[i]` = evaluate_layer(network.layers[i]) for every layer of the partition.
  const PartitionMetrics& evaluate(const Network& network, const Partition& partition,
                                   const std::vector<LayerMetrics>& metrics, const Platform& platform,
                                   const ModelOptions& options);
  const PartitionMetrics& last() const { return result_; }

  // Details of the last evaluate().
  std::int64_t buffer_depth(int node, int port) const;  // EltWise / Concat input FIFO (§2.4); 2 by default
  std::vector<SqueezeSite> squeezes() const;
  // Network indices of the sparse layers charged a ChannelPermute in front of them (§5.4).
  std::vector<int> permuted_layers() const;
  const std::vector<int>& input_nodes() const { return input_nodes_; }
  const std::vector<int>& output_nodes() const { return output_nodes_; }

 private:
  struct Port {
    int local = 0, port = 0;
  };
  struct Merge {
    int local = 0;        // the EltWise / Concat
    int split = -1;       // local index of the oldest lowest common Split ancestor, -1 if none
    std::vector<std::pair<int, int>> region_edges;  // (local node, network edge) into the region, topological order
    std::vector<int> region;     // local nodes between split and merge (split excluded), topological order
    std::vector<int> producers;  // per port: local producer or -1
    std::vector<int> port_edges; // per port: network edge or -1
    std::vector<std::int64_t> depth;  // per port, result
  };
  struct Squeeze {  // cached squeeze metrics of a site
    int coarse_in = 0, coarse_out = 0;
    bool active = false;
    // An edge whose consumer streams it from off-chip memory gets no squeeze, but its stream count may
    // still change (cout/cin here): the §4.6 product Π size_in/size_out must see that change to telescope.
    double stream_ratio = 1.0;
    LayerMetrics metrics;
    HwLayer layer;
  };
  struct State {
    int count = 0;
    double pd = 0.0, prod = 1.0;
  };
  // A weighted layer whose input permutation cannot fold into a producer (hls.md §3.4): charged a
  // ChannelPermute whenever it is sparse and its interleaving moves channels across streams.
  struct Permute {
    int local = 0;
    int pixels = 1;                        // flattened_pixels: > 1 only for an InnerProduct over H×W×C
    const SparseProfile* table_of = nullptr;  // pixels > 1: the profile `moves` was computed for
    std::vector<int> divisors;             // pixels > 1: feasible stream counts (factors of the features)
    std::vector<char> moves;               // pixels > 1: [divisor][skip][interleaving]
    bool active = false;
    std::int64_t words = 0, group = 0;     // cache key of `metrics`
    int streams = 0, data_width = 0;
    LayerMetrics metrics;
  };

  void update_squeeze(Squeeze& s, bool active, int rows, int cols, int channels, int cin, int cout,
                      const ModelOptions& o);
  void merge_depths(Merge& m, const Network& network, const std::vector<LayerMetrics>& metrics);
  State step(State s, const LayerMetrics& m, double interval) const;
  bool update_permute(Permute& q, const HwLayer& l, const ModelOptions& o);

  std::vector<int> nodes_;           // network indices
  std::vector<int> local_;           // network index -> local index, -1 outside
  std::vector<std::vector<int>> in_;   // per local node: internal network edge ids (port order)
  std::vector<std::vector<int>> out_;  // per local node: internal network edge ids
  std::vector<int> internal_edges_;
  std::vector<int> edge_slot_;         // network edge -> index into internal_edges_, -1
  std::vector<Port> inputs_;           // input ports not fed inside the partition
  std::vector<int> input_first_;       // per local node: first index into inputs_ (CSR, size n + 1)
  std::vector<int> outputs_;           // local nodes whose output leaves the partition
  std::vector<int> input_nodes_, output_nodes_;
  std::vector<Merge> merges_;
  std::vector<int> merge_of_;          // local -> merge index, -1
  std::vector<Permute> permutes_;
  std::vector<int> permute_of_;        // local -> index into permutes_, -1
  std::vector<int> leaving_;           // local nodes with an edge to another partition

  std::vector<Squeeze> edge_squeeze_, input_squeeze_, output_squeeze_;
  std::vector<State> state_, region_state_;
  std::vector<double> longest_;
  PartitionMetrics result_;
};

// Weights reloading (§4.8). The WR layer is the last Convolution / InnerProduct found walking back
// from the partition's single output through single-input layers (-1 if a Split, Concat or EltWise
// is met, or the partition has several outputs).
int find_wr_layer(const Network& network, const Partition& partition);
// Applies factor wr ∈ feasible_weights_reloading(WR layer): the WR layer's filters //= wr and the
// downstream layers with channels equal to the old filter count get channels //= wr; then
// fix_coarse. Removes any previous factor first. Returns the layers whose shape changed.
std::vector<int> apply_weights_reloading(Network& network, Partition& partition, int wr);
std::vector<int> remove_weights_reloading(Network& network, Partition& partition);

}  // namespace sparsedse::hw
