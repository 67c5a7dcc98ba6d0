// sdhls: off-chip ports — mem_read, mem_write, wr_load (hls.md §3.3, §4, §5.2). Our own code.
#ifndef SDHLS_MEM_HPP
#define SDHLS_MEM_HPP

#include "common.hpp"

namespace sdhls {

// Port packing (hls.md §3.3): word j of an image (NHWC, channels fastest) sits in beat j / L, bits
// [(j mod L)·dw, (j mod L)·dw + dw), L = 512/dw; it belongs to stream j mod S. Each image starts on a
// new beat (⌈words/L⌉ beats per image); unused lanes of the last beat are zero.
// Config: data_t; streams (S ≤ L); words (H·W·C per image, a multiple of S).
template <class Cfg>
void mem_read(const ap_uint<512>* in, hls::stream<typename Cfg::data_t> out[Cfg::streams], int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned DW = data_t::width;
  const unsigned LANES = 512 / DW;
  const unsigned S = Cfg::streams;
  const unsigned GROUPS = Cfg::words / S;
  const unsigned BEATS = (Cfg::words + LANES - 1) / LANES;
  static_assert(Cfg::words % Cfg::streams == 0, "mem_read: words must be a multiple of streams");
  static_assert(Cfg::streams <= 512 / data_t::width, "mem_read: more streams than port lanes");
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    ap_uint<1024> held = 0;  // unread words, lowest first
    unsigned avail = 0;
    unsigned beat = 0;
  group_loop:
    for (unsigned g = 0; g < GROUPS; ++g) {
#pragma HLS PIPELINE II=1
      if (avail < S) {  // at most one beat per group since S ≤ L
        const ap_uint<1024> next = in[b * BEATS + beat];
        held |= next << (avail * DW);
        ++beat;
        avail += LANES;
      }
      for (unsigned s = 0; s < S; ++s) {
#pragma HLS UNROLL
        const ap_uint<DW> bits = held.range(s * DW + DW - 1, s * DW);
        data_t x;
        x.range(DW - 1, 0) = bits;
        out[s].write(x);
      }
      held >>= S * DW;
      avail -= S;
    }
  }
}

// Inverse of mem_read. Config: as mem_read.
template <class Cfg>
void mem_write(hls::stream<typename Cfg::data_t> in[Cfg::streams], ap_uint<512>* out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned DW = data_t::width;
  const unsigned LANES = 512 / DW;
  const unsigned S = Cfg::streams;
  const unsigned GROUPS = Cfg::words / S;
  const unsigned BEATS = (Cfg::words + LANES - 1) / LANES;
  static_assert(Cfg::words % Cfg::streams == 0, "mem_write: words must be a multiple of streams");
  static_assert(Cfg::streams <= 512 / data_t::width, "mem_write: more streams than port lanes");
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    ap_uint<1024> held = 0;  // packed words not yet written, lowest first
    unsigned avail = 0;
    unsigned beat = 0;
  group_loop:
    for (unsigned g = 0; g < GROUPS; ++g) {
#pragma HLS PIPELINE II=1
      ap_uint<512> group = 0;
      for (unsigned s = 0; s < S; ++s) {
#pragma HLS UNROLL
        const data_t x = in[s].read();
        const ap_uint<DW> bits = x.range(DW - 1, 0);
        group.range(s * DW + DW - 1, s * DW) = bits;
      }
      held |= ap_uint<1024>(group) << (avail * DW);
      avail += S;
      if (avail >= LANES) {
        out[b * BEATS + beat] = held.range(511, 0);
        ++beat;
        held >>= 512;
        avail -= LANES;
      }
    }
    if (avail > 0) out[b * BEATS + beat] = held.range(511, 0);  // last, partial beat
  }
}

// Weights reloading (hls.md §5.2, mode = 1): load block `wr_index` into the weight RAM of a layer.
// RAM: weights[i][o][addr][lane] for vector dot (i, o) (hls.md §3.2; sparse: lane = k, depth Cs·Fl).
// Port order of one block: word j = ((addr·cin + i)·cout + o)·lanes + lane, packed as in mem_read;
// block r starts at beat r·⌈depth·cin·cout·lanes / L⌉. One word per cycle, matching the model's
// size_wr cycles per reload (model.md §4.6).
// Config: weight_t; coarse_in; coarse_out; depth; lanes.
template <class Cfg>
void wr_load(const ap_uint<512>* wts,
             typename Cfg::weight_t weights[Cfg::coarse_in][Cfg::coarse_out][Cfg::depth][Cfg::lanes],
             int wr_index) {
#pragma HLS INLINE off
  typedef typename Cfg::weight_t weight_t;
  const unsigned WW = weight_t::width;
  const unsigned LANES = 512 / WW;
  const unsigned WORDS = Cfg::depth * Cfg::coarse_in * Cfg::coarse_out * Cfg::lanes;
  const unsigned BEATS = (WORDS + LANES - 1) / LANES;
  ap_uint<512> beat_bits = 0;
  unsigned lane = 0, beat = 0, addr = 0, i = 0, o = 0, l = 0;
word_loop:
  for (unsigned j = 0; j < WORDS; ++j) {
#pragma HLS PIPELINE II=1
    if (lane == 0) {
      beat_bits = wts[wr_index * BEATS + beat];
      ++beat;
    }
    const ap_uint<WW> bits = beat_bits.range(lane * WW + WW - 1, lane * WW);
    weight_t x;
    x.range(WW - 1, 0) = bits;
    weights[i][o][addr][l] = x;
    lane = lane + 1 == LANES ? 0 : lane + 1;
    if (++l == Cfg::lanes) {
      l = 0;
      if (++o == Cfg::coarse_out) {
        o = 0;
        if (++i == Cfg::coarse_in) {
          i = 0;
          ++addr;
        }
      }
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_MEM_HPP
