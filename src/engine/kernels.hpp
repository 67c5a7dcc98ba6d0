#pragma once
// Layer kernels of the engine (private). Float and fixed-point variants share the data movement; the
// fixed variants compute on exact grid values (docs/fixed-point.md).
#include <cstdint>
#include <functional>
#include <vector>

#include "sparsedse/common/fixed_point.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/engine/gemm.hpp"

namespace sparsedse::engine {

// Geometry of a convolution (an inner product is a 1×1 conv over a C·H·W × 1 × 1 input).
struct ConvGeometry {
  int channels = 0, rows = 0, cols = 0;  // input
  int filters = 0, groups = 1;
  int out_rows = 0, out_cols = 0;
  ir::Window window;
  int group_channels() const { return channels / groups; }
  int group_filters() const { return filters / groups; }
  int depth() const { return group_channels() * window.kernel_size(); }  // GEMM K per group
  static ConvGeometry of(const ir::Layer& layer);
};

// The prepared state of one layer (weights packed for the GEMM kernels, quantised codes, formats).
struct Engine::Prepared {
  ConvGeometry geometry;
  bool fully_connected = false;
  // Float mode.
  std::vector<gemm::PackedA<float>> weights_f32;  // per group
  std::vector<float> bias_f32;                    // per filter (zeros when the layer has none)
  // Fixed mode.
  FixedFormat input_format, weight_format;
  AccumulatorFormat accumulator;
  std::vector<std::int64_t> weights_raw;         // IR weight order
  std::vector<std::int64_t> bias_raw;            // per filter, at the accumulator's frac
  bool exact_in_double = true;                   // double GEMM on grid values is exact (no sum ≥ 2^53)
  std::vector<gemm::PackedA<double>> weights_f64;  // per group: weight grid values (unless int16_always)
  // int16 GEMM on codes, when data and weight codes fit int16 (else empty): int32 sums, exact while
  // max_filter_l1 · max|x code| < 2^31 (docs/fixed-point.md).
  std::vector<gemm::PackedA<std::int16_t>> weights_i16;  // per group: weight codes
  std::int64_t max_filter_l1 = 0;  // the largest Σ|w code| over one filter's depth
  bool int16_always = false;       // the bound holds for every code of the input format
};

// Per output element of a weighted layer: the accumulated sums of one filter row, written to `dst`.
// Float: value + bias. Fixed: (acc raw + bias raw) cast to the output format.
struct WeightedEpilogue {
  bool fixed = false;
  const Engine::Prepared* prepared = nullptr;
  FixedFormat output_format;
};

// Fixed mode: Conv / InnerProduct on int16 codes (int16_exact), else on double grid values, else int64.
void convolution(const Engine::Prepared& p, const Tensor& in, Tensor& out, const WeightedEpilogue& epilogue,
                 int threads);
// Whether the int16 GEMM is exact for this input: every partial sum of x·w codes of one filter is at most
// max_filter_l1 · max|x code| < 2^31 in magnitude (checked per call when not int16_always).
bool int16_exact(const Engine::Prepared& p, const Tensor& in, int threads);
void relu(const Tensor& in, Tensor& out, float threshold, int threads);  // threshold already on the grid
void max_pool(const ir::Layer& layer, const Tensor& in, Tensor& out, bool zero_padding, int threads);
void average_pool(const ir::Layer& layer, const Tensor& in, Tensor& out, bool fixed, FixedFormat in_format,
                  FixedFormat out_format, int threads);
void global_average_pool(const Tensor& in, Tensor& out, bool fixed, FixedFormat in_format, FixedFormat out_format,
                         int threads);
void eltwise_add(const std::vector<const Tensor*>& in, Tensor& out, bool fixed,
                 const std::vector<FixedFormat>& in_formats, FixedFormat out_format, int threads);
void concat(const std::vector<const Tensor*>& in, Tensor& out);

// Cast grid values of `from` to `to` (AP_RND, AP_SAT) in place; a no-op when the formats are equal.
void cast_in_place(float* data, std::size_t n, FixedFormat from, FixedFormat to);
// Quantise real values to `to` (AP_RND, AP_SAT): the host-side input packing.
void quantize_in_place(float* data, std::size_t n, FixedFormat to);

}  // namespace sparsedse::engine
