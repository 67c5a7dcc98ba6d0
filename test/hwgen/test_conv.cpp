// Dense convolution / inner product layers built from the library modules exactly as hls.md §5.1
// composes them (sliding_window → fork → vdot → accum → glue → bias), weights in the ROM layout of
// hls.md §3.2, against a direct convolution on the fixed-point contract; and wr_load.
#include <catch2/catch.hpp>

#include <memory>
#include <type_traits>

#include "conv_layers.hpp"

using namespace hwtest;

namespace {

template <class L>
void check_dense(std::mt19937_64& rng, std::int64_t data_range, std::int64_t weight_range, bool threaded = false) {
  const int batch = 2;
  const ConvData d = random_conv_data<L>(rng, batch, 0.0, data_range, weight_range);
  auto wts = std::make_unique<typename L::dense_weights>();
  fill_dense_weights<L>(d.weights, d.bias, *wts);
  hls::stream<data_t> in[L::coarse_in], out[L::coarse_out];
  SDHLS_STREAM(out, 1 << 20);  // the testbench drains the outputs after the run
  for (const Tensor& x : d.inputs) push(x, in);
  {
    sdhls_sim::scoped_mode m(threaded ? sdhls_sim::mode::threaded : sdhls_sim::mode::sequential);
    dense_conv<L>(in, out, *wts, batch);
  }
  for (int b = 0; b < batch; ++b) {
    const Tensor expected = reference_of<L>(d, b);
    const Tensor got = pop(out, L::out_rows, L::out_cols, L::filters);
    for (std::size_t i = 0; i < expected.raw.size(); ++i) {
      INFO("image " << b << " output word " << i);
      REQUIRE(got.raw[i] == expected.raw[i]);
    }
  }
  REQUIRE(all_empty(in));
  REQUIRE(all_empty(out));
}

TEST_CASE("dense conv: the module chain is bit-exact with a direct convolution", "[hwgen][conv]") {
  std::mt19937_64 rng(11);
  SECTION("3x3 same padding, cin 2, cout 3, fine 3, bias") {
    check_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 3, true>>(rng, 512, 128);
  }
  SECTION("stride 2, fine = K^2, no bias (glue casts)") {
    check_dense<conv_layer<7, 5, 2, 4, 3, 2, 1, 1, 2, 9, false>>(rng, 512, 128);
  }
  SECTION("5x5, fine 1") { check_dense<conv_layer<7, 7, 2, 2, 5, 1, 2, 1, 1, 1, true>>(rng, 512, 128); }
  SECTION("1x1 (no sliding window)") { check_dense<conv_layer<4, 4, 4, 4, 1, 1, 0, 2, 2, 1, true>>(rng, 512, 128); }
  SECTION("InnerProduct as a 1x1 conv over H·W·C channels") {
    check_dense<conv_layer<1, 1, 24, 5, 1, 1, 0, 2, 5, 1, true>>(rng, 512, 128);
  }
  SECTION("full-range values saturate in the single output cast") {
    check_dense<conv_layer<5, 5, 8, 8, 3, 1, 1, 4, 2, 3, true>>(rng, 32767, 32767);
  }
  SECTION("threaded simulation with depth-2 FIFOs gives the same result") {
    check_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 3, true>>(rng, 512, 128, true);
  }
}

struct wr_cfg {
  typedef hwtest::weight_t weight_t;
  static const unsigned coarse_in = 2, coarse_out = 3, depth = 4, lanes = 3;
};

TEST_CASE("wr_load fills the weight RAM of one reload block in the documented word order", "[hwgen][conv]") {
  const unsigned words = 2 * 3 * 4 * 3;  // 72 per block → 3 beats
  const unsigned beats = (words + 31) / 32;
  std::vector<ap_uint<512>> port(2 * beats);
  for (unsigned r = 0; r < 2; ++r)
    for (unsigned j = 0; j < words; ++j)
      port[r * beats + j / 32].range((j % 32) * 16 + 15, (j % 32) * 16) = ap_uint<16>(r * 1000 + j);
  auto ram = std::make_unique<weight_t[][3][4][3]>(2);
  sdhls::wr_load<wr_cfg>(port.data(), ram.get(), 1);
  for (unsigned i = 0; i < 2; ++i)
    for (unsigned o = 0; o < 3; ++o)
      for (unsigned a = 0; a < 4; ++a)
        for (unsigned l = 0; l < 3; ++l)
          REQUIRE(ram[i][o][a][l].raw() == std::int64_t(1000 + ((a * 2 + i) * 3 + o) * 3 + l));
}

}  // namespace
