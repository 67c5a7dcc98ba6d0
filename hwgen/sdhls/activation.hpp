// sdhls: ReLU and thresholded ReLU (hls.md §4, §8; model.md §8.1). Our own code.
#ifndef SDHLS_ACTIVATION_HPP
#define SDHLS_ACTIVATION_HPP

#include "common.hpp"

namespace sdhls {

// y = x > 0 ? x : 0. Config: data_t; count (words per image and stream).
template <class Cfg>
void relu(hls::stream<typename Cfg::data_t>& in, hls::stream<typename Cfg::data_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      const data_t x = in.read();
      const data_t zero = 0;
      out.write(x > zero ? x : zero);
    }
  }
}

// y = x > t ? x : 0 with t quantised to the data grid by floor and saturation (AP_TRN, AP_SAT), so the
// comparison is exact with respect to the real threshold (hls.md §8).
// Config: data_t; count; static constexpr double threshold.
template <class Cfg>
void threshold_relu(hls::stream<typename Cfg::data_t>& in, hls::stream<typename Cfg::data_t>& out, int batch) {
#pragma HLS INLINE off
  typedef typename Cfg::data_t data_t;
  typedef ap_fixed<data_t::width, data_t::iwidth, AP_TRN, AP_SAT> threshold_t;
  const double t_real = Cfg::threshold;
  const data_t t = threshold_t(t_real);
batch_loop:
  for (int b = 0; b < batch; ++b) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=256
  word_loop:
    for (unsigned i = 0; i < Cfg::count; ++i) {
#pragma HLS PIPELINE II=1
      const data_t x = in.read();
      const data_t zero = 0;
      out.write(x > t ? x : zero);
    }
  }
}

}  // namespace sdhls

#endif  // SDHLS_ACTIVATION_HPP
