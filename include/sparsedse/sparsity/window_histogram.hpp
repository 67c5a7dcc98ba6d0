#pragma once
// Window zero histograms (model.md §5.1): for every input channel of a convolution, how many of the
// K×K windows the hardware sees hold exactly z zeros, z = 0..K². Windows are taken over the
// zero-padded input with the layer's stride, so padding counts as zeros. An inner product is a 1×1
// window over its flattened input: every input element is one window (two bins).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "sparsedse/engine/engine.hpp"
#include "sparsedse/ir/layer.hpp"

namespace sparsedse::sparsity {

// Raw window counts of one layer input: counts[c][z], C × (K²+1), summed over images.
class WindowZeroHistogram {
 public:
  WindowZeroHistogram() = default;
  WindowZeroHistogram(int channels, int kernel_rows, int kernel_cols);
  // Shaped for a Convolution (C input channels, Kr×Kc) or an InnerProduct (C·H·W channels, 1×1).
  static WindowZeroHistogram for_layer(const ir::Layer& layer);

  int channels() const { return channels_; }
  int kernel_rows() const { return kernel_rows_; }
  int kernel_cols() const { return kernel_cols_; }
  int kernel_size() const { return kernel_rows_ * kernel_cols_; }
  int bins() const { return kernel_size() + 1; }

  std::int64_t windows() const;  // per channel (every channel sees the same windows)
  std::int64_t count(int channel, int zeros) const { return counts_[index(channel, zeros)]; }
  std::span<std::int64_t> row(int channel) { return {counts_.data() + index(channel, 0), std::size_t(bins())}; }
  std::span<const std::int64_t> row(int channel) const {
    return {counts_.data() + index(channel, 0), std::size_t(bins())};
  }

  void add(const WindowZeroHistogram& other);  // same shape required
  void clear();
  // Normalised statistics for the IR (model.md §5.1); throws std::logic_error if no window was counted.
  ir::SparsityStats stats() const;

  bool operator==(const WindowZeroHistogram&) const = default;

 private:
  std::size_t index(int channel, int zeros) const { return std::size_t(channel) * std::size_t(bins()) + zeros; }
  int channels_ = 0;
  int kernel_rows_ = 1, kernel_cols_ = 1;
  std::vector<std::int64_t> counts_;
};

// What a window's zeros are (model.md §5.1, Q16).
enum class HistSource {
  activations,  // ours: zeros of the activations the hardware's non-zero check sees (padding included)
  products,     // upstream: zero products activation × weight, each window counted once per output filter
};
std::string_view to_string(HistSource source);  // "activations" | "products"
std::optional<HistSource> hist_source_from_string(std::string_view name);

// The zero weights a layer's products statistic needs: for each input channel, the distinct masks of
// zero weights over the filters that read it (bit k = kernel position k, row-major; one bit for an
// inner product's input element), each with the number of filters that have it. Zero as the engine
// computes: the quantised weight in fixed point, the float itself otherwise.
using WeightZeroMasks = std::vector<std::vector<std::pair<std::uint64_t, std::int64_t>>>;
WeightZeroMasks weight_zero_masks(const engine::Engine& engine, ir::Vertex layer);

// True for the layers whose input windows the profiler counts (Convolution, InnerProduct).
bool has_window_statistics(const ir::Layer& layer);

// Buffers of count_plane_windows, reused between calls (no allocation once large enough).
struct WindowScratch {
  std::vector<std::uint8_t> zeros;           // zero indicators of the padded plane (padding = 1)
  std::vector<std::uint16_t> column_zeros;   // zeros per column over the Kr rows of one window row
  std::vector<std::uint16_t> window_zeros;   // zeros per window of one output row
  std::vector<std::uint32_t> bins;           // four interleaved partial histograms
  std::vector<std::int64_t> once;            // products statistic: one plane's counts before × filters
};

// Adds the windows of one rows×cols channel plane to `row` (K²+1 bins).
void count_plane_windows(const float* plane, int rows, int cols, const ir::Window& window,
                         std::span<std::int64_t> row, WindowScratch& scratch);
// The products statistic of one plane: each window once per filter, binned by the zeros of
// activation × weight (a zero activation or a zero weight), given the channel's weight zero masks.
// Windows up to 64 positions.
void count_plane_product_windows(const float* plane, int rows, int cols, const ir::Window& window,
                                 std::span<const std::pair<std::uint64_t, std::int64_t>> masks,
                                 std::span<std::int64_t> row, WindowScratch& scratch);

// Adds every window of a batch of `layer`'s input (its port-0 tensor) to `hist`, and, if `input_zeros`
// is given, the number of zeros in the input to *input_zeros (the producing ReLU's sparsity, counted
// while the planes are in cache). Parallel over images × channels with OpenMP; `threads` <= 0 means the
// OpenMP default. Integer counts merged in thread order: the result does not depend on the thread count.
// With `masks` (weight_zero_masks of the layer), the products statistic instead.
void count_layer_windows(const ir::Layer& layer, const engine::Tensor& input, WindowZeroHistogram& hist,
                         int threads = 0, std::int64_t* input_zeros = nullptr,
                         const WeightZeroMasks* masks = nullptr);

// Number of exact zeros in a tensor (all images); the per-ReLU output sparsity.
std::int64_t count_zeros(const engine::Tensor& tensor, int threads = 0);

}  // namespace sparsedse::sparsity
