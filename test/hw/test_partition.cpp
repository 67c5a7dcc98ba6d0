// Partition and network metrics, computed by hand (model.md §2.4, §2.5, §4.6, §4.7, §4.9 E2, §6.7).
#include <random>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/evaluator.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {

Network e2_network() {
  Network net;
  net.add_layer("conv", e1());
  net.add_layer("relu", simple(LayerKind::relu, 16, 16, 16, 4));
  net.connect(0, 1, 0);
  return net;
}

// split → conv(3×3, 4→4, fine 9) → relu → add(port 0); split → add(port 1). 8×8×4, folding 1.
Network residual() {
  Network net;
  HwLayer split = simple(LayerKind::split, 8, 8, 4, 1);
  split.ports_out = 2;
  HwLayer add = simple(LayerKind::eltwise, 8, 8, 4, 1);
  add.ports_in = 2;
  add.port_channels = {4, 4};
  net.add_layer("a_split", split);
  net.add_layer("b_conv", conv(8, 8, 4, 4, 3, 1, 1, 1, 1, 9, false));
  net.add_layer("c_relu", simple(LayerKind::relu, 8, 8, 4, 1));
  net.add_layer("d_add", add);
  net.connect(0, 1, 0);
  net.connect(1, 2, 0);
  net.connect(2, 3, 0);
  net.connect(0, 3, 1);
  return net;
}

}  // namespace

TEST_CASE("E2 partition: conv → relu", "[hw][partition][examples]") {
  const Network net = e2_network();
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  CHECK(m.squeezes == 0);
  CHECK(m.interval == 12288);
  CHECK(m.pipeline_depth == Approx(840));
  CHECK(m.cycles == 13128);
  CHECK(m.bottleneck == 0);

  p.batch_size = 256;
  const NetworkMetrics n = ev.evaluate({p});
  CHECK(n.cycles == 3146568);
  CHECK(n.latency_s == Approx(0.012586272));
  CHECK(n.throughput == Approx(20339.6).epsilon(1e-5));
  CHECK(n.reconfiguration_s == 0.0);
  CHECK(n.fits);
}

TEST_CASE("E2 weights reloading and the batch-cycle formula", "[hw][partition]") {
  Network net = e2_network();
  Partition p = whole_network_partition(net, 1);
  CHECK(find_wr_layer(net, p) == 0);
  CHECK(feasible_weights_reloading(net.layers[0]) == std::vector<int>{1, 2, 4});
  const auto changed = apply_weights_reloading(net, p, 2);
  CHECK(changed == std::vector<int>{0, 1});
  CHECK(net.layers[0].filters == 8);
  CHECK(net.layers[1].channels == 8);
  CHECK(p.wr_factor == 2);
  CHECK(p.wr_layer == 0);
  // conv: F = 8, cout 4 → Fl = 2: latency 16·16·12·2 = 6144; relu 16·16·8/4 = 512.
  Evaluator ev(net, u250_like(), ModelOptions{});
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  CHECK(m.interval == 6144);
  // PD: conv pd = 152 + 2 + 12·2 + 2 = 180 at rate 1/Fl = 0.5 → 360; conv size_in 1024, size_out
  // 16·16·8/4 = 512 → Π = 2 → 6144/1024·2 = 12; relu size 512 → Π = 2 → 6144/512·2 = 24.
  // cycles = (6144 + 396)·2 + (2 − 1)·(8·8·9) weights of the reloaded layer.
  CHECK(m.pipeline_depth == Approx(360 + 12 + 24));
  CHECK(m.cycles == (6144 + 396) * 2 + 576);

  remove_weights_reloading(net, p);
  CHECK(net.layers[0].filters == 16);
  CHECK(net.layers[1].channels == 16);
  CHECK(p.wr_factor == 1);
  CHECK_THROWS(apply_weights_reloading(net, p, 3));
}

TEST_CASE("residual partition by hand: interval, pipeline depth, FIFO depths", "[hw][partition]") {
  const Network net = residual();
  Evaluator ev(net, u250_like(), ModelOptions{});
  CHECK(ev.layer(1).latency == 1024);
  CHECK(ev.layer(1).pipeline_depth == 109);
  CHECK(ev.layer(1).rate_in == Approx(0.25));
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  CHECK(m.squeezes == 0);
  CHECK(m.interval == 1024);
  CHECK(m.pipeline_depth == Approx(4 + 440 + 4 + 4));
  CHECK(m.cycles == 1024 + 452);
  const PartitionModel& model = ev.partition_model(0);
  CHECK(model.buffer_depth(3, 0) == 64);
  CHECK(model.buffer_depth(3, 1) == 114 + 64);
  CHECK(model.buffer_depth(1, 0) == 2);
  // FIFO BRAM: port 1 = bram18(178, 16, fifo) = 1; port 0: 64·16 = 1024 bits → 0.
  Resources sum;
  for (int i = 0; i < net.size(); ++i) sum += ev.layer(i).resources;
  CHECK(m.resources_raw.bram == sum.bram + 1);

  ModelOptions pass = ModelOptions::for_semantics(Semantics::pass);
  Evaluator ev_pass(net, u250_like(), pass);
  ev_pass.set_partitions({p});
  // pass: Σ pd along split → conv → relu → add; the padding sliding window has
  // 2·10·4 + 2·4 − (1·8·4 + 1·4) = 52, so the conv has 52 + 4 + 16 + 1 = 73.
  CHECK(ev_pass.layer(1).pipeline_depth == 73);
  CHECK(ev_pass.evaluate_partition(0, p).pipeline_depth == Approx(73));
}

TEST_CASE("squeeze insertion on mismatched edges", "[hw][partition][squeeze]") {
  Network net = residual();
  set_coarse(net.layers[2], 2);  // relu with 2 streams between 1-stream neighbours
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  CHECK(m.squeezes == 2);
  CHECK(m.interval == 1024);
  CHECK(m.pipeline_depth == Approx(4 + 440 + 8 + 16 + 8 + 4));
  CHECK(ev.partition_model(0).buffer_depth(3, 1) == 119 + 64);
  const auto sites = ev.partition_model(0).squeezes();
  REQUIRE(sites.size() == 2);
  CHECK(sites[0].coarse_in == 1);
  CHECK(sites[0].coarse_out == 2);
  CHECK(sites[0].layer.kind == LayerKind::squeeze);
  CHECK(evaluate_layer(sites[0].layer, ModelOptions{}).latency == 256);

  // A streamed (DRAM) edge gets no squeeze.
  net.layers[2].stream_inputs = 1;
  ev.refresh_layer(2);
  CHECK(ev.evaluate_partition(0, p).squeezes == 1);
}

TEST_CASE("port width: squeeze at a partition input wider than the port", "[hw][partition][squeeze]") {
  Network net;
  net.add_layer("conv", conv(8, 8, 64, 16, 1, 1, 0, 64, 1, 1, false));
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  REQUIRE(m.squeezes == 1);
  const auto sites = ev.partition_model(0).squeezes();
  CHECK(sites[0].where == SqueezeSite::Where::input);
  CHECK(sites[0].coarse_in == 32);  // 512 / 16
  CHECK(sites[0].coarse_out == 64);
  // The squeeze runs at 8·8·64/32 = 128 cycles; the conv at 8·8·16 = 1024.
  CHECK(m.interval == 1024);
}

TEST_CASE("network latency with reconfiguration (§4.7, Q11)", "[hw][network]") {
  const Network net = e2_network();
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition a, b;
  a.nodes = {0};
  b.nodes = {1};
  a.batch_size = b.batch_size = 10;
  ev.set_partitions({a, b});
  const NetworkMetrics n = ev.evaluate({a, b});
  // conv alone: interval 12288, PD = 816 + 12 = 828; relu alone: 1024 + 0 + 1024/1024 = 1.
  CHECK(ev.partition_metrics()[0].cycles == 12288 * 10 + 828);
  CHECK(ev.partition_metrics()[1].cycles == 1024 * 10 + 1);
  CHECK(n.partitions == 2);
  CHECK(n.reconfiguration_s == Approx(2 * 0.08255));
  CHECK(n.latency_s == Approx((12288.0 * 10 + 828 + 10241) / 250e6 + 2 * 0.08255));
  CHECK(n.throughput == Approx(10 / n.latency_s));
  ModelOptions samo;
  samo.reconf_count = ReconfCount::p_minus_1;
  CHECK(network_metrics(ev.partition_metrics(), 10, u250_like(), samo).reconfiguration_s == Approx(0.08255));
}

TEST_CASE("bandwidth of partition ports (§4.6)", "[hw][partition][bandwidth]") {
  const Network net = e2_network();
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  // in: 16·16·8 words · 16 bit · 250 MHz / (12288 · 1000); out: 16·16·16 words.
  CHECK(m.bandwidth.in == Approx(2048.0 * 16 * 250 / 12288 / 1000));
  CHECK(m.bandwidth.out == Approx(4096.0 * 16 * 250 / 12288 / 1000));
  CHECK(m.bandwidth.weights == 0.0);
  p.slow_down_factor = 2.0;
  CHECK(ev.evaluate_partition(0, p).bandwidth.in == Approx(2048.0 * 16 * 250 / 24576 / 1000));
  CHECK(ev.evaluate_partition(0, p).interval == 12288);
  CHECK(ev.evaluate_partition(0, p).cycles == 24576 + 840);
}

TEST_CASE("BRAM→LUT trade and constraints (§6.7, Q12)", "[hw][partition][resources]") {
  Network net;
  net.add_layer("conv", e1());
  Platform small = u250_like();
  small.usable.bram = 10;  // ram_usage 0.9 → 9 BRAM18 allowed
  Evaluator ev(net, small, ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics m = ev.evaluate_partition(0, p);
  REQUIRE(m.resources_raw.bram == 13);
  CHECK(m.bram_converted == 4);
  CHECK(m.resources.bram == 9);
  CHECK(m.resources.lut == m.resources_raw.lut + 4 * 288);
  CHECK(m.fits_resources);

  ModelOptions faithful;
  faithful.quirks.bram_to_lut_accounting = true;
  Evaluator ev_f(net, small, faithful);
  ev_f.set_partitions({p});
  const PartitionMetrics f = ev_f.evaluate_partition(0, p);
  const std::int64_t surplus = static_cast<std::int64_t>((0.9 * 1728000 - m.resources_raw.lut) / 288);
  CHECK(f.resources.lut == m.resources_raw.lut + surplus * 288);

  ModelOptions no_trade;
  no_trade.bram_to_lut = false;
  Evaluator ev_n(net, small, no_trade);
  ev_n.set_partitions({p});
  CHECK_FALSE(ev_n.evaluate_partition(0, p).fits_resources);

  Platform few_dsp = u250_like();
  few_dsp.usable.dsp = 26;  // 24 DSP > 0.9·26 = 23.4
  Evaluator ev_d(net, few_dsp, ModelOptions{});
  ev_d.set_partitions({p});
  CHECK_FALSE(ev_d.evaluate_partition(0, p).fits());
  CHECK(ev_d.evaluate_partition(0, p).utilisation.dsp == Approx(24.0 / 26));
}

TEST_CASE("incremental re-evaluation equals a fresh evaluation", "[hw][partition][incremental]") {
  Network net = residual();
  HwLayer relu2 = simple(LayerKind::relu, 8, 8, 4, 1);
  net.add_layer("e_relu", relu2);
  net.connect(3, 4, 0);
  const Platform platform = u250_like();
  Evaluator ev(net, platform, ModelOptions{});
  const Partition p = whole_network_partition(net, 4);
  ev.set_partitions({p});
  ev.evaluate_partition(0, p);
  std::mt19937 rng(7);
  for (int step = 0; step < 200; ++step) {
    const int v = static_cast<int>(rng() % net.size());
    const FoldingSpace& s = net.feasible[v];
    HwLayer& l = net.layers[v];
    if (is_weighted(l.kind)) {
      l.folding.coarse_in = s.coarse_in[rng() % s.coarse_in.size()];
      l.folding.coarse_out = s.coarse_out[rng() % s.coarse_out.size()];
      l.folding.fine = s.fine[rng() % s.fine.size()];
    } else {
      set_coarse(l, s.coarse_in[rng() % s.coarse_in.size()]);
    }
    ev.refresh_layer(v);
    const PartitionMetrics inc = ev.evaluate_partition(0, p);
    Evaluator fresh(net, platform, ModelOptions{});
    fresh.set_partitions({p});
    const PartitionMetrics& ref = fresh.evaluate_partition(0, p);
    INFO("step " << step);
    CHECK(inc.interval == ref.interval);
    CHECK(inc.pipeline_depth == ref.pipeline_depth);
    CHECK(inc.cycles == ref.cycles);
    CHECK(inc.squeezes == ref.squeezes);
    CHECK(inc.resources == ref.resources);
    CHECK(ev.partition_model(0).buffer_depth(3, 1) == fresh.partition_model(0).buffer_depth(3, 1));
  }
}

TEST_CASE("an off-chip edge that changes the stream count keeps the §4.6 product telescoping", "[hw][partition]") {
  // conv → relu with different stream counts, the relu reading its input from DRAM (no squeeze). The
  // product Π size_in/size_out after layer j must be size_in(first)/size_out(j), as on on-chip edges.
  Network net = e2_network();
  const LayerMetrics conv_alone = evaluate_layer(net.layers[0], ModelOptions{});
  set_coarse(net.layers[1], conv_alone.streams_out == 2 ? 4 : 2);
  net.layers[1].stream_inputs = 1;
  Evaluator ev(net, u250_like(), ModelOptions{});
  Partition p = whole_network_partition(net, 1);
  ev.set_partitions({p});
  const PartitionMetrics& m = ev.evaluate_partition(0, p);
  REQUIRE(m.squeezes == 0);
  const LayerMetrics m0 = evaluate_layer(net.layers[0], ModelOptions{});
  const LayerMetrics m1 = evaluate_layer(net.layers[1], ModelOptions{});
  REQUIRE(m0.streams_out != m1.streams_in);
  const double interval = double(m.interval);
  const double first = double(m0.size_in);
  const double expected = double(m0.pipeline_depth) / m0.rate_in + interval / first * (first / double(m0.size_out)) +
                          double(m1.pipeline_depth) / m1.rate_in + interval / double(m1.size_in) * (first / double(m1.size_out));
  CHECK(m.pipeline_depth == Approx(expected));
  // Without the correction the product would carry the stream ratio: a visibly different depth.
  const double untelescoped = expected - interval / double(m1.size_in) * (first / double(m1.size_out)) +
                              interval / double(m1.size_in) * (first / double(m0.size_out)) *
                                  (double(m1.size_in) / double(m1.size_out));
  INFO("telescoped " << expected << ", untelescoped " << untelescoped);
  CHECK(std::abs(untelescoped - expected) > 1e-3 * expected);
}
