// Every layer kind by hand, in both semantics (model.md §4.3, §4.4, §5, §6.3, §6.5).
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/layer.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {
const ModelOptions kMain;
const ModelOptions kPass = ModelOptions::for_semantics(Semantics::pass);
}  // namespace

TEST_CASE("Pooling", "[hw][layers]") {
  HwLayer l = simple(LayerKind::pooling, 8, 8, 4, 2);
  l.kernel_rows = l.kernel_cols = 2;
  l.stride_rows = l.stride_cols = 2;
  LayerMetrics m = evaluate_layer(l, kMain);
  CHECK(m.latency == 128);          // Hp·Wp·C/coarse
  CHECK(m.pipeline_depth == 18);    // 1·8·2 + 1·2
  CHECK(m.rate_in == Approx(1.0));
  CHECK(m.rate_out == Approx(0.25));
  CHECK(l.rows_out() == 4);
  CHECK(m.size_out == 32);
  CHECK(evaluate_layer(l, kPass).latency == 128);

  l = simple(LayerKind::pooling, 8, 8, 4, 1);
  l.kernel_rows = l.kernel_cols = 3;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = 1;
  CHECK(evaluate_layer(l, kMain).latency == 400);
  m = evaluate_layer(l, kPass);
  CHECK(m.latency_in == 400);  // 256 / (64/100)
  CHECK(m.latency == 400);
  CHECK(feasible_folding(l).coarse_in == std::vector<int>{1, 2, 4});
}

TEST_CASE("GlobalPooling (Q7) and its resources", "[hw][layers]") {
  HwLayer l = simple(LayerKind::global_pooling, 4, 4, 8, 2);
  LayerMetrics m = evaluate_layer(l, kMain);
  CHECK(m.latency == 64);
  CHECK(m.pipeline_depth == 64);
  CHECK(l.rows_out() == 1);
  CHECK(m.size_out == 4);
  ModelOptions faithful;
  faithful.quirks.global_pool_latency = true;
  CHECK(evaluate_layer(l, faithful).latency == 4);
  CHECK(evaluate_layer(l, kPass).latency == 64);
  // Per instance: LUT int(28.143908·32) + 8·lutram(4,16) = 900 + 16, FF int(0.641057·32·4) = 82,
  // DSP dsp(16, 32) = 2; two instances.
  CHECK(m.resources.lut == 2 * 916);
  CHECK(m.resources.ff == 2 * 82);
  CHECK(m.resources.dsp == 4);
  CHECK(m.resources.bram == 0);
}

TEST_CASE("ReLU, ThresholdedReLU, EltWise, Split", "[hw][layers]") {
  for (LayerKind k : {LayerKind::relu, LayerKind::thresholded_relu}) {
    const LayerMetrics m = evaluate_layer(simple(k, 8, 8, 4, 2), kMain);
    CHECK(m.latency == 128);
    CHECK(m.pipeline_depth == 0);
    CHECK(m.resources == Resources{32, 70, 0, 0, 0});
    CHECK(evaluate_layer(simple(k, 8, 8, 4, 2), kPass).latency == 128);
  }
  HwLayer add = simple(LayerKind::eltwise, 8, 8, 4, 4);
  add.ports_in = 2;
  add.port_channels = {4, 4};
  LayerMetrics m = evaluate_layer(add, kMain);
  CHECK(m.latency == 64);
  CHECK(m.resources == Resources{196, 92, 0, 0, 0});
  CHECK(evaluate_layer(add, kPass).latency == 64);

  HwLayer split = simple(LayerKind::split, 8, 8, 4, 2);
  split.ports_out = 3;
  m = evaluate_layer(split, kMain);
  CHECK(m.latency == 128);
  CHECK(m.resources == Resources{2 * 13, 2 * 15, 0, 0, 0});  // fork: int(0.5·16 + 5), 12 + 3
  CHECK(evaluate_layer(split, kPass).latency == 128);
}

TEST_CASE("Concat", "[hw][layers]") {
  HwLayer cat = simple(LayerKind::concat, 8, 8, 4, 4);
  cat.ports_in = 2;
  cat.port_channels = {4, 12};
  CHECK(cat.channels_out() == 16);
  const LayerMetrics m = evaluate_layer(cat, kMain);
  CHECK(m.latency == 256);
  CHECK(m.rate_in == Approx(0.25));
  CHECK(m.resources == Resources{4 * 49, 4 * 23, 0, 0, 0});
  CHECK(evaluate_layer(cat, kPass).latency == 256);  // port 0: 256 words at rate 0.25·4
  CHECK(feasible_folding(cat).coarse_in == std::vector<int>{1, 2, 4});
}

TEST_CASE("Squeeze layer", "[hw][layers]") {
  HwLayer sq = simple(LayerKind::squeeze, 8, 8, 4, 1);
  sq.folding.coarse_out = 2;
  const LayerMetrics m = evaluate_layer(sq, kMain);
  CHECK(m.latency == 256);
  CHECK(m.size_in == 256);
  CHECK(m.size_out == 128);
  // buf = lcm(1,2) = 2: logic int(2.2269·32 + 235.586 + 3.293·32) = 412; two LUTRAM FIFOs of depth
  // 3 × 16 bit → 2 primitives each → int(48.8293·4) = 195; FF int(15.8739·2 + 3.4849·32 + 1084.9015).
  CHECK(m.resources.lut == 412 + 195);
  CHECK(m.resources.ff == 1228);
  CHECK(evaluate_layer(sq, kPass).latency == 256);
}

TEST_CASE("InnerProduct dense", "[hw][layers]") {
  HwLayer ip;
  ip.kind = LayerKind::inner_product;
  ip.channels = 8;
  ip.filters = 4;
  ip.has_bias = true;
  ip.folding = {2, 2, 1, 1};
  LayerMetrics m = evaluate_layer(ip, kMain);
  CHECK(m.latency == 8);
  CHECK(m.pipeline_depth == 0 + 1 + 8 + 2 + 0);
  CHECK(evaluate_layer(ip, kPass).latency == 8);
  const WeightMemory w = weight_memory(ip, kMain);
  CHECK(w.depth == 8);
  CHECK(w.width == 64);
  CHECK(w.ram == 0);
  CHECK(w.rom_lut == 64);  // 512 bits: small ROM (Q15)
  CHECK(m.resources.dsp == 4);

  HwLayer flat = ip;  // 2×2×2 input: the same 8 features
  flat.rows = flat.cols = 2;
  flat.channels = 2;
  CHECK(evaluate_layer(flat, kMain).latency == 8);
  CHECK(flat.parameters() == 32);
  CHECK(feasible_folding(flat).coarse_in == std::vector<int>{1, 2, 4, 8});
}

TEST_CASE("InnerProduct sparse (K² = 1 window model)", "[hw][layers][sparse]") {
  HwLayer ip;
  ip.kind = LayerKind::inner_product_sparse;
  ip.channels = 8;
  ip.filters = 4;
  ip.folding = {2, 2, 1, 1};
  ip.sparsity = SparseProfile::from_channel_sparsity(std::vector<double>(8, 0.5), "ip");
  // workload (8/2)·(4/2) = 8 at E = 0.5 → 4; io_in = 4, io_out = 2.
  CHECK(evaluate_layer(ip, kMain).latency == 4);
  ip.sparsity = SparseProfile::from_channel_sparsity(std::vector<double>(8, 0.75), "ip");
  CHECK(evaluate_layer(ip, kMain).latency == 4);  // op_lat 2 < io_in 4
  ip.sparsity = SparseProfile::from_channel_sparsity(std::vector<double>(8, 0.0), "ip");
  HwLayer dense = ip;
  dense.kind = LayerKind::inner_product;
  CHECK(evaluate_layer(ip, kMain).latency == evaluate_layer(dense, kMain).latency);
}

TEST_CASE("grouped and depthwise convolution", "[hw][layers]") {
  // Depthwise 8×8×4, G = 4, F = 4, 3×3 pad 1: cout ∈ factors(1), cg ∈ factors(4).
  HwLayer dw = conv(8, 8, 4, 4, 3, 1, 1, 1, 1, 9, false, 4, 2);
  const FoldingSpace s = feasible_folding(dw);
  CHECK(s.coarse_in == std::vector<int>{1});
  CHECK(s.coarse_out == std::vector<int>{1});
  CHECK(s.coarse_group == std::vector<int>{1, 2, 4});
  CHECK(s.fine == std::vector<int>{1, 3, 9});
  // S_in = 2, Cs = 2, Cv = 4·9/(9·2) = 2, Fl = 4/(1·4) = 1: VD 64·2·1 = 128; pad 10·10·2 = 200;
  // glue Ho·Wo·F/(cout·cg) = 64·4/2 = 128 (Q8 faithful: /cg again = 64).
  const LayerMetrics m = evaluate_layer(dw, kMain);
  CHECK(m.latency == 200);
  CHECK(dw.streams_in() == 2);
  CHECK(dw.streams_out() == 2);
  const ModuleChain chain = module_chain(dw, kMain);
  CHECK(latency(chain.modules[6], kMain.quirks) == 128);
  ModelOptions faithful;
  faithful.quirks.glue_latency = true;
  CHECK(latency(chain.modules[6], faithful.quirks) == 64);
}

TEST_CASE("1x1 convolution: zeroed sliding window and squeeze", "[hw][layers][resources]") {
  const HwLayer pw = conv(8, 8, 4, 8, 1, 1, 0, 2, 2, 1, false);
  const ModuleChain chain = module_chain(pw, kMain);
  CHECK(chain.modules[1].kind == ModuleKind::sliding_window);
  CHECK(chain.instances[1] == 0);  // K = 1×1
  CHECK(chain.modules[2].kind == ModuleKind::squeeze);
  CHECK(chain.instances[2] == 0);  // fine = K²
  CHECK(evaluate_layer(pw, kMain).resources.bram == 0);
}

TEST_CASE("narrow types pack DSPs (§6.5)", "[hw][layers][resources]") {
  HwLayer l = e1();
  l.data_width = l.weight_width = 8;
  CHECK(evaluate_layer(l, kMain).resources.dsp == 12);
  l.data_width = l.weight_width = 4;
  CHECK(evaluate_layer(l, kMain).resources.dsp == 6);
}

TEST_CASE("weights in URAM and off-chip streaming (§6.5, §7.3)", "[hw][layers][resources]") {
  HwLayer l = e1();
  l.use_uram = true;
  LayerMetrics m = evaluate_layer(l, kMain);
  CHECK(m.resources.uram == uram(48, 384));  // rep ⌈384/72⌉ = 6
  CHECK(m.resources.uram == 6);
  CHECK(m.resources.bram == 2);  // line buffer only

  // A big layer: 64 → 64, 3×3, cin = cout = 1, fine 1: one array of depth 36864, width 16.
  HwLayer big = conv(8, 8, 64, 64, 3, 1, 1, 1, 1, 1, false);
  const WeightMemory w = weight_memory(big, kMain);
  CHECK(w.depth == 36864);
  CHECK(w.ram == 36);  // 16 → 18 bits, 1024 deep
  CHECK(w.stream_unit() == 1);
  CHECK(w.stream_step(0.1) == 4);  // ⌈0.1·36⌉
  big.stream_weights = 4;
  m = evaluate_layer(big, kMain);
  CHECK(m.weights_ram == 36);
  // 4 RAMs off chip + one unit of buffer: 36 − 4 + 1 weights BRAM; 4096 words streamed per image
  // through a window of on-chip range + unit depth: 4096·16 / (32768 + 1024) bits per cycle.
  CHECK(m.weights_stream_bits_per_cycle == Approx(4096.0 * 16 / (32768 + 1024)));
  const LayerMetrics base = evaluate_layer(conv(8, 8, 64, 64, 3, 1, 1, 1, 1, 1, false), kMain);
  CHECK(base.resources.bram - m.resources.bram == 3);

  // A conv reading its input from DRAM has no line buffer.
  HwLayer streamed = e1();
  streamed.stream_inputs = 1;
  CHECK(evaluate_layer(e1(), kMain).resources.bram - evaluate_layer(streamed, kMain).resources.bram == 2);
}

TEST_CASE("sparse resources: per-instance modules and weights layout (§6.6, Q14, Q33)", "[hw][layers][sparse]") {
  HwLayer l = conv(8, 8, 4, 8, 3, 1, 1, 2, 2, 2, false);
  l.kind = LayerKind::convolution_sparse;
  l.sparsity = SparseProfile::from_histogram(std::vector<std::vector<double>>(4, {1, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 9, "s");
  // Default: cin·cout = 4 arrays of depth Cs·Fl = 2·4 = 8 and width 9·16 = 144 bits → 1152 bits → BRAM.
  WeightMemory w = weight_memory(l, kMain);
  CHECK(w.arrays == 4);
  CHECK(w.depth == 8);
  CHECK(w.width == 144);
  CHECK(w.ram == 4 * 4);  // rep ⌈144/36⌉ = 4 each
  ModelOptions faithful;
  faithful.quirks.sparse_weight_layout = true;
  w = weight_memory(l, faithful);
  CHECK(w.arrays == 8);    // fine·cin·cout
  CHECK(w.depth == 36);    // ⌈8·4·9/(2·2·2)⌉
  CHECK(w.width == 16);
  CHECK(w.ram == 0);       // 576 bits per array: small ROMs (Q15)
  CHECK(w.rom_lut == 8 * 16);

  // Q14: the faithful model charges S_in − 1 = 1 squeeze (9 → 2).
  ModelOptions q14;
  q14.quirks.sparse_squeeze = true;
  const ModuleChain with = module_chain(l, q14);
  int squeezes = 0;
  for (int i = 0; i < with.size; ++i)
    if (with.modules[i].kind == ModuleKind::squeeze) squeezes += with.instances[i];
  CHECK(squeezes == 1);
  const ModuleChain without = module_chain(l, kMain);
  for (int i = 0; i < without.size; ++i) CHECK(without.modules[i].kind != ModuleKind::squeeze);
}
