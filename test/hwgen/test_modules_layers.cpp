// Module testbenches: relu, threshold_relu (t on and off the grid), pool (max / avg, through the
// sliding window), global_pool and eltwise, bit-exact against references on the fixed-point contract.
#include <catch2/catch.hpp>

#include <algorithm>

#include "hls_test_util.hpp"

using namespace hwtest;
using sparsedse::FixedFormat;

namespace {

template <int NUM, int DEN>
struct threshold_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned count = 300;
  static constexpr double threshold = double(NUM) / DEN;
};
struct relu_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned count = 300;
};

template <class Cfg>
void check_threshold(std::mt19937_64& rng) {
  const double t = Cfg::threshold;
  const Tensor x = random_tensor(1, 1, Cfg::count, rng, 0.1, -400, 400);  // around the thresholds
  hls::stream<data_t> in[1], out[1];
  push(x, in);
  sdhls::threshold_relu<Cfg>(in[0], out[0], 1);
  for (unsigned i = 0; i < Cfg::count; ++i) {
    const std::int64_t v = x.raw[i];
    const std::int64_t y = out[0].read().raw();
    REQUIRE(y == (double(v) / 256 > t ? v : 0));  // the real-valued definition
    REQUIRE(y == (v > sparsedse::quantize_threshold(t, kData) ? v : 0));
  }
  CHECK(all_empty(out));
}

TEST_CASE("threshold_relu compares with the floor-quantised threshold, exactly as with the real one",
          "[hwgen][module]") {
  std::mt19937_64 rng(4);
  check_threshold<threshold_cfg<1, 2>>(rng);     // 0.5, on the grid
  check_threshold<threshold_cfg<1, 10>>(rng);    // 0.1, off the grid
  check_threshold<threshold_cfg<-3, 10>>(rng);   // negative
  check_threshold<threshold_cfg<1, 1000>>(rng);  // below one LSB
  check_threshold<threshold_cfg<0, 1>>(rng);     // plain ReLU
  const Tensor x = random_tensor(1, 1, 300, rng, 0.1);
  hls::stream<data_t> in[1], out[1];
  push(x, in);
  sdhls::relu<relu_cfg>(in[0], out[0], 1);
  for (unsigned i = 0; i < 300; ++i) REQUIRE(out[0].read().raw() == std::max<std::int64_t>(x.raw[i], 0));
}

// --- pooling --------------------------------------------------------------------------------------

template <unsigned H, unsigned W, unsigned CS, unsigned K, unsigned S, unsigned P, sdhls::pool_op OP>
struct pool_layer {
  struct sw {
    typedef hwtest::data_t data_t;
    static const unsigned rows = H, cols = W, channels = CS;
    static const unsigned kernel_rows = K, kernel_cols = K, stride_rows = S, stride_cols = S;
    static const unsigned pad_top = P, pad_bottom = P, pad_left = P, pad_right = P;
  };
  struct pool {
    typedef hwtest::data_t data_t;
    typedef hwtest::data_t out_t;
    static const unsigned kernel_rows = K, kernel_cols = K;
    static const unsigned count = ((H + 2 * P - K) / S + 1) * ((W + 2 * P - K) / S + 1) * CS;
    static const sdhls::pool_op op = OP;
  };
};

template <class L>
void check_pool(std::mt19937_64& rng) {
  typedef typename L::sw sw;
  Geometry g;
  g.kr = g.kc = sw::kernel_rows;
  g.sr = g.sc = sw::stride_rows;
  g.pt = g.pb = g.pl = g.pr = sw::pad_top;
  const Tensor x = random_tensor(sw::rows, sw::cols, sw::channels, rng, 0.2);
  hls::stream<data_t> in[1];
  hls::stream<sdhls::window<data_t, sw::kernel_rows, sw::kernel_cols>> win("win");
  hls::stream<data_t> out("out");
  push(x, in);
  SDHLS_DATAFLOW(sdhls::sliding_window<sw>, in[0], win, 1);
  SDHLS_DATAFLOW(sdhls::pool<typename L::pool>, win, out, 1);
  SDHLS_DATAFLOW_END();
  const int n = g.kr * g.kc;
  for (int y = 0; y < g.out_rows(x.rows); ++y)
    for (int c = 0; c < g.out_cols(x.cols); ++c)
      for (int ch = 0; ch < x.channels; ++ch) {
        std::int64_t mx = padded(x, g, y * g.sr, c * g.sc, ch), sum = 0;
        for (int kr = 0; kr < g.kr; ++kr)
          for (int kc = 0; kc < g.kc; ++kc) {
            const std::int64_t v = padded(x, g, y * g.sr + kr, c * g.sc + kc, ch);
            mx = std::max(mx, v);
            sum += v;
          }
        const std::int64_t expected =
            L::pool::op == sdhls::pool_max ? mx : sparsedse::average_raw(sum, kData, n, kData);
        REQUIRE(out.read().raw() == expected);
      }
  REQUIRE(out.empty());
}

TEST_CASE("pool (max / avg) after the sliding window matches the reference", "[hwgen][module]") {
  std::mt19937_64 rng(5);
  check_pool<pool_layer<6, 6, 3, 2, 2, 0, sdhls::pool_max>>(rng);
  check_pool<pool_layer<5, 5, 2, 3, 1, 1, sdhls::pool_avg>>(rng);
  check_pool<pool_layer<7, 7, 2, 3, 2, 1, sdhls::pool_max>>(rng);  // pads are zeros
  check_pool<pool_layer<4, 4, 2, 2, 2, 0, sdhls::pool_avg>>(rng);  // 1/4 is exact
}

template <unsigned H, unsigned W, unsigned CS, sdhls::pool_op OP, class OUT>
struct gpool_cfg {
  typedef hwtest::data_t data_t;
  typedef OUT out_t;
  static const unsigned rows = H, cols = W, channels = CS;
  static const sdhls::pool_op op = OP;
};

template <class Cfg>
void check_global_pool(std::mt19937_64& rng, FixedFormat out_fmt) {
  const int batch = 2;
  std::vector<Tensor> xs;
  hls::stream<data_t> in[1];
  for (int b = 0; b < batch; ++b) {
    xs.push_back(random_tensor(Cfg::rows, Cfg::cols, Cfg::channels, rng, 0.1));
    push(xs.back(), in);
  }
  hls::stream<typename Cfg::out_t> out;
  sdhls::global_pool<Cfg>(in[0], out, batch);
  for (int b = 0; b < batch; ++b)
    for (unsigned c = 0; c < Cfg::channels; ++c) {
      std::int64_t mx = xs[b].at(0, 0, int(c)), sum = 0;
      for (unsigned r = 0; r < Cfg::rows; ++r)
        for (unsigned col = 0; col < Cfg::cols; ++col) {
          mx = std::max(mx, xs[b].at(int(r), int(col), int(c)));
          sum += xs[b].at(int(r), int(col), int(c));
        }
      const std::int64_t expected = Cfg::op == sdhls::pool_max
                                        ? sparsedse::requantize(mx, kData.frac, out_fmt)
                                        : sparsedse::average_raw(sum, kData, Cfg::rows * Cfg::cols, out_fmt);
      REQUIRE(out.read().raw() == expected);
    }
  REQUIRE(out.empty());
}

TEST_CASE("global_pool averages with the 1/(H·W) constant and casts once", "[hwgen][module]") {
  std::mt19937_64 rng(6);
  typedef ap_fixed<12, 6, AP_RND, AP_SAT> narrow_t;  // 6 fraction bits: the cast rounds and saturates
  check_global_pool<gpool_cfg<4, 3, 3, sdhls::pool_avg, data_t>>(rng, kData);
  check_global_pool<gpool_cfg<7, 7, 2, sdhls::pool_avg, data_t>>(rng, kData);
  check_global_pool<gpool_cfg<4, 3, 3, sdhls::pool_max, narrow_t>>(rng, FixedFormat{12, 6, true});
  check_global_pool<gpool_cfg<2, 2, 4, sdhls::pool_avg, narrow_t>>(rng, FixedFormat{12, 6, true});
}

// --- eltwise -----------------------------------------------------------------------------------------

template <class IN1, sdhls::eltwise_op OP>
struct eltwise_cfg {
  typedef hwtest::data_t in0_t;
  typedef IN1 in1_t;
  typedef hwtest::data_t out_t;
  static const unsigned count = 500;
  static const sdhls::eltwise_op op = OP;
};

template <sdhls::eltwise_op OP>
struct small_eltwise {
  typedef hwtest::data_t in0_t;
  typedef hwtest::data_t in1_t;
  typedef hwtest::data_t out_t;
  static const unsigned count = OP == sdhls::eltwise_add ? 1 : 2;
  static const sdhls::eltwise_op op = OP;
};

template <class Cfg>
void check_eltwise(std::mt19937_64& rng, int in1_frac) {
  const Tensor a = random_tensor(1, 1, Cfg::count, rng);
  const Tensor b = random_tensor(1, 1, Cfg::count, rng);
  hls::stream<data_t> in0[1];
  hls::stream<typename Cfg::in1_t> in1[1];
  hls::stream<data_t> out;
  push(a, in0);
  push(b, in1);
  sdhls::eltwise<Cfg>(in0[0], in1[0], out, 1);
  const int frac = std::max(8, in1_frac);
  for (unsigned i = 0; i < Cfg::count; ++i) {
    const std::int64_t x = a.raw[i], y = b.raw[i];
    const std::int64_t expected =
        Cfg::op == sdhls::eltwise_add
            ? sparsedse::requantize((x << (frac - 8)) + (y << (frac - in1_frac)), frac, kData)
            : sparsedse::requantize(x * y, 8 + in1_frac, kData);
    REQUIRE(out.read().raw() == expected);
  }
}

TEST_CASE("eltwise adds / multiplies exactly, then rounds and saturates once", "[hwgen][module]") {
  std::mt19937_64 rng(7);
  check_eltwise<eltwise_cfg<data_t, sdhls::eltwise_add>>(rng, 8);  // full-range inputs: saturation
  check_eltwise<eltwise_cfg<data_t, sdhls::eltwise_mul>>(rng, 8);
  check_eltwise<eltwise_cfg<ap_fixed<16, 6, AP_RND, AP_SAT>, sdhls::eltwise_add>>(rng, 10);  // aligned
  check_eltwise<eltwise_cfg<ap_fixed<16, 6, AP_RND, AP_SAT>, sdhls::eltwise_mul>>(rng, 10);
  // Hand-checked: 100 + 100 saturates to 127.99609375; 0.5·(−0.00390625) = −2^-9 rounds (ties up) to 0;
  // 0.5·(−0.01171875) = −3·2^-9 = −1.5 LSB rounds to −1 LSB.
  hls::stream<data_t> p("p"), q("q"), r("r");
  p.write(100.0);
  q.write(100.0);
  sdhls::eltwise<small_eltwise<sdhls::eltwise_add>>(p, q, r, 1);
  CHECK(r.read().to_double() == 127.99609375);
  p.write(0.5);
  q.write(-0.00390625);
  p.write(0.5);
  q.write(-0.01171875);
  sdhls::eltwise<small_eltwise<sdhls::eltwise_mul>>(p, q, r, 1);
  CHECK(r.read().to_double() == 0.0);
  CHECK(r.read().to_double() == -0.00390625);
}

}  // namespace
