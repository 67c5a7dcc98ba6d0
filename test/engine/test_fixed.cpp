// Fixed-point mode: bit-exact against reference loops that restate hls.md §8 with the shared casts.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/common/error.hpp"

using namespace test_engine;
using engine::Engine;
using engine::Numerics;
using engine::Tensor;

namespace {

void check_exact(const Tensor& got, const std::vector<double>& ref) {
  REQUIRE(got.data.size() == ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    INFO("element " << i);
    REQUIRE(double(got.data[i]) == ref[i]);
  }
}

}  // namespace

TEST_CASE("fixed: the input is quantised with AP_RND and AP_SAT", "[engine][fixed]") {
  Graph g = single({1, 1, 8}, simple("flat", LayerKind::Flatten));
  Tensor in(1, {1, 1, 8});
  const double lsb = 1.0 / 256;
  // Ties go toward +inf: 1.5 LSB -> 2, -1.5 LSB -> -1; far out of range saturates.
  in.data = {float(1.5 * lsb), float(-1.5 * lsb), float(0.49 * lsb), float(-0.5 * lsb), 1000.0f, -1000.0f,
             float(127.998), float(1.0 / 3)};
  Tensor out = Engine(g, fixed_numerics(), 1).run(in);
  CHECK(out.data == std::vector<float>{float(2 * lsb), float(-1 * lsb), 0.0f, 0.0f, float(32767 * lsb),
                                       float(-32768 * lsb), float(32767 * lsb), float(85 * lsb)});
}

TEST_CASE("fixed: convolutions are bit-exact against the int64 reference", "[engine][fixed][conv]") {
  std::mt19937 rng(21);
  struct Case {
    int c, h, w, f, groups;
    Window win;
    FixedFormat data, weights, out;
  };
  const FixedFormat d16{16, 8, true}, w16{16, 8, true}, w12{16, 12, true}, o8{8, 4, true};
  const Case cases[] = {
      {3, 8, 8, 8, 1, {3, 3, 1, 1, 1, 1, 1, 1}, d16, w16, d16},
      {4, 9, 7, 6, 2, {3, 3, 2, 2, 1, 1, 1, 1}, d16, w12, d16},
      {16, 5, 5, 12, 1, {1, 1, 1, 1, 0, 0, 0, 0}, d16, w12, d16},
      {32, 6, 6, 8, 1, {3, 3, 1, 1, 1, 1, 1, 1}, d16, w12, o8},  // narrow output: saturation
      {300, 3, 3, 4, 1, {1, 1, 1, 1, 0, 0, 0, 0}, d16, w16, d16},  // depth over one K block
  };
  for (const Case& k : cases) {
    Layer layer = conv_layer("c", k.c, k.f, k.win, k.groups, rng, true, 1.5f);
    Graph g = single({k.c, k.h, k.w}, layer);
    Numerics num = fixed_numerics(k.data, k.weights);
    num.layer_data["c"] = k.out;
    Tensor in = random_grid(2, {k.c, k.h, k.w}, k.data, rng, 4000);
    Engine e(g, num, 2);
    INFO("c " << k.c << " f " << k.f << " out " << k.out.width << "." << k.out.frac);
    check_exact(e.run(in), reference_fixed_conv(g.layer("c"), in, k.data, k.weights, k.out));
    CHECK(e.output_format(g.vertex("c")) == k.out);
    CHECK(e.accumulator_format(g.vertex("c")).format ==
          accumulator_format(k.data, k.weights, std::int64_t(k.c / k.groups) * k.win.kernel_size()).format);
  }
}

TEST_CASE("fixed: the int16 GEMM path is bit-exact on odd shapes", "[engine][fixed][conv]") {
  // 16.8 data and weights: the int16 kernel (static bound, or the per-call one for the 513-deep layer,
  // whose weight L1 may pass 2^16) against the int64 reference.
  std::mt19937 rng(33);
  const ConvCase cases[] = {
      {5, 9, 11, 7, 1, {3, 3, 2, 2, 1, 0, 1, 1}},   // stride 2, asymmetric padding
      {6, 7, 5, 9, 3, {3, 3, 1, 1, 1, 1, 1, 1}},    // groups
      {7, 9, 9, 5, 1, {1, 1, 2, 2, 0, 0, 0, 0}},    // 1x1, stride 2
      {13, 5, 7, 6, 1, {1, 1, 1, 1, 0, 0, 0, 0}},   // pointwise, odd depth
      {4, 10, 9, 3, 1, {5, 3, 1, 2, 2, 1, 2, 1}},   // 5x3 kernel, stride (1, 2)
      {57, 4, 4, 10, 1, {3, 3, 1, 1, 1, 1, 1, 1}},  // depth 513: two K blocks and an odd one
  };
  for (const ConvCase& k : cases) {
    Layer layer = conv_layer("c", k.c, k.f, k.win, k.groups, rng, true, 0.5f);
    Graph g = single({k.c, k.h, k.w}, layer);
    Tensor in = random_grid(3, {k.c, k.h, k.w}, kDefaultData, rng, 4000);
    INFO("c " << k.c << " f " << k.f << " groups " << k.groups);
    check_exact(Engine(g, fixed_numerics(), 2).run(in),
                reference_fixed_conv(g.layer("c"), in, kDefaultData, kDefaultWeight, kDefaultData));
  }
  // Inner product with an odd depth (45).
  Graph g = single({5, 3, 3}, fc_layer("fc", 45, 11, rng));
  Tensor in = random_grid(4, {5, 3, 3}, kDefaultData, rng, 30000);
  check_exact(Engine(g, fixed_numerics(), 2).run(in), reference_fixed_fc(g.layer("fc"), in));
}

TEST_CASE("fixed: sums that could overflow int32 leave the int16 path, still exact", "[engine][fixed][conv]") {
  // Weights near ±128 (codes near ±2^15) over a 72-deep filter: the static bound fails. With inputs of
  // full-range codes the true sums reach ~2^36, which int32 would wrap, so the engine must take the
  // double path; with tiny inputs the per-call bound holds and the int16 path is exact. A wide output
  // format keeps most results unsaturated, so a wrapped sum would show.
  std::mt19937 rng(44);
  Layer layer = conv_layer("c", 8, 4, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng, true, 127.0f);
  Graph g = single({8, 5, 5}, layer);
  const FixedFormat wide{24, 0, true};
  Numerics num = fixed_numerics();
  num.layer_data["c"] = wide;
  Engine e(g, num, 2);
  for (std::int64_t max_code : {std::int64_t{32767}, std::int64_t{3}}) {
    INFO("input codes up to " << max_code);
    Tensor in = random_grid(2, {8, 5, 5}, kDefaultData, rng, max_code);
    if (max_code > 3) in.data[7] = -128.0f;  // code −2^15
    check_exact(e.run(in), reference_fixed_conv(g.layer("c"), in, kDefaultData, kDefaultWeight, wide));
  }
}

TEST_CASE("fixed: formats too wide for exact double sums take the int64 path, still exact", "[engine][fixed]") {
  std::mt19937 rng(4);
  const FixedFormat d{24, 12, true}, w{32, 20, true}, o{24, 12, true};
  Layer layer = conv_layer("c", 8, 3, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng, true, 100.0f);
  Graph g = single({8, 4, 4}, layer);
  Tensor in = random_grid(2, {8, 4, 4}, d, rng, (1 << 23) - 1);
  check_exact(Engine(g, fixed_numerics(d, w), 1).run(in), reference_fixed_conv(g.layer("c"), in, d, w, o));
}

TEST_CASE("fixed: inner product, bias on the accumulator grid", "[engine][fixed][fc]") {
  std::mt19937 rng(8);
  Graph g = single({5, 2, 2}, fc_layer("fc", 20, 6, rng));
  Tensor in = random_grid(3, {5, 2, 2}, kDefaultData, rng, 2000);
  check_exact(Engine(g, fixed_numerics(), 1).run(in), reference_fixed_fc(g.layer("fc"), in));
}

TEST_CASE("fixed: ReLU compares against the floor-quantised threshold", "[engine][fixed][relu]") {
  Layer r = simple("r", LayerKind::ReLU);
  r.threshold = 0.3f;  // t_q = floor(0.3 · 256) = 76 LSB = 0.296875
  Graph g = single({1, 1, 4}, r);
  Tensor in(1, {1, 1, 4});
  in.data = {76 / 256.0f, 77 / 256.0f, 0.3f, -1.0f};  // 0.3 itself rounds to 77 LSB on input
  Engine e(g, fixed_numerics(), 1);
  CHECK(e.quantized_threshold(g.vertex("r")) == 76);
  CHECK(e.run(in).data == std::vector<float>{0.0f, 77 / 256.0f, 77 / 256.0f, 0.0f});
  // For every grid x: x > t_q ⇔ x > t.
  for (int raw = 70; raw < 80; ++raw) CHECK((raw > 76) == (raw / 256.0 > 0.3));
}

TEST_CASE("fixed: pools, eltwise saturation and concat casts", "[engine][fixed]") {
  std::mt19937 rng(13);
  const FixedFormat d = kDefaultData;
  SECTION("average pool: exact sum times the quantised reciprocal, one cast") {
    for (bool include_pad : {true, false}) {
      Layer p = simple("p", LayerKind::AveragePool);
      p.window = {3, 3, 1, 1, 1, 1, 1, 1};
      p.count_include_pad = include_pad;
      Graph g = single({2, 4, 4}, p);
      Tensor in = random_grid(1, {2, 4, 4}, d, rng, 30000);
      Tensor out = Engine(g, fixed_numerics(), 1).run(in);
      for (int c = 0; c < 2; ++c)
        for (int y = 0; y < 4; ++y)
          for (int x = 0; x < 4; ++x) {
            std::int64_t sum = 0, covered = 0;
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx)
                if (y + dy >= 0 && y + dy < 4 && x + dx >= 0 && x + dx < 4) {
                  sum += quantize(double(in.data[std::size_t(c * 16 + (y + dy) * 4 + x + dx)]), d);
                  ++covered;
                }
            const std::int64_t expected = average_raw(sum, d, include_pad ? 9 : covered, d);
            CHECK(double(out.data[std::size_t(c * 16 + y * 4 + x)]) == to_double(expected, d));
          }
    }
  }
  SECTION("global average pool") {
    Graph g = single({3, 5, 5}, simple("p", LayerKind::GlobalAveragePool));
    Tensor in = random_grid(2, {3, 5, 5}, d, rng, 30000);
    Tensor out = Engine(g, fixed_numerics(), 2).run(in);
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c) {
        std::int64_t sum = 0;
        for (int i = 0; i < 25; ++i) sum += quantize(double(in.image(n)[c * 25 + i]), d);
        CHECK(double(out.image(n)[c]) == to_double(average_raw(sum, d, 25, d), d));
      }
  }
  SECTION("eltwise add saturates; a narrower concat input is widened exactly") {
    Graph g;
    Vertex in = g.add_layer(input_layer({1, 1, 3}));
    Vertex r1 = g.add_layer(simple("r1", LayerKind::ReLU));
    Vertex r2 = g.add_layer(simple("r2", LayerKind::MaxPool));  // 1x1: the identity, then a cast
    Vertex add = g.add_layer(simple("add", LayerKind::EltwiseAdd));
    Vertex cat = g.add_layer(simple("cat", LayerKind::Concat));
    g.connect(in, r1, 0);
    g.connect(in, r2, 0);
    g.connect(r1, add, 0);
    g.connect(r2, add, 1);
    g.connect(add, cat, 0);
    g.connect(r1, cat, 1);
    insert_splits(g);
    infer_shapes(g);
    Numerics num = fixed_numerics();
    num.layer_data["r2"] = FixedFormat{12, 4, true};  // coarser grid: 1/16
    Engine e(g, num, 1);
    CHECK(e.output_format(g.vertex("r1")) == kDefaultData);  // a ReLU keeps its input's grid
    Tensor x(1, {1, 1, 3});
    x.data = {100.0f, 1.0f / 256, 0.5f};
    Tensor out = e.run(x);
    // r2 rounds 1/256 to 0 on its 1/16 grid; add = 100 + 100 saturates to 32767 LSB.
    CHECK(out.data == std::vector<float>{float(32767 / 256.0), 1.0f / 256, 1.0f, 100.0f, 1.0f / 256, 0.5f});
  }
}

TEST_CASE("fixed: the residual add on one grid saturates both ways", "[engine][fixed]") {
  // Two 16.8 inputs into a 16.8 add (the float fast path) and into a 12.4 add (the general cast).
  for (const FixedFormat out_fmt : {kDefaultData, FixedFormat{12, 4, true}}) {
    Graph g;
    Vertex a = g.add_layer(input_layer({1, 1, 37}, "a"));
    Vertex b = g.add_layer(input_layer({1, 1, 37}, "b"));
    Vertex add = g.add_layer(simple("add", LayerKind::EltwiseAdd));
    g.connect(a, add, 0);
    g.connect(b, add, 1);
    infer_shapes(g);
    Numerics num = fixed_numerics();
    num.layer_data["add"] = out_fmt;
    std::mt19937 rng(5);
    Tensor x = random_grid(3, {1, 1, 37}, kDefaultData, rng, 32768);
    Tensor y = random_grid(3, {1, 1, 37}, kDefaultData, rng, 32768);
    x.data[0] = y.data[0] = 127.99609375f;  // 32767 + 32767 LSB: saturates high
    x.data[1] = y.data[1] = -128.0f;        // saturates low
    Tensor out = Engine(g, num, 2).run(std::vector<const Tensor*>{&x, &y});
    for (std::size_t i = 0; i < x.data.size(); ++i) {
      const std::int64_t raw = quantize(double(x.data[i]), kDefaultData) + quantize(double(y.data[i]), kDefaultData);
      INFO("element " << i);
      REQUIRE(double(out.data[i]) == to_double(requantize(raw, 8, out_fmt, Rounding::rnd, Overflow::sat), out_fmt));
    }
  }
}

TEST_CASE("fixed: max pool padding is the hardware's injected zero, float ignores padding", "[engine][fixed]") {
  Layer p = simple("p", LayerKind::MaxPool);
  p.window = {2, 2, 2, 2, 1, 1, 0, 0};
  Graph g = single({1, 3, 3}, p);
  Tensor in(1, {1, 3, 3});
  in.data = {-1, -2, -3, -4, -5, -6, -7, -8, 9};
  CHECK(Engine(g, fixed_numerics(), 1).run(in).data == std::vector<float>{0, 0, 0, 9});
  CHECK(Engine(g, float_numerics(), 1).run(in).data == std::vector<float>{-1, -2, -4, 9});
}

TEST_CASE("fixed: a per-layer format on a layer without a cast is refused", "[engine][fixed]") {
  Graph g = single({1, 1, 4}, simple("r", LayerKind::ReLU));
  Numerics num = fixed_numerics();
  num.layer_data["r"] = FixedFormat{8, 4, true};
  CHECK_THROWS_AS(Engine(g, num, 1), InputError);
  num.layer_data.clear();
  num.layer_data["nope"] = FixedFormat{8, 4, true};
  CHECK_THROWS_AS(Engine(g, num, 1), InputError);
}

TEST_CASE("fixed: the fast requantisation path equals requantize", "[engine][fixed]") {
  // Convolution outputs use a shift-and-clamp fast path; compare a conv with a 1x1 identity-like
  // weight pattern over every raw value of a wide input against the shared cast.
  Layer c = simple("c", LayerKind::Convolution);
  c.filters = 1;
  c.window = {};
  c.weights = Eigen::VectorXf::Constant(1, 0.75f);  // exact on the 16.8 weight grid
  Graph g = single({1, 1, 4096}, c);
  Numerics num = fixed_numerics();
  num.layer_data["c"] = FixedFormat{10, 3, true};
  Engine e(g, num, 1);
  Tensor in(1, {1, 1, 4096});
  for (int i = 0; i < 4096; ++i) in.data[std::size_t(i)] = float((i - 2048) * 16 + (i % 7)) / 256.0f;
  Tensor out = e.run(in);
  for (int i = 0; i < 4096; ++i) {
    const std::int64_t acc = std::int64_t((i - 2048) * 16 + (i % 7)) * 192;  // 0.75 = 192 LSB, frac 16
    CHECK(double(out.data[std::size_t(i)]) == to_double(requantize(acc, 16, FixedFormat{10, 3, true}), 3));
  }
}

TEST_CASE("numerics: parsing and errors", "[engine][fixed]") {
  CHECK(Numerics::parse("float").mode == Numerics::Mode::Float);
  Numerics f = Numerics::parse("fixed");
  CHECK(f.mode == Numerics::Mode::Fixed);
  CHECK(f.data == FixedFormat{16, 8, true});
  Numerics g = Numerics::parse("fixed:12.6");
  CHECK(g.data == FixedFormat{12, 6, true});
  CHECK(g.weights == FixedFormat{12, 6, true});
  CHECK(g.to_string() == "fixed:12.6");
  for (const char* bad : {"fixed:", "fixed:16", "fixed:32.8", "fixed:8.9", "fixed:a.b", "double", "fixed:16.8x"})
    CHECK_THROWS_AS(Numerics::parse(bad), InputError);
}
