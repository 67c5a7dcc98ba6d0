// The lowering pass (hls.md §3, §5, §7) on hand-folded designs: module selection by the
// redundant-module rules, FIFO depths from the model, weight ROM layouts against the engine's
// quantised weights, sparse input orders, and clear errors for what the emitter cannot realise.
#include <catch2/catch.hpp>

#include "emit_util.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/evaluator.hpp"

using namespace emit_test;

namespace {

int calls_of(const hwgen::HlsPartition& p, const std::string& layer, const std::string& function) {
  int n = 0;
  for (const auto& c : p.calls)
    if (c.layer == layer && c.function == function) ++n;
  return n;
}

const hwgen::StreamArray& stream_array(const hwgen::HlsPartition& p, const std::string& name) {
  for (const auto& s : p.streams)
    if (s.name == name) return s;
  FAIL("no stream array " << name);
  throw;
}

const hwgen::Rom& rom(const hwgen::HlsPartition& p, const std::string& name) {
  for (const auto& r : p.roms)
    if (r.name == name) return r;
  FAIL("no ROM " << name);
  throw;
}

struct Lowered {
  ir::Graph graph;
  dse::Design design;
  std::unique_ptr<engine::Engine> engine;
  hwgen::HlsPartition partition(int p, hwgen::LowerOptions o = {}) const {
    return hwgen::lower_partition(design, p, graph, *engine, o);
  }
};

Lowered lowered(ir::Graph g, dse::Design d) {
  Lowered l{std::move(g), std::move(d), nullptr};
  l.engine = std::make_unique<engine::Engine>(l.graph, hwgen::design_numerics(l.design, l.graph));
  return l;
}

}  // namespace

TEST_CASE("redundant modules are omitted as in the resource model", "[hwgen_emit][lower]") {
  const ir::Graph g = residual_net();
  dse::Design d = start_design(g);
  fold(d, "stem", 1, 1, 9);  // cin 1, cout 1, Cs 3: no fork, no glue, an accum
  fold(d, "b_conv1", 8, 8, 1);  // Cs = 1 → no accum; cin 8 → glue
  d = finish_design(d);
  const Lowered l = lowered(g, d);
  const hwgen::HlsPartition p = l.partition(0);
  CHECK(calls_of(p, "stem", "sdhls::fork") == 0);
  CHECK(calls_of(p, "stem", "sdhls::glue") == 0);
  CHECK(calls_of(p, "stem", "sdhls::accum") == 1);
  CHECK(calls_of(p, "stem", "sdhls::bias") == 1);
  CHECK(calls_of(p, "stem", "sdhls::sliding_window") == 1);
  // b_conv1 is sparse: the accumulation is the tagged sparse_accum, always present.
  CHECK(calls_of(p, "b_conv1", "sdhls::sparse_fork") == 1);
  CHECK(calls_of(p, "b_conv1", "sdhls::sparse_accum") == 1);
  CHECK(calls_of(p, "b_conv1", "sdhls::glue") == 1);
  // The InnerProduct has no sliding window (hls.md §4).
  CHECK(calls_of(p, "fc", "sdhls::sliding_window") == 0);
}

TEST_CASE("EltWise input FIFOs take the model's buffer depths (hls.md §7)", "[hwgen_emit][lower]") {
  const ir::Graph g = residual_net();
  dse::Design d = start_design(g);
  fold(d, "stem_relu_split", 2);
  fold(d, "b_conv1", 2, 2, 3);
  fold(d, "b_relu1", 2);
  fold(d, "b_conv2", 2, 2, 3);
  fold(d, "add", 2);
  d = finish_design(d);
  hw::Evaluator ev(d.network, d.platform, d.options);
  ev.set_partitions(d.partitions);
  ev.evaluate(d.partitions);
  const int add = d.network.index("add");
  const std::int64_t conv_port = ev.partition_model(0).buffer_depth(add, 0);
  const std::int64_t shortcut = ev.partition_model(0).buffer_depth(add, 1);
  REQUIRE(shortcut > conv_port);  // the identity path is the short one

  const Lowered l = lowered(g, d);
  const hwgen::HlsPartition p = l.partition(0);
  // No squeeze on either edge: the conv path writes straight into a FIFO of its depth, the split port
  // is relayed into its own array.
  CHECK(stream_array(p, "b_conv2_out").depth == conv_port);
  CHECK(stream_array(p, "stem_relu_split_to_add").depth == shortcut);
  CHECK(stream_array(p, "stem_relu_split_out").depth == 2);
  CHECK(stream_array(p, "port_in").depth == 256);
  hwgen::LowerOptions o;
  o.merge_fifo_depth = 7;
  const hwgen::HlsPartition q = l.partition(0, o);
  CHECK(stream_array(q, "b_conv2_out").depth == 7);
  CHECK(stream_array(q, "stem_relu_split_to_add").depth == 7);
}

TEST_CASE("weight ROMs follow the library layouts (hls.md §3.2, §9.3)", "[hwgen_emit][lower]") {
  const ir::Graph g = residual_net();
  dse::Design d = start_design(g);
  fold(d, "stem", 3, 2, 3);
  fold(d, "b_conv1", 2, 4, 5);
  fold(d, "fc", 2, 5);
  d = finish_design(d);
  const Lowered l = lowered(g, d);
  const hwgen::HlsPartition p = l.partition(0);

  // Dense: w[i][o][(ci·Fl + fo)·(K²/fine) + q][l] = W[f][c][q·fine + l], c = ci·cin + i, f = fo·cout + o.
  const std::vector<std::int64_t> w = l.engine->quantized_weights(l.graph.vertex("stem"));
  const hwgen::Rom& stem = rom(p, "stem_w");
  REQUIRE(stem.dims == std::vector<int>{3, 2, 1 * 4 * 3, 3});
  const int cin = 3, cout = 2, fl = 4, chunks = 3, fine = 3;
  for (int i = 0; i < cin; ++i)
    for (int o = 0; o < cout; ++o)
      for (int fo = 0; fo < fl; ++fo)
        for (int q = 0; q < chunks; ++q)
          for (int ln = 0; ln < fine; ++ln) {
            const int c = i, f = fo * cout + o, k = q * fine + ln;
            const std::size_t at = static_cast<std::size_t>((((i * cout + o) * fl * chunks) + fo * chunks + q) * fine + ln);
            REQUIRE(stem.values.at(at) == w[static_cast<std::size_t>((f * 3 + c) * 9 + k)]);
          }
  // Bias lanes: b[o][fo] = bias[fo·cout + o].
  const std::vector<std::int64_t> b = l.engine->quantized_bias(l.graph.vertex("stem"));
  const hwgen::Rom& bias = rom(p, "stem_b");
  for (int o = 0; o < cout; ++o)
    for (int fo = 0; fo < fl; ++fo) CHECK(bias.values[static_cast<std::size_t>(o * fl + fo)] == b[static_cast<std::size_t>(fo * cout + o)]);

  // Sparse with a chan_permute: stream i, local ci holds the channel the schedule reads in cycle ci.
  const hwgen::Rom& order = rom(p, "b_conv1_order");
  const hwgen::Rom& sw = rom(p, "b_conv1_w");
  const std::vector<std::int64_t> w1 = l.engine->quantized_weights(l.graph.vertex("b_conv1"));
  REQUIRE(sw.dims == std::vector<int>{2, 4, 4 * 2, 9});
  for (int i = 0; i < 2; ++i)
    for (int o = 0; o < 4; ++o)
      for (int ci = 0; ci < 4; ++ci)
        for (int fo = 0; fo < 2; ++fo)
          for (int k = 0; k < 9; ++k) {
            const std::int64_t c = order.values[static_cast<std::size_t>(ci * 2 + i)];
            const int f = fo * 4 + o;
            REQUIRE(sw.values[static_cast<std::size_t>((((i * 4 + o) * 8) + ci * 2 + fo) * 9 + k)] ==
                    w1[static_cast<std::size_t>((f * 8 + c) * 9 + k)]);
          }
}

TEST_CASE("an InnerProduct after a spatial flatten reads its weights in NHWC order", "[hwgen_emit][lower]") {
  NetBuilder b("flat", 2, 3, 3, 4);
  b.conv("c", "input", 2, 4, 3, 1, 1);
  b.layer("flatten", ir::LayerKind::Flatten, {"c"});
  b.fc("fc", "flatten", 36, 3);
  const ir::Graph g = b.finish();
  dse::Design d = start_design(g);
  fold(d, "fc", 1, 1);
  d = finish_design(d);
  const Lowered l = lowered(g, d);
  const hwgen::HlsPartition p = l.partition(0);
  const hwgen::Rom& w = rom(p, "fc_w");
  const std::vector<std::int64_t> ir_w = l.engine->quantized_weights(l.graph.vertex("fc"));
  // Hardware channel j = (h·W + w)·C + c of the 4×3×3 tensor is IR column c·9 + h·3 + w.
  for (int f = 0; f < 3; ++f)
    for (int j = 0; j < 36; ++j) {
      const int c = j % 4, pixel = j / 4;
      CHECK(w.values[static_cast<std::size_t>(j * 3 + f)] == ir_w[static_cast<std::size_t>(f * 36 + c * 9 + pixel)]);
    }
}

TEST_CASE("designs the emitter cannot realise are InputErrors naming the layer", "[hwgen_emit][lower]") {
  SECTION("grouped convolution") {
    NetBuilder b("grouped", 4, 6, 6, 1);
    b.conv("g", "input", 4, 4, 3, 1, 1);
    ir::Graph g = b.finish();
    g.layer("g").groups = 2;  // 4 filters over 2 channels per group
    g.layer("g").weights.conservativeResize(4 * 2 * 9);
    ir::infer_shapes(g);
    const dse::Design d = finish_design(start_design(g));
    const Lowered l = lowered(g, d);
    CHECK_THROWS_WITH(l.partition(0), Catch::Contains("'g'") && Catch::Contains("grouped"));
  }
  SECTION("a design layer missing from the model") {
    const ir::Graph g = residual_net();
    const dse::Design d = finish_design(start_design(g));
    const ir::Graph other = mixed_net();
    CHECK_THROWS_WITH(hwgen::build_hls_project(d, other, images_for(other, 1)), Catch::Contains("not in the model"));
  }
  SECTION("testbench images of the wrong shape") {
    const ir::Graph g = residual_net();
    const dse::Design d = finish_design(start_design(g));
    CHECK_THROWS_WITH(hwgen::build_hls_project(d, g, hwgen::random_images({3, 8, 8}, 1, 1)),
                      Catch::Contains("3x8x8"));
  }
}
