// Module resources of the E1 layer by hand from the §6.3 coefficients, and the sparse module rates.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/layer.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

TEST_CASE("E1 module resources from the linear model (§6.3, §6.4)", "[hw][modules][resources]") {
  const ModelOptions o;
  const ModuleChain chain = module_chain(e1(), o);
  const Coefficients& b = coefficients(o.resource_model);
  struct Expect {
    ModuleKind kind;
    std::int64_t lut, ff;
  };
  const Expect expect[] = {
      {ModuleKind::pad, 16, 35},
      // sd = 2·16: 6.468405·32 + 3.926594·64 + 2.450841·192 = 928 (+ window 15 + frame 27 LUTRAM);
      // FF 20.771535·ib(4) + 5.212369·64 + 3.440206·192 = 1035.
      {ModuleKind::sliding_window, 928 + 15 + 27, 1035},
      // buf = lcm(9,3) = 9: 2.2269·32·3·3 + 235.586·9 + 3.293·96 = 3077; 9 LUTRAM FIFOs of depth 2 × 32
      // bit → 3 each → 48.8293·27 = 1318; FF 15.8739·9 + 3.4849·96 + 5.6949·3·2 + 1084.9015 = 1596.
      {ModuleKind::squeeze, 3077 + 1318, 1596},
      {ModuleKind::fork, 53, 75},  // 0.5·(2·16·3) + 5; 12·6 + 3
      // st = 8, acc 32, fine 3: 2.571259·3 + 0.972873·768 = 754; 4.524649·lutram(3, 256) = 76; LUT_SR 0;
      // FF 21.368624·3 + 1.486007·768 + 0.182025·256 = 1251.
      {ModuleKind::vector_dot, 754 + 76, 1251},
      // dw = acc = 32, st 8: 0.853533·4 + 3.51036·256 = 902; 13.673791·17 + 0.016783·1024 + 0.925211·256 = 486;
      // FF 3.209794·256 + 0.007326·12 + 0.288851·4 = 822.
      {ModuleKind::accum, 902 + 486, 822},
      // st 4, acc 32, cin 2: 1.261656·256 = 322; 8.878748·lutram(2, 128) = 79; LUT_SR int(0.356) = 0;
      // FF 9.537512·2 + 0.360808·128 + 0.051063·256 + 1.028054·256 = 341.
      {ModuleKind::glue, 322 + 79, 341},
      {ModuleKind::bias, 52, 140},  // 0.8125·64; 2.1875·64
  };
  REQUIRE(chain.size == 8);
  std::int64_t lut = 0, ff = 0;
  for (int i = 0; i < chain.size; ++i) {
    INFO(to_string(chain.modules[i].kind));
    CHECK(chain.modules[i].kind == expect[i].kind);
    const Resources r = resources(chain.modules[i], b);
    CHECK(r.lut == expect[i].lut);
    CHECK(r.ff == expect[i].ff);
    lut += r.lut;
    ff += r.ff;
  }
  // The layer adds the 128-LUT bias ROM (Q15) and nothing else.
  const LayerMetrics m = evaluate_layer(e1(), o);
  CHECK(m.resources.lut == lut + 128);
  CHECK(m.resources.ff == ff);
  CHECK(m.resources.lut == 8233);
  CHECK(m.resources.ff == 5295);
}

TEST_CASE("sparse vector dot and skipping accum rates (§5.3, §5.6)", "[hw][modules][sparse]") {
  Module svd;
  svd.kind = ModuleKind::sparse_vector_dot;
  svd.rows = svd.cols = 8;
  svd.channels = 2;
  svd.filters = 4;
  svd.rate_ks = 1.0 / 3;
  CHECK(rate_in(svd) == Approx(1.0 / 12));
  CHECK(rate_out(svd) == Approx(1.0 / 3));
  CHECK(pipeline_depth(svd) == 0);
  CHECK(latency(svd, Quirks{}) == 8 * 8 * 2 * 4 * 3);

  Module acc;
  acc.kind = ModuleKind::accum;
  acc.channels = 4;
  acc.filters = 2;
  acc.skip = true;
  acc.rate_sparsity = 2.0;  // half the windows skipped
  CHECK(rate_in(acc) == 2.0);
  CHECK(rate_out(acc) == Approx(0.5));  // min(4, 2)/4
  acc.rate_sparsity = 8.0;
  CHECK(rate_out(acc) == Approx(1.0));  // min(4, 8)/4
  acc.skip = false;
  CHECK(rate_in(acc) == 1.0);
  CHECK(rate_out(acc) == Approx(0.25));
  CHECK(pipeline_depth(acc) == 8);

  // E5: stream 0 = {c0, c3} never all-zero, stream 1 = {c2, c1} all-zero a quarter of the time.
  std::vector<std::vector<double>> h(4, std::vector<double>(10, 0.0));
  h[0][0] = 1;
  h[1][9] = h[1][5] = 0.5;
  h[2][3] = 1;
  h[3][7] = 1;
  const auto p = SparseProfile::from_histogram(h, 9, "E5");
  CHECK(p->accum_rate(2, 2, true, Interleaving::snake) == Approx(1.0));
  CHECK(p->accum_rate(1, 2, true, Interleaving::snake) == Approx(1.0 / (1 - 0.125)));
  CHECK(p->accum_rate(4, 2, true, Interleaving::snake) == Approx(1.0));
  CHECK(p->min_stream_sparsity(2, Interleaving::naive) == Approx(((0.0 + 3.0 / 9) / 2)));
}
