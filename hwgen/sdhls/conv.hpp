// sdhls: dense convolution / inner product modules — vdot, accum, glue, bias (hls.md §3.2, §4, §5.1).
// Our own code. Products and sums are exact in acc_t (sized for no overflow, docs/fixed-point.md);
// the only narrowing is the single cast to out_t in bias (or in glue when there is no bias).
#ifndef SDHLS_CONV_HPP
#define SDHLS_CONV_HPP

#include "common.hpp"

namespace sdhls {

// Vector dot of one (input stream i, filter lane o) pair. For every window (order pixel, channel) it
// visits the Fl filters of the lane and, per filter, the K²/fine kernel chunks: `fine` multipliers
// and an adder tree per cycle. Output: one partial sum per (pixel, channel, filter).
// Weight ROM (hls.md §3.2): weights[(ci·Fl + fo)·(K²/fine) + q][l] = w[f][c][q·fine + l] with
// c = ci·cin + i and f = fo·cout + o; the address simply counts cycles modulo Cs·Fl·K²/fine.
// Config: input_t (window<data_t, Kr, Kc>, or data_t on the 1×1 / InnerProduct path); weight_t;
// acc_t; kernel_size (K²); fine (a divisor of K²); channels (Cs); filters (Fl); pixels (Ho·Wo).
template <class Cfg>
void vdot(hls::stream<typename Cfg::input_t>& in, hls::stream<typename Cfg::acc_t>& out,
          const typename Cfg::weight_t
              weights[Cfg::channels * Cfg::filters * (Cfg::kernel_size / Cfg::fine)][Cfg::fine],
          int batch) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=weights complete dim=2
  typedef typename Cfg::acc_t acc_t;
  const unsigned FINE = Cfg::fine;
  const unsigned CHUNKS = Cfg::kernel_size / Cfg::fine;
  const unsigned DEPTH = Cfg::channels * Cfg::filters * CHUNKS;
  const unsigned PER_WINDOW = Cfg::filters * CHUNKS;
  static_assert(Cfg::kernel_size % Cfg::fine == 0, "vdot: fine must divide K^2 (dense)");
  typename Cfg::input_t win;
  acc_t acc = 0;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned addr = 0, q = 0, step = 0;  // ROM address, chunk, cycle within the window
  mac_loop:
    for (unsigned it = 0; it < Cfg::pixels * DEPTH; ++it) {
#pragma HLS PIPELINE II=1
      if (step == 0) win = in.read();  // reused across the Fl filters
      acc_t prod[FINE];
#pragma HLS ARRAY_PARTITION variable=prod complete
#pragma HLS BIND_OP variable=prod op=mul impl=dsp
      acc_t tree = 0;
      for (unsigned l = 0; l < FINE; ++l) {
#pragma HLS UNROLL
        prod[l] = window_elem(win, q * FINE + l) * weights[addr][l];
        tree += prod[l];
      }
      const acc_t sum = q == 0 ? tree : acc_t(acc + tree);
      acc = sum;
      if (q == CHUNKS - 1) out.write(sum);
      addr = addr + 1 == DEPTH ? 0 : addr + 1;
      q = q + 1 == CHUNKS ? 0 : q + 1;
      step = step + 1 == PER_WINDOW ? 0 : step + 1;
    }
  }
}

// Sum the Cs channel partial sums of each filter (input order pixel, channel, filter; output order
// pixel, filter). Config: acc_t; channels (Cs); filters (Fl); pixels.
template <class Cfg>
void accum(hls::stream<typename Cfg::acc_t>& in, hls::stream<typename Cfg::acc_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::acc_t acc_t;
  acc_t acc[Cfg::filters];
#pragma HLS BIND_STORAGE variable=acc type=ram_2p impl=lutram
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned ci = 0, fo = 0;
  psum_loop:
    for (unsigned it = 0; it < Cfg::pixels * Cfg::channels * Cfg::filters; ++it) {
#pragma HLS PIPELINE II=1
      const acc_t x = in.read();
      const acc_t sum = ci == 0 ? x : acc_t(acc[fo] + x);
      acc[fo] = sum;
      if (ci == Cfg::channels - 1) out.write(sum);
      if (++fo == Cfg::filters) {
        fo = 0;
        ci = ci + 1 == Cfg::channels ? 0 : ci + 1;
      }
    }
  }
}

// Sum the coarse_in partial streams of one filter lane; the assignment to out_t is the layer's single
// rounding cast when there is no bias (out_t = acc_t otherwise).
// Config: acc_t; out_t; coarse_in; filters (Fl); pixels.
template <class Cfg>
void glue(hls::stream<typename Cfg::acc_t> in[Cfg::coarse_in], hls::stream<typename Cfg::out_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::acc_t acc_t;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned it = 0; it < Cfg::pixels * Cfg::filters; ++it) {
#pragma HLS PIPELINE II=1
      acc_t sum = 0;
      for (unsigned i = 0; i < Cfg::coarse_in; ++i) {
#pragma HLS UNROLL
        sum += in[i].read();
      }
      const typename Cfg::out_t y = sum;
      out.write(y);
    }
  }
}

// Add the bias in acc_t, then the layer's single rounding cast to out_t (hls.md §8).
// biases[fo] is the bias of filter fo·cout + o for lane o. Config: acc_t; bias_t; out_t; filters; pixels.
template <class Cfg>
void bias(hls::stream<typename Cfg::acc_t>& in, hls::stream<typename Cfg::out_t>& out,
          const typename Cfg::bias_t biases[Cfg::filters], int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::acc_t acc_t;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned fo = 0;
  word_loop:
    for (unsigned it = 0; it < Cfg::pixels * Cfg::filters; ++it) {
#pragma HLS PIPELINE II=1
      const acc_t sum = in.read() + biases[fo];
      const typename Cfg::out_t y = sum;
      out.write(y);
      fo = fo + 1 == Cfg::filters ? 0 : fo + 1;
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_CONV_HPP
