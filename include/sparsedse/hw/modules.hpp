#pragma once
// Hardware modules: the building blocks of a layer's module chain (model.md §4.1, §5.3, §5.6, §6.3).
// Dims are per stream; `streams` is the number of packed copies and matters only for resources.
#include <cstdint>

#include "sparsedse/hw/options.hpp"
#include "sparsedse/hw/resources.hpp"

namespace sparsedse::hw {

enum class ModuleKind : std::uint8_t {
  pad, sliding_window, squeeze, fork, vector_dot, sparse_vector_dot, accum, glue, bias,
  relu, pool, global_pool, eltwise, concat,
};

const char* to_string(ModuleKind kind);

struct Module {
  ModuleKind kind = ModuleKind::relu;
  int rows = 1, cols = 1, channels = 1;  // input dims per stream
  int streams = 1;                       // packed copies (resources)
  int kernel_rows = 1, kernel_cols = 1, stride_rows = 1, stride_cols = 1;
  int pad_top = 0, pad_right = 0, pad_bottom = 0, pad_left = 0;
  int filters = 1, fine = 1, groups = 1;
  int coarse_in = 1, coarse_out = 1, coarse_group = 1;  // squeeze: in/out; fork: coarse_out; glue: all three
  int first_port_channels = 1;  // concat: channels of port 0 (its rate_in)
  bool expand_words = false;    // conv squeeze: latency × coarse_in/coarse_out (Q10 corrected)
  bool skip = false;            // accum after a skipping sparse vector dot (§5.6)
  bool broadcast = false;       // eltwise with a broadcast input
  bool multiply = false;        // eltwise mul (1 DSP)
  double rate_ks = 1.0;         // sparse vector dot (§5.3)
  double rate_sparsity = 1.0;   // accum with skipping (§5.6)
  int data_width = 16, weight_width = 16, acc_width = 32;
};

struct Dims {
  int rows = 0, cols = 0, channels = 0;
};

Dims out_dims(const Module& m);
double rate_in(const Module& m);
double rate_out(const Module& m);
// Module latency (§4.1), with the table's overrides and quirks Q7, Q8, Q10.
std::int64_t latency(const Module& m, const Quirks& quirks);
std::int64_t pipeline_depth(const Module& m);
// Resources of the module instance (all `streams` packed copies), §6.3–§6.4.
Resources resources(const Module& m, const Coefficients& beta);

// Sliding-window buffers (§6.4): BRAM or LUTRAM per buffer.
struct WindowBuffers {
  std::int64_t line_bram = 0, window_bram = 0, frame_bram = 0;
  std::int64_t line_lutram = 0, window_lutram = 0, frame_lutram = 0;
};
WindowBuffers window_buffers(const Module& sliding_window);

}  // namespace sparsedse::hw
