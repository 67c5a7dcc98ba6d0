// sdhls: pad + sliding window (hls.md §4, model.md §4.3 rows 0–1). Our own code.
#ifndef SDHLS_SLIDING_WINDOW_HPP
#define SDHLS_SLIDING_WINDOW_HPP

#include "common.hpp"

namespace sdhls {

// One stream of an H×W×Cs feature map (order row, col, channel) → Ho·Wo·Cs windows (order pixel,
// channel). The loop walks the padded map, one word per cycle: pad words are injected (not read),
// Kr−1 line buffers of Wp·Cs words hold the previous rows, a per-channel column buffer holds the
// previous Kc−1 window columns, and the stride filters which complete windows are emitted.
// Config: data_t; rows; cols; channels (per stream); kernel_rows; kernel_cols; stride_rows;
// stride_cols; pad_top; pad_bottom; pad_left; pad_right.
template <class Cfg>
void sliding_window(hls::stream<typename Cfg::data_t>& in,
                    hls::stream<window<typename Cfg::data_t, Cfg::kernel_rows, Cfg::kernel_cols> >& out,
                    int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  const unsigned KR = Cfg::kernel_rows, KC = Cfg::kernel_cols, CS = Cfg::channels;
  const unsigned HP = Cfg::rows + Cfg::pad_top + Cfg::pad_bottom;
  const unsigned WP = Cfg::cols + Cfg::pad_left + Cfg::pad_right;
  const unsigned LINES = KR > 1 ? KR - 1 : 1;
  const unsigned PREV_COLS = KC > 1 ? KC - 1 : 1;
  static_assert(HP >= Cfg::kernel_rows && WP >= Cfg::kernel_cols, "sliding_window: kernel larger than padded input");
  static_assert(Cfg::stride_rows >= 1 && Cfg::stride_cols >= 1, "sliding_window: stride must be positive");

  data_t line[LINES][WP * CS];  // line[l][x·Cs + c]: row r−1−l
#pragma HLS ARRAY_PARTITION variable=line complete dim=1
#pragma HLS BIND_STORAGE variable=line type=ram_2p
  data_t prev[CS][PREV_COLS][KR];  // prev[c][j][kr]: window column j (0 = oldest) of channel c
#pragma HLS ARRAY_PARTITION variable=prev complete dim=2
#pragma HLS ARRAY_PARTITION variable=prev complete dim=3

batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
    unsigned r = 0, x = 0, c = 0, a = 0;  // padded row, padded column, channel, line address
  word_loop:
    for (unsigned it = 0; it < HP * WP * CS; ++it) {
#pragma HLS PIPELINE II=1
      const bool pad = r < Cfg::pad_top || r >= Cfg::pad_top + Cfg::rows || x < Cfg::pad_left ||
                       x >= Cfg::pad_left + Cfg::cols;
      data_t v = 0;
      if (!pad) v = in.read();

      data_t col[KR];  // col[kr]: row r − (KR−1−kr) at column x
#pragma HLS ARRAY_PARTITION variable=col complete
      col[KR - 1] = v;
      for (unsigned l = 0; l + 1 < KR; ++l) {
#pragma HLS UNROLL
        col[KR - 2 - l] = line[l][a];
      }
      for (unsigned l = 0; l + 1 < KR; ++l) {
#pragma HLS UNROLL
        line[l][a] = col[KR - 1 - l];
      }

      const bool emit = r + 1 >= KR && x + 1 >= KC && (r + 1 - KR) % Cfg::stride_rows == 0 &&
                        (x + 1 - KC) % Cfg::stride_cols == 0;
      if (emit) {
        window<data_t, Cfg::kernel_rows, Cfg::kernel_cols> w;
        for (unsigned kr = 0; kr < KR; ++kr) {
#pragma HLS UNROLL
          for (unsigned kc = 0; kc < KC; ++kc) {
#pragma HLS UNROLL
            w.v[kr * KC + kc] = kc + 1 < KC ? prev[c][kc][kr] : col[kr];
          }
        }
        out.write(w);
      }
      if (KC > 1) {
        for (unsigned kr = 0; kr < KR; ++kr) {
#pragma HLS UNROLL
          for (unsigned j = 0; j + 2 < KC; ++j) {
#pragma HLS UNROLL
            prev[c][j][kr] = prev[c][j + 1][kr];
          }
          prev[c][PREV_COLS - 1][kr] = col[kr];
        }
      }

      ++a;
      if (++c == CS) {
        c = 0;
        if (++x == WP) {
          x = 0;
          a = 0;
          ++r;
        }
      }
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_SLIDING_WINDOW_HPP
