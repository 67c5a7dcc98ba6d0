// Network modes (model.md §4.7): sequential on one FPGA, or pipelined over one FPGA per partition linked
// by Ethernet (§6.9), with hand-computed cycles, the Ethernet bandwidth check and the missing-field error.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/evaluator.hpp"

using namespace sparsedse;
using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {

Platform u250_like_with_ethernet() {
  Platform p = u250_like();
  p.source = "test.json";
  p.ethernet_bandwidth_gbps = 100.0;
  p.ethernet_latency_s = 5e-6;
  return p;
}

// E2 (§4.9) plus a second ReLU: conv(16×16×8 → 16, cin 2, cout 4, fine 3) → relu (coarse 4) → relu2.
Network chain() {
  Network net;
  net.add_layer("conv", e1());
  net.add_layer("relu", simple(LayerKind::relu, 16, 16, 16, 4));
  net.add_layer("relu2", simple(LayerKind::relu, 16, 16, 16, 4));
  net.connect(0, 1, 0);
  net.connect(1, 2, 0);
  return net;
}

std::vector<Partition> three_partitions(int batch) {
  std::vector<Partition> parts(3);
  for (int i = 0; i < 3; ++i) {
    parts[i].nodes = {i};
    parts[i].batch_size = batch;
  }
  return parts;
}

ModelOptions pipelined() {
  ModelOptions o;
  o.network_mode = NetworkMode::pipelined;
  return o;
}

}  // namespace

TEST_CASE("network_mode option: JSON, default and round trip", "[hw][options][network_mode]") {
  CHECK(ModelOptions{}.network_mode == NetworkMode::sequential);
  const ModelOptions o = parse_model_options(nlohmann::json::parse(R"({"network_mode": "pipelined"})"), "o.json");
  CHECK(o.network_mode == NetworkMode::pipelined);
  CHECK(to_json(o)["network_mode"] == "pipelined");
  CHECK(to_json(ModelOptions{})["network_mode"] == "sequential");
  CHECK(parse_model_options(to_json(o), "round trip").network_mode == NetworkMode::pipelined);
  CHECK_THROWS_WITH(parse_model_options(nlohmann::json::parse(R"({"network_mode": "parallel"})"), "o.json"),
                    "o.json: network_mode: expected one of sequential | pipelined, got \"parallel\"");
}

TEST_CASE("Ethernet port width (§6.9)", "[hw][platform][network_mode]") {
  Platform p = u250_like_with_ethernet();
  // int(100·538/576 / 0.25) = int(373.6…) = 373 payload bits per 250 MHz cycle.
  CHECK(p.ethernet_port_width() == 373);
  p.ethernet_bandwidth_gbps = 1.0;
  CHECK(p.ethernet_port_width() == 3);  // int(3.736…)
  CHECK(p.ethernet_latency() == 5e-6);
}

TEST_CASE("three partitions, sequential and pipelined, by hand (§4.7)", "[hw][network][network_mode]") {
  const Network net = chain();
  const std::vector<Partition> parts = three_partitions(10);
  // Alone in its partition: conv interval 12288, PD 816 + 12288/1024·1 = 828 (as in test_partition);
  // each relu: interval 16·16·16/4 = 1024, PD 0 + 1024/1024 = 1.
  Evaluator seq(net, u250_like_with_ethernet(), ModelOptions{});
  seq.set_partitions(parts);
  const NetworkMetrics s = seq.evaluate(parts);
  const auto& pm = seq.partition_metrics();
  REQUIRE(pm[0].cycles == 12288 * 10 + 828);
  REQUIRE(pm[1].cycles == 1024 * 10 + 1);
  REQUIRE(pm[2].cycles == 1024 * 10 + 1);
  CHECK(pm[0].stage_cycles == 12288.0 * 10);
  CHECK(pm[1].stage_cycles == 1024.0 * 10);
  CHECK(s.cycles == 122880 + 828 + 2 * 10241);
  CHECK(s.reconfiguration_s == Approx(3 * 0.08255));
  CHECK(s.ethernet_s == 0.0);
  CHECK(s.latency_s == Approx(144189 / 250e6 + 3 * 0.08255));
  CHECK(s.throughput == Approx(10 / s.latency_s));
  CHECK(s.steady_throughput == s.throughput);

  Evaluator pipe(net, u250_like_with_ethernet(), pipelined());
  pipe.set_partitions(parts);
  const NetworkMetrics n = pipe.evaluate(parts);
  // cycles = max_p interval_p·B + Σ_p PD_p = 12288·10 + (828 + 1 + 1); two Ethernet hops, no reconfiguration.
  CHECK(n.cycles == 122880 + 830);
  CHECK(n.reconfiguration_s == 0.0);
  CHECK(n.ethernet_s == Approx(2 * 5e-6));
  CHECK(n.latency_s == Approx(123710 / 250e6 + 2 * 5e-6));
  CHECK(n.throughput == Approx(10 / n.latency_s));           // the optimiser's objective
  CHECK(n.steady_throughput == Approx(10 * 250e6 / 122880));  // B / (max_p interval_p·B / f)
  CHECK(n.fits);
  // conv → relu carries 16·16·16 words · 16 bit per 12288 cycles = 5.33 bits/cycle ≤ 373.
  CHECK(pipe.partition_metrics()[0].ethernet_bits_per_cycle == Approx(4096.0 * 16 / 12288));
  CHECK(pipe.partition_metrics()[1].ethernet_bits_per_cycle == Approx(4096.0 * 16 / 1024));  // 64
  CHECK(pipe.partition_metrics()[2].ethernet_bits_per_cycle == 0.0);  // the network output is not a link
  CHECK(pipe.partition_metrics()[1].utilisation.ethernet == Approx(64.0 / 373));

  // One partition: both modes give the same cycles; pipelined has no Ethernet hop.
  const std::vector<Partition> whole{whole_network_partition(net, 10)};
  seq.set_partitions(whole);
  pipe.set_partitions(whole);
  const NetworkMetrics s1 = seq.evaluate(whole), p1 = pipe.evaluate(whole);
  CHECK(p1.cycles == s1.cycles);
  CHECK(p1.latency_s == Approx(static_cast<double>(s1.cycles) / 250e6));
  CHECK(p1.ethernet_s == 0.0);
}

TEST_CASE("pipelined stage time with weights reloading", "[hw][network][network_mode]") {
  Network net = chain();
  std::vector<Partition> parts(2);
  parts[0].nodes = {0, 1};
  parts[1].nodes = {2};
  apply_weights_reloading(net, parts[0], 2);
  REQUIRE(parts[0].wr_layer == 0);
  Evaluator ev(net, u250_like_with_ethernet(), pipelined());
  ev.set_partitions(parts);
  const NetworkMetrics n = ev.evaluate(parts);
  // Partition 0 is E2 with wr = 2 (test_partition): interval 6144, PD 396, size_wr 576;
  // stage = 6144·1·2 + 396·(2 − 1) + (2 − 1)·576, and cycles = int(stage + PD) as in §4.6.
  const PartitionMetrics& p0 = ev.partition_metrics()[0];
  CHECK(p0.stage_cycles == Approx(6144 * 2 + 396 + 576));
  CHECK(p0.cycles == (6144 + 396) * 2 + 576);
  // relu2 (batch 1) keeps its 16 channels, the passes deliver all filters: interval 1024, PD 1.
  CHECK(ev.partition_metrics()[1].stage_cycles == 1024.0);
  CHECK(n.cycles == 6144 * 2 + 396 + 576 + 396 + 1);
}

TEST_CASE("an inter-FPGA edge faster than the Ethernet link is infeasible", "[hw][network][network_mode]") {
  const Network net = chain();
  const std::vector<Partition> parts = three_partitions(1);
  Platform slow = u250_like_with_ethernet();
  slow.ethernet_bandwidth_gbps = 1.0;  // 3 bits per cycle < conv → relu's 5.33
  Evaluator ev(net, slow, pipelined());
  ev.set_partitions(parts);
  NetworkMetrics n = ev.evaluate(parts);
  CHECK_FALSE(n.fits);
  CHECK_FALSE(ev.partition_metrics()[0].fits_ethernet);
  CHECK_FALSE(ev.partition_metrics()[0].fits());
  CHECK(ev.partition_metrics()[0].fits_resources);
  CHECK(ev.partition_metrics()[0].fits_bandwidth);
  CHECK(ev.partition_metrics()[0].utilisation.ethernet == Approx(4096.0 * 16 / 12288 / 3));
  CHECK(ev.partition_metrics()[2].fits_ethernet);  // no outgoing link

  // Slowing the producer down (as the memory-bandwidth handling does) brings it under the link: 5.33/2 ≤ 3.
  std::vector<Partition> slowed = parts;
  slowed[0].slow_down_factor = 2.0;
  slowed[1].slow_down_factor = 32.0;  // relu → relu2: 64 bits/cycle / 32 = 2
  n = ev.evaluate(slowed);
  CHECK(n.fits);

  // The same design is feasible when run sequentially: no Ethernet involved.
  Evaluator seq(net, slow, ModelOptions{});
  seq.set_partitions(parts);
  CHECK(seq.evaluate(parts).fits);
}

TEST_CASE("pipelined mode without an ethernet section names the platform file and field", "[hw][network][network_mode]") {
  const Network net = chain();
  const nlohmann::json no_ethernet = nlohmann::json::parse(R"({
    "device": {"name": "x", "part": "p", "board": "b"},
    "resources": {"LUT": 1000000, "FF": 2000000, "DSP": 3000, "BRAM": 4000},
    "system": {"board_frequency": 200}
  })");
  const Platform p = parse_platform(no_ethernet, "boards/x.json");
  CHECK_NOTHROW(Evaluator(net, p, ModelOptions{}));
  try {
    Evaluator ev(net, p, pipelined());
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK(e.where() == "boards/x.json.ethernet.bandwidth");
    CHECK_THAT(e.what(), Catch::Contains("missing field") && Catch::Contains("network_mode \"pipelined\""));
  }
  nlohmann::json no_latency = no_ethernet;
  no_latency["ethernet"] = {{"bandwidth", 10.0}};
  const Platform q = parse_platform(no_latency, "boards/y.json");
  CHECK_THROWS_WITH(Evaluator(net, q, pipelined()), Catch::StartsWith("boards/y.json.ethernet.latency: missing field"));
  // network_metrics itself checks too (the DSE calls it without an Evaluator).
  CHECK_THROWS_AS(network_metrics({PartitionMetrics{}}, 1, p, pipelined()), InputError);
  // A design file's embedded platform is named by its path inside the file.
  const Platform embedded = parse_platform(no_ethernet, "design.json: /platform");
  CHECK_THROWS_WITH(embedded.ethernet_port_width(), Catch::StartsWith("design.json: /platform.ethernet.bandwidth"));
}
