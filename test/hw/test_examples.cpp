// The worked examples of model.md §4.9 (E1, E3), §5.9 (E4–E6) and §6.8, computed by hand.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/layer.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

TEST_CASE("E1 dense conv, main: module latencies and pipeline depths", "[hw][examples]") {
  const ModelOptions o;
  const HwLayer l = e1();
  const ModuleChain chain = module_chain(l, o);
  REQUIRE(chain.size == 8);
  const std::int64_t lat[8] = {1296, 1296, 3072, 1024, 12288, 12288, 1024, 1024};  // squeeze corrected (Q10)
  const std::int64_t pd[8] = {0, 152, 0, 0, 2, 48, 2, 0};
  const ModuleKind kinds[8] = {ModuleKind::pad, ModuleKind::sliding_window, ModuleKind::squeeze, ModuleKind::fork,
                               ModuleKind::vector_dot, ModuleKind::accum, ModuleKind::glue, ModuleKind::bias};
  for (int i = 0; i < 8; ++i) {
    INFO("module " << to_string(chain.modules[i].kind));
    CHECK(chain.modules[i].kind == kinds[i]);
    CHECK(latency(chain.modules[i], o.quirks) == lat[i]);
    CHECK(pipeline_depth(chain.modules[i]) == pd[i]);
  }
  Quirks faithful;
  faithful.conv_squeeze_rate = true;
  CHECK(latency(chain.modules[2], faithful) == 1024);

  const LayerMetrics m = evaluate_layer(l, o);
  CHECK(m.latency == 12288);
  CHECK(m.latency == 294912 / 24);
  CHECK(m.pipeline_depth == 204);
  CHECK(m.rate_in == Approx(0.25));
  CHECK(m.rate_out == Approx(1.0 / 12));
  CHECK(m.size_in == 1024);
  CHECK(m.size_out == 1024);
  CHECK(m.streams_in == 2);
  CHECK(m.streams_out == 4);
}

TEST_CASE("E3 the same conv under pass semantics", "[hw][examples]") {
  const ModelOptions o = ModelOptions::for_semantics(Semantics::pass);
  HwLayer l = e1();
  LayerMetrics m = evaluate_layer(l, o);
  CHECK(m.rate_in == Approx(0.25 * 256 / 324));
  CHECK(m.latency_in == 5184);  // Hp·Wp·Cs·Fl
  CHECK(m.latency_out == 12288);
  CHECK(m.latency == 12288);
  CHECK(layer_latency(l, o) == 12288);

  l.folding.fine = 9;
  m = evaluate_layer(l, o);
  CHECK(m.latency_in == 5184);
  CHECK(m.latency_out == 4096);
  CHECK(m.latency == 5184);
  CHECK(evaluate_layer(l, ModelOptions{}).latency == 4096);  // main: Ho·Wo·Cv·Fl with Cv = 4
}

TEST_CASE("E1 resources (§6.8)", "[hw][examples][resources]") {
  const ModelOptions o;
  const HwLayer l = e1();
  const ModuleChain chain = module_chain(l, o);
  const Coefficients& beta = coefficients(o.resource_model);
  const Module& vd = chain.modules[4];
  REQUIRE(vd.kind == ModuleKind::vector_dot);
  CHECK(resources(vd, beta).dsp == 24);

  const WeightMemory w = weight_memory(l, o);
  CHECK(w.depth == 48);
  CHECK(w.width == 384);
  CHECK(w.ram == 11);

  const WindowBuffers buf = window_buffers(chain.modules[1]);
  CHECK(buf.line_bram == 2);
  CHECK(buf.window_bram == 0);
  CHECK(buf.window_lutram == 15);
  CHECK(buf.frame_lutram == 27);

  // The layer: DSP only in the vector dot; BRAM = weights 11 + line buffer 2 (squeeze FIFOs are
  // 9 × (1+1) × 32 bits → LUTRAM; bias 512 bits → 128 LUT of ROM, Q15).
  const LayerMetrics m = evaluate_layer(l, o);
  CHECK(m.resources.dsp == 24);
  CHECK(m.resources.bram == 13);
  CHECK(m.weights_ram == 11);

  ModelOptions no_rom;
  no_rom.quirks.small_rom = true;
  CHECK(m.resources.lut - evaluate_layer(l, no_rom).resources.lut == 128);
}
