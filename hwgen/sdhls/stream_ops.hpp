// sdhls: stream plumbing — fork, sparse_fork, split, relay, concat, squeeze, chan_permute (hls.md §3.4,
// §4).
// Our own code.
#ifndef SDHLS_STREAM_OPS_HPP
#define SDHLS_STREAM_OPS_HPP

#include "common.hpp"

namespace sdhls {

// Broadcast of one stream to `outputs` consumers (the cout lanes of a conv): one read, N writes.
// Config: token_t; outputs; tokens (per image).
template <class Cfg>
void fork(hls::stream<typename Cfg::token_t>& in, hls::stream<typename Cfg::token_t> out[Cfg::outputs], int batch) {
#pragma HLS INLINE off
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  token_loop:
    for (unsigned i = 0; i < Cfg::tokens; ++i) {
#pragma HLS PIPELINE II=1
      const typename Cfg::token_t t = in.read();
      for (unsigned o = 0; o < Cfg::outputs; ++o) {
#pragma HLS UNROLL
        out[o].write(t);
      }
    }
  }
}

// Fork of sparse tokens (variable count): an image ends after `pixels` tokens with eop, since every
// output pixel sends exactly one eop token (its last-channel window or a marker, hls.md §9.2).
// Config: token_t (an sp_token); outputs; pixels; channels (per stream).
template <class Cfg>
void sparse_fork(hls::stream<typename Cfg::token_t>& in, hls::stream<typename Cfg::token_t> out[Cfg::outputs],
                 int batch) {
#pragma HLS INLINE off
  const unsigned MIN_TOKENS = Cfg::pixels;
  const unsigned MAX_TOKENS = Cfg::pixels * Cfg::channels;
  (void)MIN_TOKENS;  // used by pragmas only
  (void)MAX_TOKENS;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned done = 0;
  token_loop:
    while (done < Cfg::pixels) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=MIN_TOKENS max=MAX_TOKENS
      const typename Cfg::token_t t = in.read();
      for (unsigned o = 0; o < Cfg::outputs; ++o) {
#pragma HLS UNROLL
        out[o].write(t);
      }
      if (t.eop) ++done;
    }
  }
}

// Tensor fork at a fan-out (the Split layer), one instance per stream.
// Config: data_t; outputs; count (words per image and stream).
template <class Cfg>
void split(hls::stream<typename Cfg::data_t>& in, hls::stream<typename Cfg::data_t> out[Cfg::outputs], int batch) {
#pragma HLS INLINE off
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      const typename Cfg::data_t x = in.read();
      for (unsigned o = 0; o < Cfg::outputs; ++o) {
#pragma HLS UNROLL
        out[o].write(x);
      }
    }
  }
}

// One-to-one copy of a stream. A Split's ports share one stream array ([stream][port]), which has one
// FIFO depth and is not a stream array per port; the emitter relays a port into its own array when it
// needs its own depth (an EltWise shortcut, hls.md §7) or feeds a module taking a stream array.
// Config: data_t; count (words per image and stream).
template <class Cfg>
void relay(hls::stream<typename Cfg::data_t>& in, hls::stream<typename Cfg::data_t>& out, int batch) {
#pragma HLS INLINE off
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      out.write(in.read());
    }
  }
}

// Per pixel, copy channels(p) words from each input port in port order (one instance per stream).
// Config: data_t; ports; pixels (H·W); static constexpr unsigned channels(unsigned p) — words per
// pixel of port p on this stream (C_p / coarse, at least 1).
template <class Cfg>
constexpr unsigned concat_words_per_pixel() {
  unsigned total = 0;
  for (unsigned p = 0; p < Cfg::ports; ++p) total += Cfg::channels(p);
  return total;
}
template <class Cfg>
void concat(hls::stream<typename Cfg::data_t> in[Cfg::ports], hls::stream<typename Cfg::data_t>& out, int batch) {
#pragma HLS INLINE off
  const unsigned WORDS = Cfg::pixels * concat_words_per_pixel<Cfg>();
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned port = 0, j = 0;
  word_loop:
    for (unsigned i = 0; i < WORDS; ++i) {
#pragma HLS PIPELINE II=1
      typename Cfg::data_t x = 0;
      for (unsigned p = 0; p < Cfg::ports; ++p) {
#pragma HLS UNROLL
        if (p == port) x = in[p].read();
      }
      out.write(x);
      if (++j == Cfg::channels(port)) {
        j = 0;
        port = port + 1 == Cfg::ports ? 0 : port + 1;
      }
    }
  }
}

// Stream-width conversion coarse_in → coarse_out (model.md §2.5). Word w of a pixel-major image is on
// input stream w mod cin and output stream w mod cout. A ring of cin + cout slots holds words between
// the two sides; each cycle writes one output row when cout words are held and reads one input row
// when cin slots are free.
// Config: data_t; coarse_in; coarse_out; words (H·W·C per image, a multiple of cin and cout).
template <class Cfg>
void squeeze(hls::stream<typename Cfg::data_t> in[Cfg::coarse_in], hls::stream<typename Cfg::data_t> out[Cfg::coarse_out],
             int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned CIN = Cfg::coarse_in, COUT = Cfg::coarse_out, CAP = CIN + COUT;
  const unsigned ROWS_IN = Cfg::words / CIN, ROWS_OUT = Cfg::words / COUT;
  const unsigned MAX_ITER = ROWS_IN + ROWS_OUT;
  (void)MAX_ITER;  // used by pragmas only
  static_assert(Cfg::words % Cfg::coarse_in == 0 && Cfg::words % Cfg::coarse_out == 0,
                "squeeze: words must be a multiple of both stream counts");
  data_t ring[CAP];
#pragma HLS ARRAY_PARTITION variable=ring complete
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned rows_in = 0, rows_out = 0, held = 0, head = 0, tail = 0;
  row_loop:
    while (rows_out < ROWS_OUT) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=ROWS_OUT max=MAX_ITER
      if (held >= COUT) {
        for (unsigned s = 0; s < COUT; ++s) {
#pragma HLS UNROLL
          unsigned idx = tail + s;
          if (idx >= CAP) idx -= CAP;
          out[s].write(ring[idx]);
        }
        tail += COUT;
        if (tail >= CAP) tail -= CAP;
        held -= COUT;
        ++rows_out;
      }
      if (rows_in < ROWS_IN && held + CIN <= CAP) {
        for (unsigned s = 0; s < CIN; ++s) {
#pragma HLS UNROLL
          unsigned idx = head + s;
          if (idx >= CAP) idx -= CAP;
          ring[idx] = in[s].read();
        }
        head += CIN;
        if (head >= CAP) head -= CAP;
        held += CIN;
        ++rows_in;
      }
    }
  }
}

// Channel permutation (hls.md §3.4): S banks (bank s = input stream s) double-buffer one pixel of
// Cs words each. In cycle t of a pixel, output stream s emits the channel order[t][s] (its position in
// the natural order: bank order mod S, address order div S). The emitter chooses the order so that
// each cycle reads S distinct banks (an edge colouring); the conv weights follow the same order.
// Latency: one pixel. Config: data_t; streams; channels (per stream); pixels.
template <class Cfg>
void chan_permute(hls::stream<typename Cfg::data_t> in[Cfg::streams], hls::stream<typename Cfg::data_t> out[Cfg::streams],
                  const ap_uint<16> order[Cfg::channels][Cfg::streams], int batch) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable=order complete dim=2
  typedef typename Cfg::data_t data_t;
  const unsigned S = Cfg::streams, CS = Cfg::channels;
  data_t bank[2][S][CS];
#pragma HLS ARRAY_PARTITION variable=bank complete dim=1
#pragma HLS ARRAY_PARTITION variable=bank complete dim=2
#pragma HLS DEPENDENCE variable=bank type=inter false
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned n = 0, t = 0;  // pixel being written, cycle within the pixel
  word_loop:
    for (unsigned it = 0; it < (Cfg::pixels + 1) * CS; ++it) {
#pragma HLS PIPELINE II=1
      if (n < Cfg::pixels) {
        for (unsigned s = 0; s < S; ++s) {
#pragma HLS UNROLL
          bank[n & 1][s][t] = in[s].read();
        }
      }
      if (n >= 1) {
        for (unsigned s = 0; s < S; ++s) {
#pragma HLS UNROLL
          const unsigned p = order[t][s];
          out[s].write(bank[(n - 1) & 1][p % S][p / S]);
        }
      }
      if (++t == CS) {
        t = 0;
        ++n;
      }
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_STREAM_OPS_HPP
