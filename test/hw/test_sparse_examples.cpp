// Sparse worked examples E4–E6 (model.md §5.1, §5.9), computed by hand.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/layer.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {

std::vector<double> bins(std::initializer_list<std::pair<int, double>> entries, int k2 = 9) {
  std::vector<double> h(k2 + 1, 0.0);
  for (auto [z, p] : entries) h[z] = p;
  return h;
}

HwLayer e5(bool skip = true) {
  HwLayer l = conv(8, 8, 4, 8, 3, 1, 1, 2, 2, 2, false);
  l.kind = LayerKind::convolution_sparse;
  l.skip_all_zero_window = skip;
  l.sparsity = SparseProfile::from_histogram(
      {bins({{0, 1.0}}), bins({{9, 0.5}, {5, 0.5}}), bins({{3, 1.0}}), bins({{7, 1.0}})}, 9, "E5");
  return l;
}

}  // namespace

TEST_CASE("E4 histogram: expected cycles per window", "[hw][sparse][examples]") {
  const auto p = SparseProfile::from_histogram({bins({{8, 0.75}, {7, 0.25}})}, 9, "E4");
  CHECK(p->channel_cycles(0, 1, true) == Approx(0.75 * 1 + 0.25 * 2));
  CHECK(p->channel_cycles(0, 2, true) == Approx(1.0));
  CHECK(p->channel_sparsity()[0] == Approx((0.75 * 8 + 0.25 * 7) / 9));
}

TEST_CASE("E5 sparse conv", "[hw][sparse][examples]") {
  const ModelOptions o;
  HwLayer l = e5();
  const SparseProfile& p = *l.sparsity;
  CHECK(SparseProfile::window_cycles(0, 9, 2, true) == 5);
  CHECK(SparseProfile::window_cycles(5, 9, 2, true) == 2);
  CHECK(SparseProfile::window_cycles(3, 9, 2, true) == 3);
  CHECK(SparseProfile::window_cycles(7, 9, 2, true) == 1);
  CHECK(SparseProfile::window_cycles(9, 9, 2, true) == 0);
  CHECK(SparseProfile::window_cycles(9, 9, 2, false) == 1);
  CHECK(p.channel_cycles(0, 2, true) == Approx(5));
  CHECK(p.channel_cycles(1, 2, true) == Approx(1));
  CHECK(p.channel_cycles(2, 2, true) == Approx(3));
  CHECK(p.channel_cycles(3, 2, true) == Approx(1));
  CHECK(p.interleaving(2, 2, true, Interleaving::snake) == std::vector<int>{0, 2, 3, 1});
  CHECK(p.max_stream_cycles(2, 2, true, Interleaving::snake) == Approx(3));
  CHECK(p.max_stream_cycles(2, 2, true, Interleaving::naive) == Approx(4));

  CHECK(evaluate_layer(l, o).latency == 1536);
  ModelOptions naive;
  naive.interleaving = Interleaving::naive;
  CHECK(evaluate_layer(l, naive).latency == 2048);
  CHECK(evaluate_layer(e5(false), o).latency == 1536);
  CHECK(e5(false).sparsity->channel_cycles(1, 2, false) == Approx(1.5));

  // io terms: corrected io_in = 10·10·2 = 200, faithful 8·8·2 = 128; io_out = 256. With all four
  // channels fully zero and skipping, op_lat = 0 and the io bound sets the latency.
  HwLayer empty = e5();
  empty.sparsity = SparseProfile::from_histogram(std::vector<std::vector<double>>(4, bins({{9, 1.0}})), 9, "zero");
  CHECK(evaluate_layer(empty, o).latency == 256);
  empty.filters = 2;  // io_out = 64·2/2 = 64 → io_in decides
  CHECK(evaluate_layer(empty, o).latency == 200);
  ModelOptions faithful_io;
  faithful_io.quirks.sparse_io = true;
  CHECK(evaluate_layer(empty, faithful_io).latency == 128);

  // DSP: fine·cin·cout = 8, against 12 for the dense conv at fine 3 with the same latency.
  CHECK(evaluate_layer(l, o).resources.dsp == 8);
  const HwLayer dense = conv(8, 8, 4, 8, 3, 1, 1, 2, 2, 3, false);
  CHECK(evaluate_layer(dense, o).latency == 1536);
  CHECK(evaluate_layer(dense, o).resources.dsp == 12);
}

TEST_CASE("E6 pointwise sparse: window and cluster models", "[hw][sparse][examples]") {
  const ModelOptions o;
  HwLayer l = conv(8, 8, 4, 8, 1, 1, 0, 2, 2, 1, false);
  CHECK(evaluate_layer(l, o).latency == 512);  // dense 1×1

  l.kind = LayerKind::convolution_sparse;
  l.sparsity = SparseProfile::from_channel_sparsity({0.2, 0.4, 0.6, 0.8}, "E6");
  CHECK(l.sparsity->interleaving(2, 1, true, Interleaving::snake) == std::vector<int>{0, 1, 3, 2});
  CHECK(l.sparsity->max_stream_cycles(2, 1, true, Interleaving::snake) == Approx(0.5));
  CHECK(evaluate_layer(l, o).latency == 256);

  l.kind = LayerKind::convolution_pointwise_sparse;
  CHECK(evaluate_layer(l, o).latency == 256);
  // The cap 1 − 1/S_in binds with one stream: s = min(0.5, 0) = 0, so op_lat = workload = 64·4·4,
  // the dense latency at cin = 1.
  l.folding.coarse_in = 1;
  CHECK(evaluate_layer(l, o).latency == 1024);
  HwLayer dense = conv(8, 8, 4, 8, 1, 1, 0, 1, 2, 1, false);
  CHECK(evaluate_layer(dense, o).latency == 1024);
}
