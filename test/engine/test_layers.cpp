// Float mode: every layer kind against hand-computed values or a reference loop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "helpers.hpp"
#include "sparsedse/common/error.hpp"

using namespace test_engine;
using engine::Engine;
using engine::Tensor;

namespace {

void check_close(const Tensor& got, const std::vector<double>& ref, double rel = 1e-5) {
  REQUIRE(got.data.size() == ref.size());
  double scale = 0;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  for (std::size_t i = 0; i < ref.size(); ++i) {
    INFO("element " << i);
    REQUIRE(std::abs(double(got.data[i]) - ref[i]) <= rel * std::max(1.0, scale));
  }
}

}  // namespace

TEST_CASE("conv: a hand-computed 2x2 kernel over a 3x3 image with padding", "[engine][conv]") {
  // x = [1 2 3; 4 5 6; 7 8 9], w = [1 0; 0 -1], bias 0.5, pad top/left 1, stride 2.
  Layer c = simple("c", LayerKind::Convolution);
  c.filters = 1;
  c.window = {2, 2, 2, 2, 1, 1, 0, 0};
  c.weights = Eigen::VectorXf::Zero(4);
  c.weights << 1, 0, 0, -1;
  c.bias = Eigen::VectorXf::Constant(1, 0.5f);
  Graph g = single({1, 3, 3}, c);
  REQUIRE(g.layer("c").output_shape == Shape{1, 2, 2});
  Tensor in(1, {1, 3, 3});
  for (int i = 0; i < 9; ++i) in.data[std::size_t(i)] = float(i + 1);
  Tensor out = Engine(g, float_numerics(), 1).run(in);
  // Windows (top-left at (-1,-1), (-1,1), (1,-1), (1,1)): w00·x[r][c] − w11·x[r+1][c+1].
  // (0 − 1) + .5, (0 − 3) + .5, (0 − 7) + .5, (5 − 9) + .5
  CHECK(out.data == std::vector<float>{-0.5f, -2.5f, -6.5f, -3.5f});
}

TEST_CASE("conv: grouped, strided, padded and pointwise geometries match the reference", "[engine][conv]") {
  std::mt19937 rng(11);
  const ConvCase cases[] = {
      {3, 9, 9, 8, 1, {3, 3, 1, 1, 1, 1, 1, 1}},       // same padding
      {4, 10, 7, 6, 2, {3, 3, 2, 2, 1, 1, 1, 1}},      // grouped, strided
      {6, 8, 8, 6, 6, {3, 3, 1, 1, 0, 0, 0, 0}},       // depthwise
      {5, 7, 11, 4, 1, {2, 3, 1, 2, 1, 0, 0, 2}},      // rectangular kernel, asymmetric pads
      {16, 6, 6, 40, 1, {1, 1, 1, 1, 0, 0, 0, 0}},     // pointwise direct path
      {16, 6, 6, 24, 1, {1, 1, 2, 2, 0, 0, 0, 0}},     // strided 1x1 shortcut
      {3, 12, 12, 5, 1, {5, 5, 3, 3, 2, 2, 2, 2}},     // 5x5 stride 3
      {40, 5, 5, 9, 1, {3, 3, 1, 1, 1, 1, 1, 1}},      // depth 360 > one K block
  };
  for (const ConvCase& k : cases) {
    Graph g = single({k.c, k.h, k.w}, conv_layer("c", k.c, k.f, k.win, k.groups, rng));
    Tensor in = random_tensor(3, {k.c, k.h, k.w}, rng);
    INFO("c " << k.c << " f " << k.f << " groups " << k.groups << " k " << k.win.kernel_rows << "x" << k.win.kernel_cols);
    for (int threads : {1, 2}) check_close(Engine(g, float_numerics(), threads).run(in), reference_conv(g.layer("c"), in));
  }
}

TEST_CASE("conv: the direct 3x3 stride-1 path matches the reference on odd shapes", "[engine][conv]") {
  // Small images go side by side into one strip, large ones are split into strips of rows, differently
  // for 1 and 2 threads (kernels.cpp, direct_strips).
  std::mt19937 rng(13);
  struct Case {
    int c, h, w, f, groups, batch;
  };
  const Case cases[] = {
      {1, 12, 12, 5, 1, 3},   // one input channel (the first layer)
      {3, 7, 13, 9, 1, 3},    // filters not a multiple of the micro-kernel rows
      {29, 5, 17, 20, 1, 2},  // depth 261: a channel straddles two K blocks
      {70, 3, 33, 12, 1, 1},  // depth 630: three K blocks, one image in strips
      {8, 14, 20, 6, 2, 3},   // grouped
      {4, 1, 47, 8, 1, 2},    // a single row
      {5, 37, 40, 7, 1, 1},   // many rows: several strips
      {6, 8, 8, 16, 1, 21},   // many images per strip and a short last strip
      {3, 4, 4, 10, 1, 7},    // 4x4: the padding of one image is its neighbour's edge column
      {2, 5, 1, 3, 1, 4},     // one column: both horizontal taps read padding
  };
  for (const Case& k : cases) {
    Graph g = single({k.c, k.h, k.w}, conv_layer("c", k.c, k.f, {3, 3, 1, 1, 1, 1, 1, 1}, k.groups, rng));
    Tensor in = random_tensor(k.batch, {k.c, k.h, k.w}, rng);
    INFO("c " << k.c << " h " << k.h << " w " << k.w << " f " << k.f << " groups " << k.groups);
    for (int threads : {1, 2}) check_close(Engine(g, float_numerics(), threads).run(in), reference_conv(g.layer("c"), in));
  }
}

TEST_CASE("conv: results do not depend on threads or on how images are batched", "[engine][conv]") {
  std::mt19937 rng(5);
  Graph g = single({8, 12, 12}, conv_layer("c", 8, 16, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng));
  Tensor in = random_tensor(5, {8, 12, 12}, rng);
  Tensor a = Engine(g, float_numerics(), 1).run(in);
  Tensor b = Engine(g, float_numerics(), 2).run(in);
  CHECK(a.data == b.data);
  Engine e(g, float_numerics(), 2);
  for (int n = 0; n < 5; ++n) {
    Tensor one(1, in.shape);
    std::copy(in.image(n), in.image(n) + in.image_size(), one.data.begin());
    Tensor o = e.run(one);
    CHECK(std::equal(o.data.begin(), o.data.end(), a.image(n)));
  }
}

TEST_CASE("inner product over a C x H x W input", "[engine][fc]") {
  std::mt19937 rng(3);
  Graph g = single({3, 4, 5}, fc_layer("fc", 60, 7, rng));
  Tensor in = random_tensor(4, {3, 4, 5}, rng);
  Tensor out = Engine(g, float_numerics(), 2).run(in);
  REQUIRE(out.shape == Shape{7, 1, 1});
  const Layer& l = g.layer("fc");
  std::vector<double> ref;
  for (int n = 0; n < 4; ++n)
    for (int f = 0; f < 7; ++f) {
      double acc = l.bias[f];
      for (int i = 0; i < 60; ++i) acc += double(l.weights[f * 60 + i]) * in.image(n)[i];
      ref.push_back(acc);
    }
  check_close(out, ref);
}

TEST_CASE("relu: y = x if x > t else 0, so x == t gives 0", "[engine][relu]") {
  Layer r = simple("r", LayerKind::ReLU);
  r.threshold = 0.25f;
  Graph g = single({1, 1, 6}, r);
  Tensor in(1, {1, 1, 6});
  in.data = {-1.0f, 0.0f, 0.1f, 0.25f, 0.2500001f, 3.0f};
  Engine e(g, float_numerics(), 1);
  CHECK(e.run(in).data == std::vector<float>{0, 0, 0, 0, 0.2500001f, 3.0f});
  e.set_threshold("r", 0.0f);
  CHECK(e.run(in).data == std::vector<float>{0, 0, 0.1f, 0.25f, 0.2500001f, 3.0f});
  CHECK_THROWS_AS(e.set_threshold("input", 1.0f), InputError);
  CHECK_THROWS_AS(e.set_threshold("r", -1.0f), InputError);
}

TEST_CASE("pools: max ignores padding, average divides by K^2, global average", "[engine][pool]") {
  Tensor in(1, {1, 3, 3});
  in.data = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
  {
    Layer p = simple("p", LayerKind::MaxPool);
    p.window = {2, 2, 2, 2, 1, 1, 0, 0};  // windows at (-1,-1) (-1,1) (1,-1) (1,1)
    Graph g = single({1, 3, 3}, p);
    CHECK(Engine(g, float_numerics(), 1).run(in).data == std::vector<float>{-1, -2, -4, -5});
  }
  {
    Layer p = simple("p", LayerKind::AveragePool);
    p.window = {2, 2, 1, 1, 0, 0, 1, 1};  // bottom/right padding: the last row/col windows include zeros
    p.count_include_pad = true;           // divide by K² = 4 everywhere
    Graph g = single({1, 3, 3}, p);
    REQUIRE(g.layer("p").output_shape == Shape{1, 3, 3});
    const std::vector<float> expected = {-3, -4, -2.25f, -6, -7, -3.75f, -3.75f, -4.25f, -2.25f};
    CHECK(Engine(g, float_numerics(), 1).run(in).data == expected);
    g.layer("p").count_include_pad = false;  // divide by the covered pixels: 4, 4, 2 / 4, 4, 2 / 2, 2, 1
    const std::vector<float> covered = {-3, -4, -4.5f, -6, -7, -7.5f, -7.5f, -8.5f, -9};
    CHECK(Engine(g, float_numerics(), 1).run(in).data == covered);
  }
  {
    Graph g = single({1, 3, 3}, simple("p", LayerKind::GlobalAveragePool));
    CHECK(Engine(g, float_numerics(), 1).run(in).data == std::vector<float>{-5});
  }
}

TEST_CASE("a residual graph: split, add, concat, flatten and the observer", "[engine][graph]") {
  // input(2x4x4) -> c1 -> r1 -> {c2, c3} -> add(c2, r1) -> concat(add, c3) -> gap -> flatten -> fc
  std::mt19937 rng(9);
  Graph g;
  g.name = "residual";
  Vertex in = g.add_layer(input_layer({2, 4, 4}));
  Vertex c1 = g.add_layer(conv_layer("c1", 2, 3, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng));
  Vertex r1 = g.add_layer(simple("r1", LayerKind::ReLU));
  Vertex c2 = g.add_layer(conv_layer("c2", 3, 3, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng));
  Vertex c3 = g.add_layer(conv_layer("c3", 3, 2, {1, 1, 1, 1, 0, 0, 0, 0}, 1, rng));
  Vertex add = g.add_layer(simple("add", LayerKind::EltwiseAdd));
  Vertex cat = g.add_layer(simple("cat", LayerKind::Concat));
  Vertex gap = g.add_layer(simple("gap", LayerKind::GlobalAveragePool));
  Vertex fl = g.add_layer(simple("flat", LayerKind::Flatten));
  Vertex fc = g.add_layer(fc_layer("fc", 5, 4, rng));
  g.connect(in, c1, 0);
  g.connect(c1, r1, 0);
  g.connect(r1, c2, 0);
  g.connect(r1, c3, 0);
  g.connect(c2, add, 0);
  g.connect(r1, add, 1);
  g.connect(add, cat, 0);
  g.connect(c3, cat, 1);
  g.connect(cat, gap, 0);
  g.connect(gap, fl, 0);
  g.connect(fl, fc, 0);
  CHECK(insert_splits(g) == 1);
  infer_shapes(g);
  validate(g);

  Tensor x = random_tensor(2, {2, 4, 4}, rng);
  struct Recorder : engine::ActivationObserver {
    std::vector<std::pair<std::string, int>> seen;
    std::vector<std::string> outputs;
    void observe(const Layer& l, int port, const Tensor& t) override {
      seen.emplace_back(l.name, port);
      CHECK(t.shape == l.input_shapes.at(std::size_t(port)));
    }
    void observe_output(const Layer& l, const Tensor& t) override {
      outputs.push_back(l.name);
      CHECK(t.shape == l.output_shape);
    }
  } rec;
  Engine e(g, float_numerics(), 2);
  Tensor out = e.run(x, &rec);

  // The same computation by hand, one layer at a time through run_layer.
  auto run1 = [&](const std::string& name, std::vector<const Tensor*> ins) { return e.run_layer(g.vertex(name), ins); };
  Tensor t_in = run1("input", {&x});
  Tensor t_c1 = run1("c1", {&t_in});
  Tensor t_r1 = run1("r1", {&t_c1});
  Tensor t_c2 = run1("c2", {&t_r1});
  Tensor t_c3 = run1("c3", {&t_r1});
  Tensor t_add = run1("add", {&t_c2, &t_r1});
  for (std::size_t i = 0; i < t_add.data.size(); ++i) CHECK(t_add.data[i] == t_c2.data[i] + t_r1.data[i]);
  Tensor t_cat = run1("cat", {&t_add, &t_c3});
  for (int n = 0; n < 2; ++n) {
    CHECK(std::equal(t_add.image(n), t_add.image(n) + 48, t_cat.image(n)));
    CHECK(std::equal(t_c3.image(n), t_c3.image(n) + 32, t_cat.image(n) + 48));
  }
  Tensor t_gap = run1("gap", {&t_cat});
  Tensor t_flat = run1("flat", {&t_gap});
  Tensor t_fc = run1("fc", {&t_flat});
  CHECK(out.data == t_fc.data);

  // Every non-input layer saw each of its ports once, in topological order; outputs likewise.
  CHECK(rec.seen.size() == 12);  // c1 r1 r1_split c2 c3 add(2) cat(2) gap flat fc
  std::size_t ports = 0;
  for (Vertex v = 0; v < g.size(); ++v) ports += g.layer(v).kind == LayerKind::Input ? 0 : g.predecessors(v).size();
  CHECK(rec.seen.size() == ports);
  CHECK(rec.outputs.size() == g.size() - 1);
  CHECK(std::count(rec.seen.begin(), rec.seen.end(), std::make_pair(std::string("add"), 1)) == 1);
}

TEST_CASE("engine: shape and structure errors are InputErrors", "[engine]") {
  std::mt19937 rng(1);
  Graph g = single({2, 5, 5}, conv_layer("c", 2, 2, {3, 3, 1, 1, 0, 0, 0, 0}, 1, rng));
  Engine e(g, float_numerics(), 1);
  Tensor wrong(1, {2, 6, 5});
  try {
    e.run(wrong);
    FAIL("no error");
  } catch (const InputError& err) {
    CHECK_THAT(err.what(), Catch::Matchers::Contains("2x6x5") && Catch::Matchers::Contains("2x5x5"));
  }
  CHECK_THROWS_AS(e.run_layer(g.vertex("c"), {&wrong}), InputError);
  CHECK_THROWS_AS(e.run_layer(g.vertex("c"), {}), InputError);
  // Two outputs are not supported.
  Graph two = g;
  Vertex r = two.add_layer(simple("r", LayerKind::ReLU));
  two.connect(two.vertex("input"), r, 0);
  infer_shapes(two);
  CHECK_THROWS_AS(Engine(two, float_numerics(), 1), InputError);
}

TEST_CASE("top-k helpers break ties toward the lower class", "[engine]") {
  Tensor logits(2, {4, 1, 1});
  logits.data = {0.1f, 0.7f, 0.7f, 0.2f, /**/ 5, 1, 2, 3};
  CHECK(engine::argmax_class(logits, 0) == 1);
  CHECK(engine::argmax_class(logits, 1) == 0);
  CHECK(engine::in_top_k(logits, 0, 1, 1));
  CHECK_FALSE(engine::in_top_k(logits, 0, 2, 1));
  CHECK(engine::in_top_k(logits, 0, 2, 2));
  CHECK_FALSE(engine::in_top_k(logits, 1, 1, 3));
  CHECK(engine::in_top_k(logits, 1, 1, 4));
  CHECK_FALSE(engine::in_top_k(logits, 1, 7, 5));  // an out-of-range label is never correct
}
