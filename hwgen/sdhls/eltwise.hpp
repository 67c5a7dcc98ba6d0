// sdhls: element-wise add / mul of two streams (hls.md §4, §8). Our own code.
#ifndef SDHLS_ELTWISE_HPP
#define SDHLS_ELTWISE_HPP

#include "common.hpp"

namespace sdhls {

// The sum (or product) is exact in the widened result type; the assignment to out_t
// (ap_fixed<…, AP_RND, AP_SAT>) is the only narrowing. Each input FIFO is sized by the model's
// buffer_depth (hls.md §7). Config: in0_t; in1_t; out_t; count (words per image and stream); op.
template <class Cfg>
void eltwise(hls::stream<typename Cfg::in0_t>& in0, hls::stream<typename Cfg::in1_t>& in1,
             hls::stream<typename Cfg::out_t>& out, int batch) {
#pragma HLS INLINE off
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      const typename Cfg::in0_t a = in0.read();
      const typename Cfg::in1_t c = in1.read();
      typename Cfg::out_t y;
      if (Cfg::op == eltwise_add) {
        y = a + c;
      } else {
        y = a * c;
      }
      out.write(y);
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_ELTWISE_HPP
