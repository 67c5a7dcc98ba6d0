#pragma once
// Convolution layers assembled from sdhls modules the way the emitter composes them (hls.md §5.1), for
// the conv, sparse and residual testbenches. Dense: [sliding_window] → fork → vdot → accum → glue →
// [bias]; sparse: [sliding_window] → nz_check → sparse_fork → sparse_vdot → sparse_accum → glue → [bias].
#include <type_traits>

#include "hls_test_util.hpp"

namespace hwtest {

template <unsigned H, unsigned W, unsigned C, unsigned F, unsigned K, unsigned S, unsigned P, unsigned CIN,
          unsigned COUT, unsigned FINE, bool BIAS, bool SKIP = true>
struct conv_layer {
  static const unsigned rows = H, cols = W, channels = C, filters = F, kernel = K, stride = S, pad = P;
  static const unsigned coarse_in = CIN, coarse_out = COUT, fine = FINE;
  static const bool has_bias = BIAS, skip = SKIP;
  static const unsigned CS = C / CIN, FL = F / COUT, K2 = K * K;
  static const unsigned out_rows = (H + 2 * P - K) / S + 1, out_cols = (W + 2 * P - K) / S + 1;
  static const unsigned PIXELS = out_rows * out_cols;
  static const bool windowed = !(K == 1 && S == 1 && P == 0);
  // Accumulator from bit growth (hls.md §8): I = 8 + 8 + ⌈log2(C·K²)⌉ + 1, F = 16.
  static const int ACC_I = 17 + int(sdhls::clog2(C * K * K));
  typedef ap_fixed<ACC_I + 16, ACC_I> acc_t;
  typedef sdhls::window<data_t, K, K> win_t;
  typedef typename std::conditional<windowed, win_t, data_t>::type input_t;
  typedef typename std::conditional<BIAS, acc_t, data_t>::type glue_out_t;
  static const unsigned DEPTH = CS * FL * (K2 / (K2 % FINE == 0 ? FINE : 1));
  static_assert(C % CIN == 0 && F % COUT == 0, "folding must divide");

  struct sw_cfg {
    typedef hwtest::data_t data_t;
    static const unsigned rows = H, cols = W, channels = CS;
    static const unsigned kernel_rows = K, kernel_cols = K, stride_rows = S, stride_cols = S;
    static const unsigned pad_top = P, pad_bottom = P, pad_left = P, pad_right = P;
  };
  struct fork_cfg {
    typedef conv_layer::input_t token_t;
    static const unsigned outputs = COUT, tokens = PIXELS * CS;
  };
  struct vdot_cfg {
    typedef conv_layer::input_t input_t;
    typedef hwtest::weight_t weight_t;
    typedef conv_layer::acc_t acc_t;
    static const unsigned kernel_size = K2, fine = FINE, channels = CS, filters = FL, pixels = PIXELS;
  };
  struct accum_cfg {
    typedef conv_layer::acc_t acc_t;
    static const unsigned channels = CS, filters = FL, pixels = PIXELS;
  };
  struct glue_cfg {
    typedef conv_layer::acc_t acc_t;
    typedef glue_out_t out_t;
    static const unsigned coarse_in = CIN, filters = FL, pixels = PIXELS;
  };
  struct bias_cfg {
    typedef conv_layer::acc_t acc_t;
    typedef conv_layer::acc_t bias_t;
    typedef hwtest::data_t out_t;
    static const unsigned filters = FL, pixels = PIXELS;
  };
  // Sparse modules.
  typedef sdhls::sp_token<data_t, K2, CS> token_t;
  typedef sdhls::psum_token<acc_t, FL> psum_t;
  struct nz_cfg {
    typedef conv_layer::input_t input_t;
    typedef hwtest::data_t data_t;
    static const unsigned kernel_size = K2, channels = CS, pixels = PIXELS;
    static const bool skip = SKIP;
  };
  struct sparse_fork_cfg {
    typedef conv_layer::token_t token_t;
    static const unsigned outputs = COUT, pixels = PIXELS, channels = CS;
  };
  struct sparse_vdot_cfg {
    typedef hwtest::data_t data_t;
    typedef hwtest::weight_t weight_t;
    typedef conv_layer::acc_t acc_t;
    static const unsigned kernel_size = K2, fine = FINE, channels = CS, filters = FL, pixels = PIXELS;
  };
  struct sparse_accum_cfg {
    typedef conv_layer::acc_t acc_t;
    static const unsigned filters = FL, channels = CS, pixels = PIXELS;
  };

  struct dense_weights {
    weight_t w[CIN][COUT][DEPTH][FINE];
    acc_t b[COUT][FL];
  };
  struct sparse_weights {
    weight_t w[CIN][COUT][CS * FL][K2];
    acc_t b[COUT][FL];
  };
};

// Random layer data: images (raw, HWC), weights w[f][c][k] and biases at the accumulator format.
struct ConvData {
  std::vector<Tensor> inputs;
  std::vector<std::int64_t> weights, bias;
};

template <class L>
ConvData random_conv_data(std::mt19937_64& rng, int batch, double zeros, std::int64_t data_range,
                          std::int64_t weight_range) {
  ConvData d;
  for (int b = 0; b < batch; ++b)
    d.inputs.push_back(random_tensor(L::rows, L::cols, L::channels, rng, zeros, -data_range, data_range));
  std::uniform_int_distribution<std::int64_t> w(-weight_range, weight_range), bias(-(1 << 20), 1 << 20);
  d.weights.resize(std::size_t(L::filters) * L::channels * L::K2);
  for (auto& x : d.weights) x = w(rng);
  if (L::has_bias) {
    d.bias.resize(L::filters);
    for (auto& x : d.bias) x = bias(rng);
  }
  return d;
}

template <class L>
Tensor reference_of(const ConvData& d, int b) {
  Geometry g;
  g.kr = g.kc = L::kernel;
  g.sr = g.sc = L::stride;
  g.pt = g.pb = g.pl = g.pr = L::pad;
  return conv_reference(d.inputs[std::size_t(b)], kData, d.weights, kData, d.bias, L::filters, g, kData);
}

// Weight ROM of vector dot (i, o), hls.md §3.2: w[(ci·Fl + fo)·(K²/fine) + q][l] = w[f][c][q·fine + l].
template <class L>
void fill_dense_weights(const std::vector<std::int64_t>& w, const std::vector<std::int64_t>& bias,
                        typename L::dense_weights& out) {
  const unsigned chunks = L::K2 / L::fine;
  for (unsigned i = 0; i < L::coarse_in; ++i)
    for (unsigned o = 0; o < L::coarse_out; ++o)
      for (unsigned ci = 0; ci < L::CS; ++ci)
        for (unsigned fo = 0; fo < L::FL; ++fo)
          for (unsigned q = 0; q < chunks; ++q)
            for (unsigned l = 0; l < L::fine; ++l) {
              const unsigned c = ci * L::coarse_in + i, f = fo * L::coarse_out + o, k = q * L::fine + l;
              out.w[i][o][(ci * L::FL + fo) * chunks + q][l] =
                  from_raw<weight_t>(w[(std::size_t(f) * L::channels + c) * L::K2 + k]);
            }
  for (unsigned o = 0; o < L::coarse_out; ++o)
    for (unsigned fo = 0; fo < L::FL; ++fo)
      out.b[o][fo] = from_raw<typename L::acc_t>(bias.empty() ? 0 : bias[fo * L::coarse_out + o]);
}

// Sparse weight ROM (hls.md §9.3): w[ci·Fl + fo][k] = w[f][c][k], one K²-wide word per (channel, filter).
template <class L>
void fill_sparse_weights(const std::vector<std::int64_t>& w, const std::vector<std::int64_t>& bias,
                         typename L::sparse_weights& out) {
  for (unsigned i = 0; i < L::coarse_in; ++i)
    for (unsigned o = 0; o < L::coarse_out; ++o)
      for (unsigned ci = 0; ci < L::CS; ++ci)
        for (unsigned fo = 0; fo < L::FL; ++fo)
          for (unsigned k = 0; k < L::K2; ++k) {
            const unsigned c = ci * L::coarse_in + i, f = fo * L::coarse_out + o;
            out.w[i][o][ci * L::FL + fo][k] = from_raw<weight_t>(w[(std::size_t(f) * L::channels + c) * L::K2 + k]);
          }
  for (unsigned o = 0; o < L::coarse_out; ++o)
    for (unsigned fo = 0; fo < L::FL; ++fo)
      out.b[o][fo] = from_raw<typename L::acc_t>(bias.empty() ? 0 : bias[fo * L::coarse_out + o]);
}

// Glue → bias (or glue alone, which then casts): the output lanes of a conv.
template <class L>
void conv_tail(hls::stream<typename L::acc_t> (&sums)[L::coarse_out][L::coarse_in],
               hls::stream<typename L::glue_out_t> (&glued)[L::coarse_out], hls::stream<data_t> (&out)[L::coarse_out],
               const typename L::acc_t (&b)[L::coarse_out][L::FL], int batch) {
  for (unsigned o = 0; o < L::coarse_out; ++o) {
    if constexpr (L::has_bias) {
      SDHLS_DATAFLOW(sdhls::glue<typename L::glue_cfg>, sums[o], glued[o], batch);
      SDHLS_DATAFLOW(sdhls::bias<typename L::bias_cfg>, glued[o], out[o], b[o], batch);
    } else {
      SDHLS_DATAFLOW(sdhls::glue<typename L::glue_cfg>, sums[o], out[o], batch);
    }
  }
}

template <class L>
void dense_conv(hls::stream<data_t> (&in)[L::coarse_in], hls::stream<data_t> (&out)[L::coarse_out],
                const typename L::dense_weights& wts, int batch) {
  typedef typename L::input_t input_t;
  typedef typename L::acc_t acc_t;
  hls::stream<input_t> win[L::coarse_in];
  hls::stream<input_t> forked[L::coarse_in][L::coarse_out];
  hls::stream<acc_t> psum[L::coarse_in][L::coarse_out];
  hls::stream<acc_t> sums[L::coarse_out][L::coarse_in];
  hls::stream<typename L::glue_out_t> glued[L::coarse_out];
  SDHLS_STREAM(win, 2);
  SDHLS_STREAM(forked, 2);
  SDHLS_STREAM(psum, 2);
  SDHLS_STREAM(sums, 2);
  SDHLS_STREAM(glued, 2);
  for (unsigned i = 0; i < L::coarse_in; ++i) {
    if constexpr (L::windowed) {
      SDHLS_DATAFLOW(sdhls::sliding_window<typename L::sw_cfg>, in[i], win[i], batch);
      SDHLS_DATAFLOW(sdhls::fork<typename L::fork_cfg>, win[i], forked[i], batch);
    } else {
      SDHLS_DATAFLOW(sdhls::fork<typename L::fork_cfg>, in[i], forked[i], batch);
    }
  }
  for (unsigned i = 0; i < L::coarse_in; ++i)
    for (unsigned o = 0; o < L::coarse_out; ++o) {
      SDHLS_DATAFLOW(sdhls::vdot<typename L::vdot_cfg>, forked[i][o], psum[i][o], wts.w[i][o], batch);
      SDHLS_DATAFLOW(sdhls::accum<typename L::accum_cfg>, psum[i][o], sums[o][i], batch);
    }
  conv_tail<L>(sums, glued, out, wts.b, batch);
  SDHLS_DATAFLOW_END();
}

template <class L>
void sparse_conv(hls::stream<data_t> (&in)[L::coarse_in], hls::stream<data_t> (&out)[L::coarse_out],
                 const typename L::sparse_weights& wts, int batch) {
  typedef typename L::input_t input_t;
  typedef typename L::acc_t acc_t;
  hls::stream<input_t> win[L::coarse_in];
  hls::stream<typename L::token_t> tokens[L::coarse_in];
  hls::stream<typename L::token_t> forked[L::coarse_in][L::coarse_out];
  hls::stream<typename L::psum_t> psum[L::coarse_in][L::coarse_out];
  hls::stream<acc_t> sums[L::coarse_out][L::coarse_in];
  hls::stream<typename L::glue_out_t> glued[L::coarse_out];
  SDHLS_STREAM(win, 2);
  SDHLS_STREAM(tokens, 2);
  SDHLS_STREAM(forked, 4);           // hls.md §7: sparse fork outputs
  SDHLS_STREAM(psum, 2);
  SDHLS_STREAM(sums, 2 * L::FL);     // sparse_accum → glue: one pixel of slack
  SDHLS_STREAM(glued, 2);
  for (unsigned i = 0; i < L::coarse_in; ++i) {
    if constexpr (L::windowed) {
      SDHLS_DATAFLOW(sdhls::sliding_window<typename L::sw_cfg>, in[i], win[i], batch);
      SDHLS_DATAFLOW(sdhls::nz_check<typename L::nz_cfg>, win[i], tokens[i], batch);
    } else {
      SDHLS_DATAFLOW(sdhls::nz_check<typename L::nz_cfg>, in[i], tokens[i], batch);
    }
    SDHLS_DATAFLOW(sdhls::sparse_fork<typename L::sparse_fork_cfg>, tokens[i], forked[i], batch);
  }
  for (unsigned i = 0; i < L::coarse_in; ++i)
    for (unsigned o = 0; o < L::coarse_out; ++o) {
      SDHLS_DATAFLOW(sdhls::sparse_vdot<typename L::sparse_vdot_cfg>, forked[i][o], psum[i][o], wts.w[i][o], batch);
      SDHLS_DATAFLOW(sdhls::sparse_accum<typename L::sparse_accum_cfg>, psum[i][o], sums[o][i], batch);
    }
  conv_tail<L>(sums, glued, out, wts.b, batch);
  SDHLS_DATAFLOW_END();
}

}  // namespace hwtest
