// Module testbenches (hls.md §11.4): mem_read / mem_write, sliding_window, fork, split, concat,
// squeeze and chan_permute against direct references, bit-exact, with every stream drained.
#include <catch2/catch.hpp>

#include "hls_test_util.hpp"

using namespace hwtest;

namespace {

// --- mem_read / mem_write -----------------------------------------------------------------------

template <unsigned S, unsigned WORDS>
struct mem_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned streams = S;
  static const unsigned words = WORDS;
};

template <unsigned S, unsigned WORDS>
void check_mem(std::mt19937_64& rng) {
  typedef mem_cfg<S, WORDS> cfg;
  const int batch = 2;
  const unsigned beats = (WORDS + 31) / 32;
  std::vector<ap_uint<512>> port(beats * batch);
  std::vector<std::int64_t> words(WORDS * batch);
  std::uniform_int_distribution<std::int64_t> v(-32768, 32767);
  for (int b = 0; b < batch; ++b)
    for (unsigned j = 0; j < WORDS; ++j) {
      const std::int64_t x = v(rng);
      words[b * WORDS + j] = x;
      port[b * beats + j / 32].range((j % 32) * 16 + 15, (j % 32) * 16) = ap_uint<16>(x);
    }
  hls::stream<data_t> s[S];
  sdhls::mem_read<cfg>(port.data(), s, batch);
  for (int b = 0; b < batch; ++b)
    for (unsigned j = 0; j < WORDS; ++j) REQUIRE(s[j % S].read().raw() == words[b * WORDS + j]);
  REQUIRE(all_empty(s));

  // mem_write is the inverse, including the zero lanes of the last beat.
  for (int b = 0; b < batch; ++b)
    for (unsigned j = 0; j < WORDS; ++j) s[j % S].write(from_raw<data_t>(words[b * WORDS + j]));
  std::vector<ap_uint<512>> back(beats * batch, ap_uint<512>(-1));
  sdhls::mem_write<cfg>(s, back.data(), batch);
  REQUIRE(all_empty(s));
  for (std::size_t i = 0; i < back.size(); ++i) REQUIRE(back[i] == port[i]);
}

TEST_CASE("mem_read / mem_write pack 32 words per 512-bit beat round-robin over the streams", "[hwgen][module]") {
  std::mt19937_64 rng(1);
  check_mem<1, 40>(rng);
  check_mem<3, 48>(rng);   // groups straddle beats; last beat half used
  check_mem<4, 40>(rng);
  check_mem<32, 64>(rng);  // one word per stream per beat
  check_mem<6, 6>(rng);    // a single partial beat
  // Hand-checked layout: word j is lane j of beat j/32.
  ap_uint<512> beat = 0;
  beat.range(15, 0) = 0x0100;    // 1.0
  beat.range(31, 16) = 0xFF00;   // −1.0
  hls::stream<data_t> s[2];
  sdhls::mem_read<mem_cfg<2, 2>>(&beat, s, 1);
  CHECK(s[0].read().to_double() == 1.0);
  CHECK(s[1].read().to_double() == -1.0);
}

// --- sliding_window ---------------------------------------------------------------------------------

template <unsigned H, unsigned W, unsigned CS, unsigned KR, unsigned KC, unsigned SR, unsigned SC, unsigned PT,
          unsigned PB, unsigned PL, unsigned PR>
struct sw_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned rows = H, cols = W, channels = CS;
  static const unsigned kernel_rows = KR, kernel_cols = KC, stride_rows = SR, stride_cols = SC;
  static const unsigned pad_top = PT, pad_bottom = PB, pad_left = PL, pad_right = PR;
};

template <class Cfg>
Geometry geometry() {
  Geometry g;
  g.kr = Cfg::kernel_rows;
  g.kc = Cfg::kernel_cols;
  g.sr = Cfg::stride_rows;
  g.sc = Cfg::stride_cols;
  g.pt = Cfg::pad_top;
  g.pb = Cfg::pad_bottom;
  g.pl = Cfg::pad_left;
  g.pr = Cfg::pad_right;
  return g;
}

template <class Cfg>
void check_sliding_window(std::mt19937_64& rng) {
  typedef sdhls::window<data_t, Cfg::kernel_rows, Cfg::kernel_cols> win_t;
  const Geometry g = geometry<Cfg>();
  const int batch = 2;
  std::vector<Tensor> images;
  hls::stream<data_t> in[1];
  for (int b = 0; b < batch; ++b) {
    images.push_back(random_tensor(Cfg::rows, Cfg::cols, Cfg::channels, rng));
    push(images.back(), in);
  }
  hls::stream<win_t> out("windows");
  sdhls::sliding_window<Cfg>(in[0], out, batch);
  const int ho = g.out_rows(Cfg::rows), wo = g.out_cols(Cfg::cols);
  for (int b = 0; b < batch; ++b)
    for (int y = 0; y < ho; ++y)
      for (int x = 0; x < wo; ++x)
        for (unsigned c = 0; c < Cfg::channels; ++c) {
          const win_t w = out.read();
          for (int kr = 0; kr < g.kr; ++kr)
            for (int kc = 0; kc < g.kc; ++kc) {
              INFO("image " << b << " pixel (" << y << "," << x << ") channel " << c << " k (" << kr << "," << kc
                            << ")");
              REQUIRE(w.v[kr * g.kc + kc].raw() == padded(images[b], g, y * g.sr + kr, x * g.sc + kc, int(c)));
            }
        }
  REQUIRE(out.empty());
  REQUIRE(all_empty(in));
}

TEST_CASE("sliding_window injects padding, applies the stride and emits (pixel, channel) windows", "[hwgen][module]") {
  std::mt19937_64 rng(2);
  check_sliding_window<sw_cfg<5, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1>>(rng);  // same padding
  check_sliding_window<sw_cfg<7, 7, 1, 3, 3, 2, 2, 0, 0, 0, 0>>(rng);  // stride 2, no pad
  check_sliding_window<sw_cfg<6, 5, 3, 5, 5, 1, 1, 2, 2, 2, 2>>(rng);  // K = 5
  check_sliding_window<sw_cfg<5, 4, 2, 1, 3, 1, 2, 0, 0, 1, 1>>(rng);  // 1×3, column stride 2
  check_sliding_window<sw_cfg<4, 4, 2, 1, 1, 2, 2, 0, 0, 0, 0>>(rng);  // 1×1 stride 2
  check_sliding_window<sw_cfg<5, 6, 2, 2, 2, 2, 2, 1, 0, 0, 2>>(rng);  // asymmetric pads, unused last row
  check_sliding_window<sw_cfg<7, 7, 4, 3, 3, 2, 2, 1, 1, 1, 1>>(rng);  // ResNet-style downsampling
}

// --- fork, split, concat ----------------------------------------------------------------------------

struct fork_cfg {
  typedef sdhls::window<data_t, 3, 3> token_t;
  static const unsigned outputs = 3, tokens = 7;
};
struct split_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned outputs = 2, count = 11;
};
struct concat_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned ports = 3, pixels = 4;
  static constexpr unsigned channels(unsigned p) { return p == 0 ? 2 : p == 1 ? 3 : 1; }
};

TEST_CASE("fork and split broadcast every token to every output", "[hwgen][module]") {
  hls::stream<fork_cfg::token_t> in;
  hls::stream<fork_cfg::token_t> out[3];
  for (unsigned b = 0; b < 2; ++b)
    for (unsigned i = 0; i < fork_cfg::tokens; ++i) {
      fork_cfg::token_t t;
      for (unsigned k = 0; k < 9; ++k) t.v[k] = from_raw<data_t>(b * 1000 + i * 10 + k);
      in.write(t);
    }
  sdhls::fork<fork_cfg>(in, out, 2);
  for (unsigned b = 0; b < 2; ++b)
    for (unsigned i = 0; i < fork_cfg::tokens; ++i)
      for (unsigned o = 0; o < 3; ++o) {
        const fork_cfg::token_t t = out[o].read();
        for (unsigned k = 0; k < 9; ++k) REQUIRE(t.v[k].raw() == std::int64_t(b * 1000 + i * 10 + k));
      }
  CHECK(all_empty(out));

  hls::stream<data_t> sin;
  hls::stream<data_t> sout[2];
  for (int i = 0; i < 11; ++i) sin.write(from_raw<data_t>(i - 5));
  sdhls::split<split_cfg>(sin, sout, 1);
  for (int i = 0; i < 11; ++i) {
    CHECK(sout[0].read().raw() == i - 5);
    CHECK(sout[1].read().raw() == i - 5);
  }
  CHECK(all_empty(sout));
}

TEST_CASE("concat copies channels(p) words per pixel from each port in order", "[hwgen][module]") {
  hls::stream<data_t> in[3];
  hls::stream<data_t> out;
  // Port p, pixel n, word j has the value 100·p + 10·n + j.
  for (unsigned p = 0; p < 3; ++p)
    for (unsigned n = 0; n < 4; ++n)
      for (unsigned j = 0; j < concat_cfg::channels(p); ++j) in[p].write(from_raw<data_t>(100 * p + 10 * n + j));
  sdhls::concat<concat_cfg>(in, out, 1);
  for (unsigned n = 0; n < 4; ++n)
    for (unsigned p = 0; p < 3; ++p)
      for (unsigned j = 0; j < concat_cfg::channels(p); ++j) REQUIRE(out.read().raw() == 100 * p + 10 * n + j);
  CHECK(out.empty());
  CHECK(all_empty(in));
}

// --- squeeze ---------------------------------------------------------------------------------------

template <unsigned CIN, unsigned COUT, unsigned WORDS>
struct squeeze_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned coarse_in = CIN, coarse_out = COUT, words = WORDS;
};

template <unsigned CIN, unsigned COUT, unsigned WORDS>
void check_squeeze() {
  hls::stream<data_t> in[CIN];
  hls::stream<data_t> out[COUT];
  const int batch = 2;
  for (int b = 0; b < batch; ++b)
    for (unsigned w = 0; w < WORDS; ++w) in[w % CIN].write(from_raw<data_t>(b * 1000 + w));
  sdhls::squeeze<squeeze_cfg<CIN, COUT, WORDS>>(in, out, batch);
  for (int b = 0; b < batch; ++b)
    for (unsigned w = 0; w < WORDS; ++w) REQUIRE(out[w % COUT].read().raw() == b * 1000 + std::int64_t(w));
  REQUIRE(all_empty(in));
  REQUIRE(all_empty(out));
}

TEST_CASE("squeeze converts the stream width keeping channel c on stream c mod S", "[hwgen][module]") {
  check_squeeze<2, 3, 36>();
  check_squeeze<4, 2, 32>();
  check_squeeze<1, 4, 16>();
  check_squeeze<3, 1, 12>();
  check_squeeze<6, 4, 48>();
}

// --- chan_permute ------------------------------------------------------------------------------------

struct permute_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned streams = 2, channels = 3, pixels = 5;
};

TEST_CASE("chan_permute emits the channel ROM order with one pixel of latency", "[hwgen][module]") {
  // Stream 0 takes channels {0, 3, 5}, stream 1 {1, 2, 4}; every cycle reads one even (bank 0) and one
  // odd (bank 1) channel, as the emitter's edge colouring guarantees.
  const ap_uint<16> order[3][2] = {{0, 1}, {3, 2}, {5, 4}};
  std::mt19937_64 rng(3);
  const Tensor t = random_tensor(1, 5, 6, rng);
  hls::stream<data_t> in[2], out[2];
  push(t, in);
  sdhls::chan_permute<permute_cfg>(in, out, order, 1);
  for (int px = 0; px < 5; ++px)
    for (unsigned c = 0; c < 3; ++c)
      for (unsigned s = 0; s < 2; ++s) REQUIRE(out[s].read().raw() == t.at(0, px, int(order[c][s])));
  CHECK(all_empty(in));
  CHECK(all_empty(out));
}

}  // namespace
