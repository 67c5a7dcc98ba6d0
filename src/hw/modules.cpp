// Module performance model (model.md §4.1, §5.3, §5.6).
#include "sparsedse/hw/modules.hpp"

#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

const char* to_string(ModuleKind kind) {
  switch (kind) {
    case ModuleKind::pad: return "pad";
    case ModuleKind::sliding_window: return "sliding_window";
    case ModuleKind::squeeze: return "squeeze";
    case ModuleKind::fork: return "fork";
    case ModuleKind::vector_dot: return "vector_dot";
    case ModuleKind::sparse_vector_dot: return "sparse_vector_dot";
    case ModuleKind::accum: return "accum";
    case ModuleKind::glue: return "glue";
    case ModuleKind::bias: return "bias";
    case ModuleKind::relu: return "relu";
    case ModuleKind::pool: return "pool";
    case ModuleKind::global_pool: return "global_pool";
    case ModuleKind::eltwise: return "eltwise";
    case ModuleKind::concat: return "concat";
  }
  return "?";
}

namespace {

std::int64_t padded_rows(const Module& m) { return std::int64_t{m.rows} + m.pad_top + m.pad_bottom; }
std::int64_t padded_cols(const Module& m) { return std::int64_t{m.cols} + m.pad_left + m.pad_right; }
std::int64_t pixels(const Module& m) { return std::int64_t{m.rows} * m.cols; }

}  // namespace

Dims out_dims(const Module& m) {
  switch (m.kind) {
    case ModuleKind::pad:
      return {static_cast<int>(padded_rows(m)), static_cast<int>(padded_cols(m)), m.channels};
    case ModuleKind::sliding_window:
      return {static_cast<int>(ceil_div(padded_rows(m) - m.kernel_rows + 1, m.stride_rows)),
              static_cast<int>(ceil_div(padded_cols(m) - m.kernel_cols + 1, m.stride_cols)), m.channels};
    case ModuleKind::vector_dot:
    case ModuleKind::sparse_vector_dot:
      return {m.rows, m.cols, m.channels * m.filters};
    case ModuleKind::accum:
    case ModuleKind::glue:
    case ModuleKind::bias:
      return {m.rows, m.cols, m.filters};
    case ModuleKind::global_pool:
      return {1, 1, m.channels};
    default:
      return {m.rows, m.cols, m.channels};
  }
}

double rate_in(const Module& m) {
  switch (m.kind) {
    case ModuleKind::pad:
    case ModuleKind::sliding_window:
      return static_cast<double>(pixels(m)) / static_cast<double>(padded_rows(m) * padded_cols(m));
    case ModuleKind::vector_dot:
      return 1.0 / m.filters;
    case ModuleKind::sparse_vector_dot:
      return m.rate_ks / m.filters;
    case ModuleKind::accum:
      return m.skip ? m.rate_sparsity : 1.0;
    case ModuleKind::concat:
      return static_cast<double>(m.first_port_channels) / m.channels;
    default:
      return 1.0;
  }
}

double rate_out(const Module& m) {
  switch (m.kind) {
    case ModuleKind::sliding_window: {
      const Dims o = out_dims(m);
      return static_cast<double>(std::int64_t{o.rows} * o.cols) / static_cast<double>(pixels(m));
    }
    case ModuleKind::sparse_vector_dot:
      return m.rate_ks;
    case ModuleKind::accum:
      if (m.skip) return std::min<double>(m.channels, m.rate_sparsity) / m.channels * m.groups;
      return static_cast<double>(m.groups) / m.channels;
    default:
      return 1.0;
  }
}

std::int64_t latency(const Module& m, const Quirks& quirks) {
  const std::int64_t words = pixels(m) * m.channels;
  switch (m.kind) {
    case ModuleKind::pad:
    case ModuleKind::sliding_window:
      // max(in/rate_in, out/rate_out) = padded input words, computed exactly.
      return padded_rows(m) * padded_cols(m) * m.channels;
    case ModuleKind::squeeze:
      return m.expand_words && !quirks.conv_squeeze_rate ? words * m.coarse_in / m.coarse_out : words;
    case ModuleKind::vector_dot:
      return words * m.filters;
    case ModuleKind::sparse_vector_dot:
      return trunc_int(static_cast<double>(words * m.filters) / m.rate_ks);
    case ModuleKind::accum: {
      const std::int64_t in_words = words * m.filters / m.groups;
      if (!m.skip) return in_words;
      const std::int64_t out_words = pixels(m) * m.filters;
      return std::max(trunc_int(in_words / rate_in(m)), trunc_int(out_words / rate_out(m)));
    }
    case ModuleKind::glue:  // Q8: upstream divides by coarse_group a second time
      return quirks.glue_latency ? pixels(m) * m.filters / (std::int64_t{m.coarse_out} * m.coarse_group)
                                 : pixels(m) * m.filters / m.coarse_out;
    case ModuleKind::bias:
      return pixels(m) * m.filters;
    case ModuleKind::global_pool:  // Q7: upstream ignores H·W
      return quirks.global_pool_latency ? m.channels : words;
    default:  // fork, relu, pool, eltwise, concat (r·c·Σch)
      return words;
  }
}

std::int64_t pipeline_depth(const Module& m) {
  switch (m.kind) {
    case ModuleKind::sliding_window: {
      const std::int64_t ch = m.channels;
      return (m.kernel_rows - 1) * padded_cols(m) * ch + (m.kernel_cols - 1) * ch -
             (std::int64_t{m.pad_top} * m.cols * ch + m.pad_left * ch);
    }
    case ModuleKind::vector_dot:
      return floor_log2(m.fine) + 1;
    case ModuleKind::accum:
      return std::int64_t{m.channels} * m.filters / (std::int64_t{m.groups} * m.groups);
    case ModuleKind::glue:
      return m.coarse_in;
    case ModuleKind::global_pool:
      return pixels(m) * m.channels;
    default:
      return 0;
  }
}

}  // namespace sparsedse::hw
