// A residual block as the emitter builds it (hls.md §5.1, §7): mem_read → split → {3×3 conv path,
// identity} → eltwise add → mem_write, one DATAFLOW region. In the threaded simulator the identity FIFO
// sized by the model's buffer_depth completes (bit-exact), and a depth-2 FIFO is reported as a deadlock.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "conv_layers.hpp"

using namespace hwtest;

namespace {

// 8×8×4 → 3×3 conv (pad 1, 4 filters, cin = cout = 1, fine 9, bias): fork and glue are omitted
// (cout = 1, cin = 1), as in the resource model's redundant-module rules (model.md §6.5).
typedef conv_layer<8, 8, 4, 4, 3, 1, 1, 1, 1, 9, true> conv;
const unsigned kWords = 8 * 8 * 4;

struct io_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned streams = 1, words = kWords;
};
struct split_cfg {
  typedef hwtest::data_t data_t;
  static const unsigned outputs = 2, count = kWords;
};
struct add_cfg {
  typedef hwtest::data_t in0_t;
  typedef hwtest::data_t in1_t;
  typedef hwtest::data_t out_t;
  static const unsigned count = kWords;
  static const sdhls::eltwise_op op = sdhls::eltwise_add;
};

// The model's shortcut FIFO depth (model.md §2.4) for this block: the conv path's pipeline depth
// (§4.5: (Kr−1)·Wp·Cs + (Kc−1)·Cs + int(log2 fine) + 1 + Cv·Fl + cin = 80 + 8 + 4 + 16 + 1 = 109) plus
// lat/size_in · size_in/size_out = 1024/256 = 4, i.e. 113 against 0 on the identity path, + 64.
const unsigned kModelDepth = 113 + 64;

void residual_kernel(const ap_uint<512>* in, ap_uint<512>* out, const conv::dense_weights& w, int batch,
                     unsigned identity_depth) {
  hls::stream<data_t> input[1], branch[2], conv_out("conv_out"), sum[1];
  hls::stream<conv::win_t> windows("windows");
  hls::stream<conv::acc_t> psum("psum"), acc("acc");
  SDHLS_STREAM(input, 256);  // mem_read output (hls.md §7)
  SDHLS_STREAM(branch, 2);
  SDHLS_STREAM(branch[1], identity_depth);  // the EltWise input on the shortcut
  SDHLS_DATAFLOW(sdhls::mem_read<io_cfg>, in, input, batch);
  SDHLS_DATAFLOW(sdhls::split<split_cfg>, input[0], branch, batch);
  SDHLS_DATAFLOW(sdhls::sliding_window<conv::sw_cfg>, branch[0], windows, batch);
  SDHLS_DATAFLOW(sdhls::vdot<conv::vdot_cfg>, windows, psum, w.w[0][0], batch);
  SDHLS_DATAFLOW(sdhls::accum<conv::accum_cfg>, psum, acc, batch);
  SDHLS_DATAFLOW(sdhls::bias<conv::bias_cfg>, acc, conv_out, w.b[0], batch);
  SDHLS_DATAFLOW(sdhls::eltwise<add_cfg>, conv_out, branch[1], sum[0], batch);
  SDHLS_DATAFLOW(sdhls::mem_write<io_cfg>, sum, out, batch);
  SDHLS_DATAFLOW_END();
}

struct Block {
  ConvData data;
  std::unique_ptr<conv::dense_weights> weights = std::make_unique<conv::dense_weights>();
  std::vector<ap_uint<512>> port_in;
  std::vector<std::int64_t> expected;  // packed output words, one image
};

Block make_block(std::mt19937_64& rng) {
  Block b;
  b.data = random_conv_data<conv>(rng, 1, 0.3, 512, 128);
  fill_dense_weights<conv>(b.data.weights, b.data.bias, *b.weights);
  const Tensor& x = b.data.inputs[0];
  b.port_in.resize(kWords / 32);
  for (unsigned j = 0; j < kWords; ++j) b.port_in[j / 32].range((j % 32) * 16 + 15, (j % 32) * 16) = ap_uint<16>(x.raw[j]);
  const Tensor y = reference_of<conv>(b.data, 0);
  for (unsigned j = 0; j < kWords; ++j) b.expected.push_back(sparsedse::requantize(y.raw[j] + x.raw[j], 8, kData));
  return b;
}

std::vector<std::int64_t> unpack(const std::vector<ap_uint<512>>& port) {
  std::vector<std::int64_t> words;
  for (unsigned j = 0; j < kWords; ++j)
    words.push_back(ap_int<16>(port[j / 32].range((j % 32) * 16 + 15, (j % 32) * 16)).to_int64());
  return words;
}

TEST_CASE("residual block: the model's shortcut FIFO depth completes in threaded simulation", "[hwgen][residual]") {
  std::mt19937_64 rng(31);
  const Block b = make_block(rng);
  std::vector<ap_uint<512>> port_out(kWords / 32);
  residual_kernel(b.port_in.data(), port_out.data(), *b.weights, 1, kModelDepth);  // sequential
  REQUIRE(unpack(port_out) == b.expected);

  sdhls_sim::scoped_mode m(sdhls_sim::mode::threaded);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(300));
  sdhls_sim::set_throw_on_deadlock(true);
  sdhls_sim::reset_fifo_report();
  std::vector<ap_uint<512>> threaded_out(kWords / 32);
  residual_kernel(b.port_in.data(), threaded_out.data(), *b.weights, 1, kModelDepth);
  sdhls_sim::set_throw_on_deadlock(false);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(2000));
  REQUIRE(unpack(threaded_out) == b.expected);
  // The shortcut had to hold more than two words, and never more than its depth.
  const std::size_t occupancy = sdhls_sim::max_occupancy("branch[1]");
  CHECK(occupancy > 2);
  CHECK(occupancy <= kModelDepth);
  CHECK(sdhls_sim::max_occupancy("branch[0]") <= 2);
}

TEST_CASE("residual block: a too-shallow shortcut FIFO is reported as a deadlock", "[hwgen][residual]") {
  std::mt19937_64 rng(32);
  const Block b = make_block(rng);
  std::vector<ap_uint<512>> port_out(kWords / 32);
  sdhls_sim::scoped_mode m(sdhls_sim::mode::threaded);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(300));
  sdhls_sim::set_throw_on_deadlock(true);
  std::string report;
  try {
    residual_kernel(b.port_in.data(), port_out.data(), *b.weights, 1, 2);
  } catch (const sdhls_sim::deadlock_error& e) {
    report = e.report();
  }
  sdhls_sim::set_throw_on_deadlock(false);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(2000));
  INFO(report);
  REQUIRE_FALSE(report.empty());
  CHECK(report.find("branch[1]: 2/2  writer blocked: sdhls::split<split_cfg>") != std::string::npos);
  CHECK(report.find("conv_out: 0/2  reader blocked: sdhls::eltwise<add_cfg>") != std::string::npos);
}

}  // namespace
