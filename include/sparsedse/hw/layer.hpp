#pragma once
// Hardware layers: compact value types with pure evaluation functions (model.md §2.3, §4, §5, §6.5–§6.6).
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sparsedse/hw/modules.hpp"
#include "sparsedse/hw/options.hpp"
#include "sparsedse/hw/primitives.hpp"
#include "sparsedse/hw/resources.hpp"
#include "sparsedse/hw/sparse.hpp"

namespace sparsedse::hw {

enum class LayerKind : std::uint8_t {
  convolution,                   // dense (§4.3)
  convolution_sparse,            // histogram model (§5.5); G = 1 only
  convolution_pointwise_sparse,  // upstream cluster model (§5.7 option)
  inner_product,
  inner_product_sparse,          // the K² = 1 window model over the flattened input (ours)
  pooling,
  global_pooling,
  relu,
  thresholded_relu,
  eltwise,
  concat,
  split,
  squeeze,  // stream-width adapter (§2.5); inserted by the partition model, never optimised
};

const char* to_string(LayerKind kind);
bool is_convolution(LayerKind kind);    // any Convolution kind
bool is_inner_product(LayerKind kind);  // any InnerProduct kind
bool is_weighted(LayerKind kind);       // Convolution or InnerProduct
bool is_sparse(LayerKind kind);

enum class PoolType : std::uint8_t { max, avg };

// Folding factors. Layers other than Convolution/InnerProduct use coarse_in = coarse_out = coarse.
struct Folding {
  int coarse_in = 1, coarse_out = 1, coarse_group = 1, fine = 1;
  bool operator==(const Folding&) const = default;
};

inline constexpr int kMaxPorts = 8;  // input ports of an EltWise / Concat

struct HwLayer {
  LayerKind kind = LayerKind::relu;
  int rows = 1, cols = 1, channels = 1;  // input tensor (port 0 of a multi-port layer)
  int filters = 0;                       // Convolution / InnerProduct output channels
  int kernel_rows = 1, kernel_cols = 1, stride_rows = 1, stride_cols = 1;
  int pad_top = 0, pad_right = 0, pad_bottom = 0, pad_left = 0;
  int groups = 1;
  bool has_bias = false;
  PoolType pool_type = PoolType::max;
  int ports_in = 1, ports_out = 1;
  std::array<int, kMaxPorts> port_channels{};  // Concat: channels of each input port
  Folding folding;
  int data_width = 16, weight_width = 16, acc_width = 32;
  bool skip_all_zero_window = true;  // sparse kinds (§5.2)
  bool use_uram = false;             // weights in URAM
  bool double_buffered = false;      // weights memory ×2 depth (§6.5)
  int stream_weights = 0;            // weight RAMs streamed from off-chip (§7.3)
  std::uint8_t stream_inputs = 0;    // bit i: input port i is read from DRAM
  bool stream_outputs = false;       // the output is written to DRAM
  float threshold = 0.0f;            // ThresholdedReLU (no performance effect, §8.1)
  std::shared_ptr<const SparseProfile> sparsity;  // sparse kinds: statistics of the input

  int kernel_size() const { return kernel_rows * kernel_cols; }
  int padded_rows() const { return rows + pad_top + pad_bottom; }
  int padded_cols() const { return cols + pad_left + pad_right; }
  int rows_out() const;
  int cols_out() const;
  int channels_out() const;
  // Channels read on input `port` (a Concat's ports differ; every other layer reads `channels`).
  int channels_on_port(int port) const { return kind == LayerKind::concat ? port_channels[port] : channels; }
  int streams_in() const;   // conv: cin·cg; others coarse_in
  int streams_out() const;  // conv: cout·cg; others coarse_out
  std::int64_t workload_in() const { return std::int64_t{rows} * cols * channels; }
  std::int64_t workload_out() const { return std::int64_t{rows_out()} * cols_out() * channels_out(); }
  std::int64_t size_in() const;   // words per input stream
  std::int64_t size_out() const;  // words per output stream
  std::int64_t parameters() const;  // weights of a Convolution / InnerProduct (Q21)
};

// Everything the partition model needs from one layer; recomputed when its folding or shape changes.
struct LayerMetrics {
  std::int64_t latency = 0;         // cycles per image (§4.4, §5.5)
  std::int64_t latency_in = 0;      // rate-balanced input bound (§4.4 pass)
  std::int64_t latency_out = 0;
  std::int64_t pipeline_depth = 0;  // Σ module pipeline depths (§4.5)
  double rate_in = 1.0, rate_out = 1.0;  // balanced layer rates (§4.2)
  std::int64_t size_in = 0, size_out = 0;
  int streams_in = 1, streams_out = 1;
  Resources resources;              // layer resources (merge FIFOs are charged by the partition)
  std::int64_t weights_ram = 0;     // BRAM18 (or URAM) units of the on-chip weights before streaming
  double weights_stream_bits_per_cycle = 0.0;  // off-chip weight traffic (§4.6)
};

LayerMetrics evaluate_layer(const HwLayer& layer, const ModelOptions& options);
// Latency only (the cheap part of evaluate_layer).
std::int64_t layer_latency(const HwLayer& layer, const ModelOptions& options);

// The ordered module chain of a layer (§4.3, §5.3) and whether each module is charged in the
// resource model (the redundant-module rule of §6.5). Returns the number of modules.
inline constexpr int kMaxModules = 8;
struct ModuleChain {
  std::array<Module, kMaxModules> modules;
  std::array<int, kMaxModules> instances{};  // copies charged (0 = zeroed, §6.5; S_in etc. without packing, §6.6)
  int size = 0;
};
ModuleChain module_chain(const HwLayer& layer, const ModelOptions& options);

// Rate balancing over a module chain (§4.2): returns {rate_in, rate_out} of the layer.
std::pair<double, double> balanced_rates(const Module* modules, int count);

// Weight memory of a Convolution / InnerProduct (§6.5, §6.6, §7.3).
struct WeightMemory {
  std::int64_t arrays = 0;  // separate arrays
  std::int64_t depth = 0;   // words per array
  std::int64_t width = 0;   // bits per word
  bool uram = false;
  RamUnit unit;             // RAM primitive geometry for `width`
  std::int64_t ram = 0;     // primitives of all arrays (BRAM18 or URAM), 0 when held in LUTs
  std::int64_t rom_lut = 0; // LUTs when the arrays are small ROMs (Q15)
  std::int64_t stream_unit() const;            // RAMs per unit of depth: arrays·⌈width/unit.width⌉
  std::int64_t stream_step(double level) const;  // ⌈level·⌈depth/unit.depth⌉⌉
};
WeightMemory weight_memory(const HwLayer& layer, const ModelOptions& options);

// Feasible folding sets (§2.3), sorted ascending.
struct FoldingSpace {
  std::vector<int> coarse_in, coarse_out, coarse_group, fine;
};
FoldingSpace feasible_folding(const HwLayer& layer);
std::vector<int> feasible_weights_reloading(const HwLayer& layer);  // factors(F/(G·cout)); {1} otherwise
bool is_feasible(const Folding& folding, const FoldingSpace& space);
// fix_coarse (§7.3): clamp every factor to the largest feasible value ≤ the current one.
void fix_coarse(HwLayer& layer, const FoldingSpace& space);
// Sets the coarse factor of a layer with coarse_in = coarse_out.
void set_coarse(HwLayer& layer, int coarse);

// Valid stream counts of a partition port (§7.7): for a Convolution the values cin'·cg, for an
// InnerProduct cin', else factors(C) (input side), and likewise with cout on the output side.
int largest_port_streams(const HwLayer& layer, const FoldingSpace& space, bool input, int limit);

}  // namespace sparsedse::hw
