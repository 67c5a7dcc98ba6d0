// sdhls: sparse convolution modules — nz_check, sparse_vdot, sparse_accum (hls.md §9). Our own code.
// Skipping zeros does not change a sum of exact products, so a sparse layer is bit-identical to the
// dense layer with the same types (hls.md §9.6).
#ifndef SDHLS_SPARSE_HPP
#define SDHLS_SPARSE_HPP

#include "common.hpp"

namespace sdhls {

// Non-zero check, one per input stream before the fork (hls.md §9.2). One window per cycle: the mask
// is a fully unrolled comparison of the raw values with 0, `ch` the channel index, `eop` marks the last
// channel of a pixel. With `skip`, an all-zero window is dropped; if it was the last channel of its
// pixel a marker token {marker = 1, eop = 1} takes its place.
// Config: input_t (window, or data_t for 1×1); data_t; kernel_size (K²); channels (Cs); pixels; skip.
template <class Cfg>
void nz_check(hls::stream<typename Cfg::input_t>& in,
              hls::stream<sp_token<typename Cfg::data_t, Cfg::kernel_size, Cfg::channels> >& out, int batch) {
#pragma HLS INLINE off
  typedef sp_token<typename Cfg::data_t, Cfg::kernel_size, Cfg::channels> token_t;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned ci = 0;
  window_loop:
    for (unsigned it = 0; it < Cfg::pixels * Cfg::channels; ++it) {
#pragma HLS PIPELINE II=1
      const typename Cfg::input_t w = in.read();
      token_t t;
      for (unsigned k = 0; k < Cfg::kernel_size; ++k) {
#pragma HLS UNROLL
        t.v[k] = window_elem(w, k);
        t.mask[k] = t.v[k] != 0;
      }
      t.ch = ci;
      t.eop = ci == Cfg::channels - 1;
      t.marker = false;
      if (!Cfg::skip || t.mask != 0) {
        out.write(t);
      } else if (t.eop) {
        t.marker = true;
        out.write(t);
      }
      ci = ci + 1 == Cfg::channels ? 0 : ci + 1;
    }
  }
}

// Sparse vector dot of one (input stream, filter lane) pair (hls.md §9.3). One pipelined loop with a
// data-dependent trip count; per iteration: read a token if one is needed (the only blocking read),
// select up to `fine` non-zero positions of the `remaining` mask through the prefix-popcount crossbar
// (lane j takes the k with remaining[k] and popcount(remaining & ((1<<k)−1)) == j), multiply, reduce,
// accumulate. When `remaining` empties, emit {acc, fo, valid, eop} and move to the next filter.
// Cycle contract: ⌈nnz/fine⌉ iterations per (window, filter), one per marker, none for dropped windows.
// Weight ROM: weights[ch·Fl + fo][k] = w[f][c][k], one K²-wide word per (channel, filter) (model.md §6.6).
// Config: data_t; weight_t; acc_t; kernel_size (K²); fine (1..K²); channels (Cs); filters (Fl); pixels.
template <class Cfg>
void sparse_vdot(hls::stream<sp_token<typename Cfg::data_t, Cfg::kernel_size, Cfg::channels> >& in,
                 hls::stream<psum_token<typename Cfg::acc_t, Cfg::filters> >& out,
                 const typename Cfg::weight_t weights[Cfg::channels * Cfg::filters][Cfg::kernel_size], int batch
#ifndef __SYNTHESIS__
                 ,
                 issue_observer* observer = 0
#endif
) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=weights complete dim=2
  typedef typename Cfg::data_t data_t;
  typedef typename Cfg::weight_t weight_t;
  typedef typename Cfg::acc_t acc_t;
  typedef sp_token<data_t, Cfg::kernel_size, Cfg::channels> token_t;
  typedef psum_token<acc_t, Cfg::filters> psum_t;
  const unsigned K2 = Cfg::kernel_size, FINE = Cfg::fine, FL = Cfg::filters;
  const unsigned MIN_ITER = Cfg::pixels;
  const unsigned MAX_ITER = Cfg::pixels * Cfg::channels * FL * ((K2 + FINE - 1) / FINE) + Cfg::pixels;
  static_assert(Cfg::fine >= 1 && Cfg::fine <= Cfg::kernel_size, "sparse_vdot: fine must be in 1..K^2");
  (void)MIN_ITER;  // used by pragmas only
  (void)MAX_ITER;
#ifndef __SYNTHESIS__
  unsigned long tokens_read = 0;
#endif
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    token_t tok;
    bool need = true;
    unsigned fo = 0, closed = 0;
    ap_uint<Cfg::kernel_size> remaining = 0;
    acc_t acc = 0;
  issue_loop:
    while (closed < Cfg::pixels) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=MIN_ITER max=MAX_ITER
      if (need) {
        tok = in.read();
        need = false;
        fo = 0;
        remaining = tok.mask;
#ifndef __SYNTHESIS__
        ++tokens_read;
#endif
      }
#ifndef __SYNTHESIS__
      if (observer) observer->on_iteration(tokens_read - 1, tok.marker);
#endif
      if (tok.marker) {
        psum_t p;
        p.sum = 0;
        p.fo = 0;
        p.valid = false;
        p.eop = true;
        out.write(p);
        ++closed;
        need = true;
      } else {
        const unsigned addr = unsigned(tok.ch) * FL + fo;
        data_t act[FINE];
        weight_t wt[FINE];
#pragma HLS ARRAY_PARTITION variable=act complete
#pragma HLS ARRAY_PARTITION variable=wt complete
        for (unsigned j = 0; j < FINE; ++j) {
#pragma HLS UNROLL
          act[j] = 0;
          wt[j] = 0;
        }
        ap_uint<Cfg::kernel_size> taken = 0;
        unsigned rank = 0;  // popcount(remaining & ((1 << k) − 1))
        for (unsigned k = 0; k < K2; ++k) {
#pragma HLS UNROLL
          const bool live = remaining[k];
          for (unsigned j = 0; j < FINE; ++j) {
#pragma HLS UNROLL
            if (live && rank == j) {
              act[j] = tok.v[k];
              wt[j] = weights[addr][k];
              taken[k] = 1;
            }
          }
          if (live) ++rank;
        }
        acc_t prod[FINE];
#pragma HLS ARRAY_PARTITION variable=prod complete
#pragma HLS BIND_OP variable=prod op=mul impl=dsp
        acc_t tree = 0;
        for (unsigned j = 0; j < FINE; ++j) {
#pragma HLS UNROLL
          prod[j] = act[j] * wt[j];
          tree += prod[j];
        }
        const acc_t sum = acc + tree;
        remaining = remaining & ~taken;
        if (remaining == 0) {
          psum_t p;
          p.sum = sum;
          p.fo = fo;
          p.valid = true;
          p.eop = tok.eop && fo == FL - 1;
          out.write(p);
          if (p.eop) ++closed;
          acc = 0;
          if (++fo == FL) {
            need = true;
          } else {
            remaining = tok.mask;
          }
        } else {
          acc = sum;
        }
      }
    }
  }
}

// Tagged accumulation (hls.md §9.4): valid psums add into acc[fo] of the current pixel; on eop the
// Fl sums stream out in filter order. Two accumulator banks let the drain of one pixel overlap the
// accumulation of the next, so every pixel closes exactly once: Ho·Wo·Fl output words per image.
// Config: acc_t; filters (Fl); channels (Cs, for the trip-count hint); pixels.
template <class Cfg>
void sparse_accum(hls::stream<psum_token<typename Cfg::acc_t, Cfg::filters> >& in,
                  hls::stream<typename Cfg::acc_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::acc_t acc_t;
  typedef psum_token<acc_t, Cfg::filters> psum_t;
  const unsigned FL = Cfg::filters;
  const unsigned WORDS = Cfg::pixels * FL;
  const unsigned MAX_ITER = WORDS + Cfg::pixels * Cfg::channels * FL;
  (void)MAX_ITER;  // used by pragmas only
  acc_t acc[2][FL];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
clear_loop:
  for (unsigned f = 0; f < FL; ++f) {
#pragma HLS PIPELINE II=1
    acc[0][f] = 0;
    acc[1][f] = 0;
  }
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned cur = 0, drain = 0, pixels_in = 0, words_out = 0;
    bool draining = false, pending = false;  // pending: a closed pixel waits for the drain bank
  psum_loop:
    while (words_out < WORDS) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=WORDS max=MAX_ITER
      if (!draining && pending) {
        cur ^= 1;
        draining = true;
        drain = 0;
        pending = false;
      }
      if (draining) {
        out.write(acc[cur ^ 1][drain]);
        acc[cur ^ 1][drain] = 0;
        ++words_out;
        if (++drain == FL) draining = false;
      }
      if (!pending && pixels_in < Cfg::pixels) {
        const psum_t p = in.read();
        if (p.valid) acc[cur][p.fo] = acc[cur][p.fo] + p.sum;
        if (p.eop) {
          pending = true;
          ++pixels_in;
        }
      }
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_SPARSE_HPP
