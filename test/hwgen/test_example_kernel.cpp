// The emitter-style partition kernel of cxx14/example_kernel.cpp (C++14, Vitis dialect): packed input
// words in, packed output words out, bit-exact with the reference conv → thresholded ReLU, in
// sequential and threaded simulation; the __SYNTHESIS__ build (zero ROMs) runs too.
#include <catch2/catch.hpp>

#include "example_kernel.hpp"
#include "hls_test_util.hpp"

using namespace hwtest;

namespace {

std::vector<ap_uint<512>> pack(const std::vector<Tensor>& images) {
  std::vector<ap_uint<512>> port;
  for (const Tensor& t : images) {
    const std::size_t first = port.size();
    port.resize(first + (t.raw.size() + 31) / 32);
    for (std::size_t j = 0; j < t.raw.size(); ++j)
      port[first + j / 32].range(int(j % 32) * 16 + 15, int(j % 32) * 16) = ap_uint<16>(t.raw[j]);
  }
  return port;
}

std::vector<std::int64_t> unpack(const std::vector<ap_uint<512>>& port, std::size_t words) {
  std::vector<std::int64_t> r;
  for (std::size_t j = 0; j < words; ++j)
    r.push_back(ap_int<16>(port[j / 32].range(int(j % 32) * 16 + 15, int(j % 32) * 16)).to_int64());
  return r;
}

TEST_CASE("an emitter-style C++14 partition kernel matches the reference bit for bit", "[hwgen][kernel]") {
  std::mt19937_64 rng(41);
  const int batch = 3;
  std::vector<Tensor> images;
  for (int b = 0; b < batch; ++b) images.push_back(random_tensor(8, 8, 4, rng, 0.3, -512, 512));
  std::vector<std::int64_t> weights(4 * 4 * 9), bias(4);
  for (auto& w : weights) w = std::int64_t(rng() % 257) - 128;
  for (auto& b : bias) b = std::int64_t(rng() % (1 << 18)) - (1 << 17);
  example::load_weights(weights.data(), bias.data());

  const std::vector<ap_uint<512>> in = pack(images);
  std::vector<std::int64_t> expected;
  Geometry g;
  g.pt = g.pb = g.pl = g.pr = 1;
  const std::int64_t t_q = sparsedse::quantize_threshold(example::kThreshold, kData);
  for (const Tensor& x : images) {
    const Tensor y = conv_reference(x, kData, weights, kData, bias, 4, g, kData);
    for (std::int64_t v : y.raw) expected.push_back(v > t_q ? v : 0);
  }
  for (auto m : {sdhls_sim::mode::sequential, sdhls_sim::mode::threaded}) {
    sdhls_sim::scoped_mode mode(m);
    std::vector<ap_uint<512>> out(in.size());
    example_kernel(in.data(), out.data(), batch);
    REQUIRE(unpack(out, expected.size()) == expected);
  }
  std::vector<ap_uint<512>> out(in.size(), ap_uint<512>(-1));
  example_kernel_synthesis_build(in.data(), out.data(), batch);
  for (const auto& beat : out) CHECK(beat == 0);  // zero ROMs under __SYNTHESIS__ in this test build
}

}  // namespace
