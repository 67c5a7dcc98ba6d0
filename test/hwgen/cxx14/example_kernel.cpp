// See example_kernel.hpp. Built with -std=c++14; a second object is built with -D__SYNTHESIS__.
#include "example_kernel.hpp"

#include "sdhls/sdhls.hpp"

namespace {

typedef ap_fixed<16, 8, AP_RND, AP_SAT> data_t;
typedef ap_fixed<16, 8> weight_t;
typedef ap_fixed<example::kAccWidth, example::kAccInt> acc_t;
typedef sdhls::window<data_t, 3, 3> window_t;

struct mem_cfg {
  typedef ::data_t data_t;
  static const unsigned streams = 2, words = 8 * 8 * 4;
};
struct out_cfg {
  typedef ::data_t data_t;
  static const unsigned streams = 2, words = 8 * 8 * 4;
};
struct sw_cfg {
  typedef ::data_t data_t;
  static const unsigned rows = 8, cols = 8, channels = 2, kernel_rows = 3, kernel_cols = 3;
  static const unsigned stride_rows = 1, stride_cols = 1, pad_top = 1, pad_bottom = 1, pad_left = 1, pad_right = 1;
};
struct fork_cfg {
  typedef window_t token_t;
  static const unsigned outputs = 2, tokens = 64 * 2;
};
struct vdot_cfg {
  typedef window_t input_t;
  typedef ::weight_t weight_t;
  typedef ::acc_t acc_t;
  static const unsigned kernel_size = 9, fine = 3, channels = 2, filters = 2, pixels = 64;
};
struct accum_cfg {
  typedef ::acc_t acc_t;
  static const unsigned channels = 2, filters = 2, pixels = 64;
};
struct glue_cfg {
  typedef ::acc_t acc_t;
  typedef ::acc_t out_t;
  static const unsigned coarse_in = 2, filters = 2, pixels = 64;
};
struct bias_cfg {
  typedef ::acc_t acc_t;
  typedef ::acc_t bias_t;
  typedef ::data_t out_t;
  static const unsigned filters = 2, pixels = 64;
};
struct relu_cfg {
  typedef ::data_t data_t;
  static const unsigned count = 8 * 8 * 2;
  static constexpr double threshold = example::kThreshold;
};

#ifndef __SYNTHESIS__
// Declared here and filled by the testbench's loader (a ROM initialiser under synthesis).
weight_t conv_w[2][2][example::kDepth][3];
acc_t conv_b[2][2];
#else
const weight_t conv_w[2][2][example::kDepth][3] = {};
const acc_t conv_b[2][2] = {};
#endif

}  // namespace

#ifndef __SYNTHESIS__
void example::load_weights(const std::int64_t* weights, const std::int64_t* bias) {
  // hls.md §3.2: w[i][o][(ci·Fl + fo)·(K²/fine) + q][l] = w[f][c][q·fine + l], c = ci·cin + i, f = fo·cout + o.
  for (unsigned i = 0; i < kCin; ++i)
    for (unsigned o = 0; o < kCout; ++o)
      for (unsigned ci = 0; ci < kCs; ++ci)
        for (unsigned fo = 0; fo < kFl; ++fo)
          for (unsigned q = 0; q < kChunks; ++q)
            for (unsigned l = 0; l < kFine; ++l) {
              const unsigned c = ci * kCin + i, f = fo * kCout + o, k = q * kFine + l;
              conv_w[i][o][(ci * kFl + fo) * kChunks + q][l].range(15, 0) =
                  ap_uint<16>(weights[(f * kChannels + c) * 9 + k]);
            }
  for (unsigned o = 0; o < kCout; ++o)
    for (unsigned fo = 0; fo < kFl; ++fo) conv_b[o][fo].range() = ap_uint<kAccWidth>(bias[fo * kCout + o]);
}
#define KERNEL_NAME example_kernel
#else
#define KERNEL_NAME example_kernel_synthesis_build
#endif

void KERNEL_NAME(const ap_uint<512>* in, ap_uint<512>* out, int batch) {
#pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem0 max_read_burst_length=64 num_read_outstanding=16
#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem1
#pragma HLS INTERFACE s_axilite port=batch bundle=control
#pragma HLS INTERFACE s_axilite port=return bundle=control
#pragma HLS DATAFLOW
#pragma HLS ARRAY_PARTITION variable=conv_w complete dim=1
#pragma HLS ARRAY_PARTITION variable=conv_w complete dim=2
#pragma HLS ARRAY_PARTITION variable=conv_w complete dim=4
  hls::stream<data_t> s_in[2];
  hls::stream<window_t> s_win[2];
  hls::stream<window_t> s_fork[2][2];
  hls::stream<acc_t> s_psum[2][2];
  hls::stream<acc_t> s_acc[2][2];
  hls::stream<acc_t> s_glue[2];
  hls::stream<data_t> s_conv[2];
  hls::stream<data_t> s_relu[2];
  SDHLS_STREAM(s_in, 256);
  SDHLS_STREAM(s_win, 2);
  SDHLS_STREAM(s_fork, 2);
  SDHLS_STREAM(s_psum, 2);
  SDHLS_STREAM(s_acc, 2);
  SDHLS_STREAM(s_glue, 2);
  SDHLS_STREAM(s_conv, 2);
  SDHLS_STREAM(s_relu, 2);
  SDHLS_DATAFLOW(sdhls::mem_read<mem_cfg>, in, s_in, batch);
  for (unsigned i = 0; i < 2; ++i) {
#pragma HLS UNROLL
    SDHLS_DATAFLOW(sdhls::sliding_window<sw_cfg>, s_in[i], s_win[i], batch);
    SDHLS_DATAFLOW(sdhls::fork<fork_cfg>, s_win[i], s_fork[i], batch);
  }
  for (unsigned i = 0; i < 2; ++i) {
#pragma HLS UNROLL
    for (unsigned o = 0; o < 2; ++o) {
#pragma HLS UNROLL
      SDHLS_DATAFLOW(sdhls::vdot<vdot_cfg>, s_fork[i][o], s_psum[i][o], conv_w[i][o], batch);
      SDHLS_DATAFLOW(sdhls::accum<accum_cfg>, s_psum[i][o], s_acc[o][i], batch);
    }
  }
  for (unsigned o = 0; o < 2; ++o) {
#pragma HLS UNROLL
    SDHLS_DATAFLOW(sdhls::glue<glue_cfg>, s_acc[o], s_glue[o], batch);
    SDHLS_DATAFLOW(sdhls::bias<bias_cfg>, s_glue[o], s_conv[o], conv_b[o], batch);
    SDHLS_DATAFLOW(sdhls::threshold_relu<relu_cfg>, s_conv[o], s_relu[o], batch);
  }
  SDHLS_DATAFLOW(sdhls::mem_write<out_cfg>, s_relu, out, batch);
  SDHLS_DATAFLOW_END();
}
