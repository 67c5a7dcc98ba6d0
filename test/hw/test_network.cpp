// IR → hardware network (model.md §3.1, §3.4) and whole-network evaluation.
#include <catch2/catch.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/evaluator.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

using namespace sparsedse;
using namespace sparsedse::hw;

namespace {

ir::Layer make(const std::string& name, ir::LayerKind kind) {
  ir::Layer l;
  l.name = name;
  l.kind = kind;
  return l;
}

ir::Layer conv_layer(const std::string& name, int c, int f, int k, int pad, int groups = 1) {
  ir::Layer l = make(name, ir::LayerKind::Convolution);
  l.filters = f;
  l.groups = groups;
  l.window.kernel_rows = l.window.kernel_cols = k;
  l.window.pad_top = l.window.pad_bottom = l.window.pad_left = l.window.pad_right = pad;
  l.weights = Eigen::VectorXf::Zero(std::int64_t{f} * (c / groups) * k * k);
  l.bias = Eigen::VectorXf::Zero(f);
  return l;
}

ir::SparsityStats stats(int channels, int k, double zero_fraction) {
  // Each window is either all zero (probability s) or dense: mean zero fraction s.
  ir::SparsityStats s;
  s.kernel_rows = s.kernel_cols = k;
  s.histogram.assign(channels, std::vector<double>(k * k + 1, 0.0));
  for (auto& row : s.histogram) {
    row[0] = 1.0 - zero_fraction;
    row[k * k] += zero_fraction;
  }
  return s;
}

// input(4×8×8) → c1(3×3) → r1 → [split] → c2(1×1) → add ← (split) ; add → gap → flatten → fc(10).
ir::Graph residual_graph(double c2_sparsity) {
  ir::Graph g;
  g.name = "toy";
  ir::Layer in = make("input", ir::LayerKind::Input);
  in.output_shape = {4, 8, 8};
  const auto vin = g.add_layer(in);
  const auto c1 = g.add_layer(conv_layer("c1", 4, 8, 3, 1));
  ir::Layer relu = make("r1", ir::LayerKind::ReLU);
  relu.threshold = 0.25f;
  const auto r1 = g.add_layer(relu);
  ir::Layer c2l = conv_layer("c2", 8, 8, 1, 0);
  c2l.sparsity = stats(8, 1, c2_sparsity);
  const auto c2 = g.add_layer(c2l);
  const auto add = g.add_layer(make("add", ir::LayerKind::EltwiseAdd));
  const auto gap = g.add_layer(make("gap", ir::LayerKind::GlobalAveragePool));
  const auto flat = g.add_layer(make("flatten", ir::LayerKind::Flatten));
  ir::Layer fc = make("fc", ir::LayerKind::InnerProduct);
  fc.filters = 10;
  fc.weights = Eigen::VectorXf::Zero(80);
  const auto vfc = g.add_layer(fc);
  g.connect(vin, c1, 0);
  g.connect(c1, r1, 0);
  g.connect(r1, c2, 0);
  g.connect(c2, add, 0);
  g.connect(r1, add, 1);
  g.connect(add, gap, 0);
  g.connect(gap, flat, 0);
  g.connect(flat, vfc, 0);
  ir::infer_shapes(g);
  ir::insert_splits(g);
  ir::infer_shapes(g);
  return g;
}

}  // namespace

TEST_CASE("build_network maps IR layers and bypasses NOPs", "[hw][network]") {
  const ir::Graph g = residual_graph(0.5);
  const Network net = build_network(g, ModelOptions{});
  REQUIRE(net.size() == 7);  // input and flatten are NOPs
  CHECK(net.names == std::vector<std::string>{"c1", "r1", "r1_split", "c2", "add", "gap", "fc"});
  CHECK(net.layers[0].kind == LayerKind::convolution);
  CHECK(net.layers[0].has_bias);
  CHECK(net.layers[1].kind == LayerKind::thresholded_relu);
  CHECK(net.layers[2].kind == LayerKind::split);
  CHECK(net.layers[2].ports_out == 2);
  CHECK(net.layers[3].kind == LayerKind::convolution_sparse);  // 1×1, mean 0.5 ≥ 0.1: window model
  CHECK(net.layers[3].sparsity->kernel_size() == 1);
  CHECK(net.layers[4].kind == LayerKind::eltwise);
  CHECK(net.layers[4].ports_in == 2);
  CHECK(net.layers[5].kind == LayerKind::global_pooling);
  CHECK(net.layers[6].kind == LayerKind::inner_product);
  CHECK(net.layers[6].workload_in() == 8);
  // fc is fed by gap through the flatten.
  REQUIRE(net.in_edges[6].size() == 1);
  CHECK(net.edges[net.in_edges[6][0]].from == 5);
  // add: port 0 from c2, port 1 from the split.
  REQUIRE(net.in_edges[4].size() == 2);
  CHECK(net.edges[net.in_edges[4][0]].from == 3);
  CHECK(net.edges[net.in_edges[4][1]].from == 2);
  CHECK(net.in_edges[0].empty());
  CHECK(net.feasible[0].fine == std::vector<int>{1, 3, 9});
}

TEST_CASE("sparse selection rule (§3.4)", "[hw][network][sparse]") {
  CHECK(build_network(residual_graph(0.05), ModelOptions{}).layers[3].kind == LayerKind::convolution);
  CHECK(build_network(residual_graph(0.1), ModelOptions{}).layers[3].kind == LayerKind::convolution_sparse);
  ModelOptions cluster;
  cluster.pointwise_model = PointwiseModel::cluster;
  CHECK(build_network(residual_graph(0.5), cluster).layers[3].kind == LayerKind::convolution_pointwise_sparse);
  // pass: never 1×1, threshold 0.2.
  const ModelOptions pass = ModelOptions::for_semantics(Semantics::pass);
  CHECK(pass.sparse_enable == 0.2);
  CHECK(build_network(residual_graph(0.5), pass).layers[3].kind == LayerKind::convolution);

  // Grouped convolutions stay dense; a 3×3 layer with statistics becomes sparse.
  ir::Graph g;
  g.name = "grouped";
  ir::Layer in = make("input", ir::LayerKind::Input);
  in.output_shape = {4, 6, 6};
  const auto vin = g.add_layer(in);
  ir::Layer dw = conv_layer("dw", 4, 4, 3, 1, 4);
  dw.sparsity = stats(4, 3, 0.5);
  const auto vdw = g.add_layer(dw);
  ir::Layer c = conv_layer("full", 4, 4, 3, 1);
  c.sparsity = stats(4, 3, 0.3);
  const auto vc = g.add_layer(c);
  g.connect(vin, vdw, 0);
  g.connect(vdw, vc, 0);
  ir::infer_shapes(g);
  const Network net = build_network(g, ModelOptions{});
  CHECK(net.layers[0].kind == LayerKind::convolution);
  CHECK(net.layers[1].kind == LayerKind::convolution_sparse);
  // Under pass the 3×3 layer is dense below 0.2, sparse at 0.3.
  CHECK(build_network(g, pass).layers[1].kind == LayerKind::convolution_sparse);

  // Statistics that do not match the layer are input errors.
  ir::Graph bad = g;
  bad.layer("full").sparsity = stats(3, 3, 0.3);
  CHECK_THROWS_AS(build_network(bad, ModelOptions{}), InputError);
  bad.layer("full").sparsity = stats(4, 1, 0.3);
  CHECK_THROWS_AS(build_network(bad, ModelOptions{}), InputError);
}

TEST_CASE("whole-network evaluation of the IR-built design", "[hw][network]") {
  const ir::Graph g = residual_graph(0.5);
  const Network net = build_network(g, ModelOptions{});
  Platform p;
  p.device = p.usable = {1728000, 3456000, 12288, 5376, 1280};
  p.clock_mhz = 250;
  p.memory_bandwidth_gbps = 614.4;
  Evaluator ev(net, p, ModelOptions{});
  const std::vector<Partition> parts{whole_network_partition(net, 1)};
  ev.set_partitions(parts);
  const NetworkMetrics m = ev.evaluate(parts);
  // c1 at folding 1: Ho·Wo·Cv·Fl = 64·36·8 = 18432 is the interval.
  CHECK(ev.layer(0).latency == 18432);
  CHECK(ev.partition_metrics()[0].interval == 18432);
  CHECK(ev.partition_metrics()[0].bottleneck == 0);
  // The 1×1 sparse conv: workload 64·8·8 at E = 0.5 → 2048 cycles, io_in = 512.
  CHECK(ev.layer(3).latency == 2048);
  CHECK(m.fits);
  CHECK(m.cycles == ev.partition_metrics()[0].cycles);
  CHECK(m.cycles > 18432);
}
