// sdhls: pooling — pool (windowed max / avg) and global_pool (hls.md §4, §8). Our own code.
#ifndef SDHLS_POOL_HPP
#define SDHLS_POOL_HPP

#include "common.hpp"

namespace sdhls {

// One window per cycle. max: the largest value; avg: the exact sum times the constant 1/K²
// (avg_types: ap_ufixed<25,1>, AP_RND), then one cast to out_t. Pad words are zeros (count_include_pad).
// Config: data_t; out_t; kernel_rows; kernel_cols; count (windows per image and stream); op (pool_op).
template <class Cfg>
void pool(hls::stream<window<typename Cfg::data_t, Cfg::kernel_rows, Cfg::kernel_cols> >& in,
          hls::stream<typename Cfg::out_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned K2 = Cfg::kernel_rows * Cfg::kernel_cols;
  typedef avg_types<data_t, Cfg::kernel_rows * Cfg::kernel_cols> avg;
  const typename avg::recip_t recip = 1.0 / double(K2);
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  window_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      const window<data_t, Cfg::kernel_rows, Cfg::kernel_cols> w = in.read();
      typename Cfg::out_t y;
      if (Cfg::op == pool_max) {
        data_t m = w.v[0];
        for (unsigned k = 1; k < K2; ++k) {
#pragma HLS UNROLL
          if (w.v[k] > m) m = w.v[k];
        }
        y = m;
      } else {
        typename avg::sum_t sum = 0;
        for (unsigned k = 0; k < K2; ++k) {
#pragma HLS UNROLL
          sum += w.v[k];
        }
        y = sum * recip;
      }
      out.write(y);
    }
  }
}

// Streaming per-channel reduction over the H·W pixels of an image: Cs accumulators, one output per
// channel after the last pixel. avg: exact sum times 1/(H·W), then one cast to out_t.
// Config: data_t; out_t; rows; cols; channels (per stream); op (pool_op).
template <class Cfg>
void global_pool(hls::stream<typename Cfg::data_t>& in, hls::stream<typename Cfg::out_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned PIXELS = Cfg::rows * Cfg::cols;
  typedef avg_types<data_t, Cfg::rows * Cfg::cols> avg;
  typedef typename avg::sum_t sum_t;
  const typename avg::recip_t recip = 1.0 / double(PIXELS);
  sum_t acc[Cfg::channels];
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned p = 0, c = 0;
  word_loop:
    for (unsigned it = 0; it < PIXELS * Cfg::channels; ++it) {
#pragma HLS PIPELINE II=1
      const data_t x = in.read();
      const sum_t prev = acc[c];
      sum_t next;
      if (Cfg::op == pool_max) {
        next = (p == 0 || x > prev) ? sum_t(x) : prev;
      } else {
        next = p == 0 ? sum_t(x) : sum_t(prev + x);
      }
      acc[c] = next;
      if (p == PIXELS - 1) {
        typename Cfg::out_t y;
        if (Cfg::op == pool_max) {
          y = next;
        } else {
          y = next * recip;
        }
        out.write(y);
      }
      if (++c == Cfg::channels) {
        c = 0;
        ++p;
      }
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_POOL_HPP
