// The ChannelPermute auxiliary layer (model.md §5.4, hls.md §3.4): when the input interleaving of a sparse
// layer folds into its producer and when it is charged, with hand-computed costs.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/evaluator.hpp"
#include "sparsedse/hw/permutation.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {

// Per-channel zero fractions {0, 0, 0.5, 0.5} of a 1×1 window: E_c = {1, 1, 0.5, 0.5} (fine 1, skip).
// With S_in = 2 the snake (§5.4) is [0, 1, 3, 2]: streams {0, 3} and {1, 2}, not the natural {0, 2} and
// {1, 3}, so the channels move across streams; yet both orders give every stream E = 0.75 and an
// all-zero rate of 0.25, so the sparse layer's own metrics are the same under snake and naive.
std::shared_ptr<const SparseProfile> balanced_profile() {
  return SparseProfile::from_histogram({{1, 0}, {1, 0}, {0.5, 0.5}, {0.5, 0.5}}, 1, "test");
}

// 8×8×4 → 4, 1×1, cin 2, cout 2: Cs = Fl = 2; latency max(64·2·2·0.75, 128, 128) = 192.
HwLayer sparse_conv() {
  HwLayer l = conv(8, 8, 4, 4, 1, 1, 0, 2, 2, 1, false);
  l.kind = LayerKind::convolution_sparse;
  l.sparsity = balanced_profile();
  return l;
}

// Block input: a_split → b_sconv → c_add (port 0); a_split → c_add (port 1). Coarse 2 everywhere.
Network block_input() {
  Network net;
  HwLayer split = simple(LayerKind::split, 8, 8, 4, 2);
  split.ports_out = 2;
  HwLayer add = simple(LayerKind::eltwise, 8, 8, 4, 2);
  add.ports_in = 2;
  add.port_channels = {4, 4};
  net.add_layer("a_split", split);
  net.add_layer("b_sconv", sparse_conv());
  net.add_layer("c_add", add);
  net.connect(0, 1, 0);
  net.connect(1, 2, 0);
  net.connect(0, 2, 1);
  return net;
}

// a_conv (dense 3×3, 4 → 4, cout 2) → b_relu → c_sconv: the permutation folds into a_conv.
Network conv_relu() {
  Network net;
  net.add_layer("a_conv", conv(8, 8, 4, 4, 3, 1, 1, 1, 2, 9));
  net.add_layer("b_relu", simple(LayerKind::relu, 8, 8, 4, 2));
  net.add_layer("c_sconv", sparse_conv());
  net.connect(0, 1, 0);
  net.connect(1, 2, 0);
  return net;
}

ModelOptions naive() {
  ModelOptions o;
  o.interleaving = Interleaving::naive;
  return o;
}

struct Evaluated {
  PartitionMetrics metrics;
  std::vector<int> permuted;
  std::int64_t depth0 = 0, depth1 = 0;
};

Evaluated evaluate(const Network& net, const ModelOptions& o, const Partition& p, int merge = -1) {
  Evaluator ev(net, u250_like(), o);
  ev.set_partitions({p});
  Evaluated r;
  r.metrics = ev.evaluate_partition(0, p);
  r.permuted = ev.partition_model(0).permuted_layers();
  if (merge >= 0) {
    r.depth0 = ev.partition_model(0).buffer_depth(merge, 0);
    r.depth1 = ev.partition_model(0).buffer_depth(merge, 1);
  }
  return r;
}

}  // namespace

TEST_CASE("ChannelPermute cost by hand (§5.4, hls.md §3.4)", "[hw][permute]") {
  // 8×8×4 words on 2 streams: Cs = 2. Banks of 2·2 words × 16 bit = 64 bits → no BRAM, LUTRAM
  // lutram(4, 16) = ⌈17/16⌉·⌈4/32⌉ = 2 per bank; mux 2·16·⌈1/3⌉ = 32; ROM 2·rom_lut(2, 16) = 32.
  const LayerMetrics m = channel_permute_metrics(8 * 8 * 4, 4, 2, 16);
  CHECK(m.latency == 128);
  CHECK(m.pipeline_depth == 2);
  CHECK(m.rate_in == 1.0);
  CHECK(m.size_in == 128);
  CHECK(m.size_out == 128);
  CHECK(m.resources == Resources{2 * 2 + 32 + 32, 2 * 16, 0, 0, 0});
  // 4×4×512 on 8 streams: Cs = 64, banks of 128 × 16 bit = 2048 bits → bram(128, 16, memory) = 1 each;
  // mux 8·16·⌈7/3⌉ = 384; ROM 8·⌈64/64⌉·16 = 128.
  const LayerMetrics big = channel_permute_metrics(4 * 4 * 512, 512, 8, 16);
  CHECK(big.latency == 1024);
  CHECK(big.pipeline_depth == 64);
  CHECK(big.resources == Resources{384 + 128, 8 * 16, 0, 8, 0});
}

TEST_CASE("the stream-set test of the interleaving (§5.4)", "[hw][permute]") {
  const auto profile = balanced_profile();
  CHECK(profile->interleaving(2, 1, true, Interleaving::snake) == std::vector<int>{0, 1, 3, 2});
  CHECK(profile->moves_streams(2, 1, true, Interleaving::snake));
  CHECK_FALSE(profile->moves_streams(2, 1, true, Interleaving::naive));
  CHECK_FALSE(profile->moves_streams(1, 1, true, Interleaving::snake));  // one stream holds every channel
  CHECK_FALSE(profile->moves_streams(4, 1, true, Interleaving::snake));  // one snake row: no reversal
  CHECK(profile->max_stream_cycles(2, 1, true, Interleaving::snake) ==
        profile->max_stream_cycles(2, 1, true, Interleaving::naive));
  // An InnerProduct over a flattened 2×2×1 tensor: IR feature c·4 + p is stream word p·1 + c, the same.
  CHECK(interleaving_moves_streams(*profile, 2, 1, true, Interleaving::snake, 4));
  // 1 channel × 4 pixels with features {0, 1, 3, 2} laid out from a 2×1×2 (C = 2) tensor: IR feature
  // c·2 + p → word p·2 + c maps {0, 1, 3, 2} → {0, 2, 3, 1}; stream sets {0, 3}, {2, 1} still move.
  CHECK(interleaving_moves_streams(*profile, 2, 1, true, Interleaving::snake, 2));
  // Naive interleaving over a spatial source is the NCHW → NHWC reorder itself: IR {0, 1, 2, 3} →
  // words {0, 2, 1, 3}, which moves features 1 and 2 across the two streams.
  CHECK(interleaving_moves_streams(*profile, 2, 1, true, Interleaving::naive, 2));
  CHECK_FALSE(interleaving_moves_streams(*profile, 1, 1, true, Interleaving::naive, 2));
}

TEST_CASE("a sparse conv fed by a block input is charged a ChannelPermute", "[hw][permute]") {
  const Network net = block_input();
  const Partition p = whole_network_partition(net, 1);
  CHECK(permutation_fold_producer(net, 1, p.nodes) == -1);  // a Split cannot absorb it
  const Evaluated snake = evaluate(net, ModelOptions{}, p, 2);
  const Evaluated plain = evaluate(net, naive(), p, 2);
  CHECK(snake.permuted == std::vector<int>{1});
  CHECK(snake.metrics.permutes == 1);
  CHECK(plain.permuted.empty());
  CHECK(plain.metrics.permutes == 0);
  CHECK(snake.metrics.squeezes == 0);

  // The permute (latency 128) does not set the interval: the sparse conv's 192 does.
  CHECK(plain.metrics.interval == 192);
  CHECK(snake.metrics.interval == 192);
  CHECK(snake.metrics.bottleneck == 1);
  // Pipeline depth (§4.6): the permute is one more node on the longest path split → permute → conv → add:
  // pd/rate_in + interval/size_in·Π = 2/1 + 192/128·1.
  CHECK(snake.metrics.pipeline_depth == Approx(plain.metrics.pipeline_depth + 2 + 192.0 / 128));
  // Shortcut FIFO (§2.4): the conv path is longer by pd + lat/size_in·Π = 2 + 128/128 = 3.
  CHECK(snake.depth0 == 64);
  CHECK(plain.depth0 == 64);
  CHECK(snake.depth1 == plain.depth1 + 3);
  // Resources: the permute's 68 LUT and 32 FF, plus the shortcut FIFO's BRAM for its depth.
  const std::int64_t fifo = bram18(snake.depth1, 16, RamKind::fifo) * 2 - bram18(plain.depth1, 16, RamKind::fifo) * 2;
  CHECK(snake.metrics.resources_raw.lut == plain.metrics.resources_raw.lut + 68);
  CHECK(snake.metrics.resources_raw.ff == plain.metrics.resources_raw.ff + 32);
  CHECK(snake.metrics.resources_raw.bram == plain.metrics.resources_raw.bram + fifo);
  CHECK(snake.metrics.resources_raw.dsp == plain.metrics.resources_raw.dsp);

  // The pass semantics adds the permute's pipeline depth along the path too.
  ModelOptions pass = ModelOptions::for_semantics(Semantics::pass);
  ModelOptions pass_naive = pass;
  pass_naive.interleaving = Interleaving::naive;
  CHECK(evaluate(net, pass, p).metrics.pipeline_depth == Approx(evaluate(net, pass_naive, p).metrics.pipeline_depth + 2));

  // A dense conv is never permuted.
  Network dense = net;
  dense.layers[1].kind = LayerKind::convolution;
  dense.layers[1].sparsity.reset();
  CHECK(evaluate(dense, ModelOptions{}, p).metrics.permutes == 0);
}

TEST_CASE("a sparse conv fed by conv → relu folds the permutation and costs nothing", "[hw][permute]") {
  const Network net = conv_relu();
  const Partition p = whole_network_partition(net, 1);
  CHECK(permutation_fold_producer(net, 2, p.nodes) == 0);
  const Evaluated snake = evaluate(net, ModelOptions{}, p);
  const Evaluated plain = evaluate(net, naive(), p);
  CHECK(snake.metrics.permutes == 0);
  CHECK(snake.permuted.empty());
  CHECK(snake.metrics.interval == plain.metrics.interval);
  CHECK(snake.metrics.pipeline_depth == plain.metrics.pipeline_depth);
  CHECK(snake.metrics.resources_raw == plain.metrics.resources_raw);

  // The producer in another partition (another kernel) cannot absorb it: charged there.
  Partition first, second;
  first.nodes = {0};
  second.nodes = {1, 2};
  CHECK(permutation_fold_producer(net, 2, second.nodes) == -1);
  Evaluator ev(net, u250_like(), ModelOptions{});
  ev.set_partitions({first, second});
  ev.evaluate({first, second});
  CHECK(ev.partition_metrics()[0].permutes == 0);
  CHECK(ev.partition_metrics()[1].permutes == 1);
  CHECK(ev.partition_model(1).permuted_layers() == std::vector<int>{2});
}

TEST_CASE("the fold rule walks only single-consumer channel-wise layers", "[hw][permute]") {
  // a_conv → b_relu → c_pool (2×2/2) → d_sconv: folds through the pool.
  Network pooled;
  pooled.add_layer("a_conv", conv(8, 8, 4, 4, 3, 1, 1, 1, 2, 9));
  pooled.add_layer("b_relu", simple(LayerKind::relu, 8, 8, 4, 2));
  HwLayer pool = simple(LayerKind::pooling, 8, 8, 4, 2);
  pool.kernel_rows = pool.kernel_cols = pool.stride_rows = pool.stride_cols = 2;
  pooled.add_layer("c_pool", pool);
  HwLayer s = sparse_conv();
  s.rows = s.cols = 4;
  pooled.add_layer("d_sconv", s);
  pooled.connect(0, 1, 0);
  pooled.connect(1, 2, 0);
  pooled.connect(2, 3, 0);
  CHECK(permutation_fold_producer(pooled, 3, {0, 1, 2, 3}) == 0);
  CHECK(permutation_fold_producer(pooled, 3, {1, 2, 3}) == -1);  // the conv is outside the partition
  CHECK(permutation_fold_producer(pooled, 0, {0, 1, 2, 3}) == -1);  // no producer at all
  CHECK(permutation_fold_producer(pooled, 1, {0, 1, 2, 3}) == -1);  // not a weighted layer

  // A producer with a second consumer (a Split in the IR) cannot be reordered for one of them.
  const Network block = block_input();
  CHECK(permutation_fold_producer(block, 1, {0, 1, 2}) == -1);
}
