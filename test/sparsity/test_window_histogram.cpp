// Window zero histograms (model.md §5.1): hand-computed cases, spec example E4, and a brute-force
// reference counter over the explicitly padded input.
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "sparsedse/sparsity/window_histogram.hpp"

using namespace sparsedse;
using sparsity::WindowZeroHistogram;

namespace {

ir::Layer conv_layer(ir::Shape in, ir::Window w, int groups = 1) {
  ir::Layer l;
  l.name = "conv";
  l.kind = ir::LayerKind::Convolution;
  l.input_shapes = {in};
  l.window = w;
  l.groups = groups;
  l.filters = in.channels;
  return l;
}

ir::Window window(int k, int stride, int pad) {
  ir::Window w;
  w.kernel_rows = w.kernel_cols = k;
  w.stride_rows = w.stride_cols = stride;
  w.pad_top = w.pad_left = w.pad_bottom = w.pad_right = pad;
  return w;
}

engine::Tensor tensor(int batch, ir::Shape s, std::vector<float> values) {
  engine::Tensor t(batch, s);
  REQUIRE(values.size() == t.data.size());
  t.data = std::move(values);
  return t;
}

WindowZeroHistogram count(const ir::Layer& l, const engine::Tensor& t, int threads = 0) {
  auto h = WindowZeroHistogram::for_layer(l);
  sparsity::count_layer_windows(l, t, h, threads);
  return h;
}

// Naive reference: materialise the padded plane, slide the window, count zeros element by element.
WindowZeroHistogram brute_force(const ir::Layer& l, const engine::Tensor& t) {
  const ir::Shape s = l.input_shape();
  const ir::Window& w = l.window;
  WindowZeroHistogram h(s.channels, w.kernel_rows, w.kernel_cols);
  const int hp = s.rows + w.pad_top + w.pad_bottom, wp = s.cols + w.pad_left + w.pad_right;
  for (int n = 0; n < t.batch; ++n)
    for (int c = 0; c < s.channels; ++c) {
      std::vector<float> padded(std::size_t(hp) * wp, 0.0f);
      for (int r = 0; r < s.rows; ++r)
        for (int q = 0; q < s.cols; ++q)
          padded[std::size_t(r + w.pad_top) * wp + q + w.pad_left] =
              t.image(n)[(std::size_t(c) * s.rows + r) * s.cols + q];
      for (int top = 0; top + w.kernel_rows <= hp; top += w.stride_rows)
        for (int left = 0; left + w.kernel_cols <= wp; left += w.stride_cols) {
          int zeros = 0;
          for (int i = 0; i < w.kernel_rows; ++i)
            for (int j = 0; j < w.kernel_cols; ++j) zeros += padded[std::size_t(top + i) * wp + left + j] == 0.0f;
          ++h.row(c)[zeros];
        }
    }
  return h;
}

}  // namespace

TEST_CASE("spec example E4: 4x4, K=3, stride 1, no padding", "[sparsity][histogram]") {
  auto l = conv_layer({1, 4, 4}, window(3, 1, 0));
  auto t = tensor(1, {1, 4, 4}, {1, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 3, /**/ 0, 0, 2, 0});
  auto h = count(l, t);
  CHECK(h.windows() == 4);
  CHECK(h.count(0, 8) == 3);
  CHECK(h.count(0, 7) == 1);
  auto s = h.stats();
  CHECK(s.histogram[0][8] == 0.75);
  CHECK(s.histogram[0][7] == 0.25);
  for (int z = 0; z < 7; ++z) CHECK(s.histogram[0][z] == 0.0);
  CHECK(s.windows == 4);
  CHECK(s.mean_sparsity == Approx((0.75 * 8 + 0.25 * 7) / 9.0));
}

TEST_CASE("padding zeros count as zeros", "[sparsity][histogram]") {
  // 3x3 plane, one non-zero in the corner; K=3 pad 1 stride 1 gives 9 windows, of which the four
  // centred on (0,0),(0,1),(1,0),(1,1) contain the corner.
  auto l = conv_layer({1, 3, 3}, window(3, 1, 1));
  auto t = tensor(1, {1, 3, 3}, {5, 0, 0, 0, 0, 0, 0, 0, 0});
  auto h = count(l, t);
  CHECK(h.windows() == 9);
  CHECK(h.count(0, 8) == 4);
  CHECK(h.count(0, 9) == 5);

  // A fully dense 2x2 plane under K=3 pad 1: every window holds 4 values and 5 padding zeros.
  auto l2 = conv_layer({1, 2, 2}, window(3, 1, 1));
  auto h2 = count(l2, tensor(1, {1, 2, 2}, {1, 2, 3, 4}));
  CHECK(h2.windows() == 4);
  CHECK(h2.count(0, 5) == 4);
}

TEST_CASE("stride 2 takes disjoint windows", "[sparsity][histogram]") {
  auto l = conv_layer({1, 4, 4}, window(2, 2, 0));
  auto t = tensor(1, {1, 4, 4}, {1, 1, 0, 1, /**/ 1, 1, 1, 1, /**/ 0, 0, 0, 0, /**/ 1, 1, 0, 0});
  auto h = count(l, t);
  CHECK(h.windows() == 4);
  CHECK(h.count(0, 0) == 1);  // top-left block dense
  CHECK(h.count(0, 1) == 1);  // top-right: one zero
  CHECK(h.count(0, 2) == 1);  // bottom-left: two zeros
  CHECK(h.count(0, 3) == 0);
  CHECK(h.count(0, 4) == 1);  // bottom-right: all zero

  // Stride 2 with K=3 pad 1 on 4x4 (a ResNet downsampling conv): windows centred on (0,0),(0,2),(2,0),(2,2).
  auto l2 = conv_layer({1, 4, 4}, window(3, 2, 1));
  auto t2 = tensor(1, {1, 4, 4}, {0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 0, /**/ 0, 0, 0, 7});
  auto h2 = count(l2, t2);
  CHECK(h2.windows() == 4);
  CHECK(h2.count(0, 8) == 1);  // only the window centred on (2,2) reaches (3,3)
  CHECK(h2.count(0, 9) == 3);
}

TEST_CASE("1x1 windows are elements, strided and padded", "[sparsity][histogram]") {
  auto l = conv_layer({2, 3, 3}, window(1, 2, 0));
  // Stride 2 picks (0,0),(0,2),(2,0),(2,2) of each channel.
  auto t = tensor(1, {2, 3, 3}, {0, 9, 1, 9, 9, 9, 2, 9, 0, /**/ 1, 0, 1, 0, 0, 0, 1, 0, 1});
  auto h = count(l, t);
  CHECK(h.windows() == 4);
  CHECK(h.count(0, 1) == 2);
  CHECK(h.count(0, 0) == 2);
  CHECK(h.count(1, 1) == 0);
  CHECK(h.count(1, 0) == 4);

  // 1x1 with padding 1: a 2x2 plane becomes 4x4 windows, 12 of them padding.
  auto lp = conv_layer({1, 2, 2}, window(1, 1, 1));
  auto hp = count(lp, tensor(1, {1, 2, 2}, {1, 0, 1, 1}));
  CHECK(hp.windows() == 16);
  CHECK(hp.count(0, 1) == 13);
  CHECK(hp.count(0, 0) == 3);
}

TEST_CASE("grouped convolution: one histogram per input channel", "[sparsity][histogram]") {
  // groups = 2 over 4 channels; a 2x2 kernel on 2x2 planes gives one window per channel whose zeros
  // are that channel's zeros, whatever group the channel is in.
  auto l = conv_layer({4, 2, 2}, window(2, 1, 0), 2);
  auto t = tensor(2, {4, 2, 2},
                  {1, 1, 1, 1, /**/ 0, 1, 1, 1, /**/ 0, 0, 1, 1, /**/ 0, 0, 0, 0,     // image 0
                   0, 0, 0, 0, /**/ 0, 1, 1, 1, /**/ 1, 1, 1, 1, /**/ 0, 0, 0, 1});  // image 1
  auto h = count(l, t);
  CHECK(h.channels() == 4);
  CHECK(h.windows() == 2);
  CHECK(h.count(0, 0) == 1);
  CHECK(h.count(0, 4) == 1);
  CHECK(h.count(1, 1) == 2);
  CHECK(h.count(2, 2) == 1);
  CHECK(h.count(2, 0) == 1);
  CHECK(h.count(3, 4) == 1);
  CHECK(h.count(3, 3) == 1);
}

TEST_CASE("inner product: every input element is a window of two bins", "[sparsity][histogram]") {
  ir::Layer ip;
  ip.name = "fc";
  ip.kind = ir::LayerKind::InnerProduct;
  ip.input_shapes = {{3, 1, 1}};
  ip.filters = 2;
  auto t = tensor(4, {3, 1, 1}, {0, 1, 2, /**/ 0, 0, 2, /**/ 0, 1, 0, /**/ 0, 1, 2});
  auto h = count(ip, t);
  CHECK(h.channels() == 3);
  CHECK(h.bins() == 2);
  CHECK(h.windows() == 4);
  CHECK(h.count(0, 1) == 4);
  CHECK(h.count(1, 1) == 1);
  CHECK(h.count(2, 1) == 1);
  auto s = h.stats();
  CHECK(s.mean_sparsity == Approx((1.0 + 0.25 + 0.25) / 3.0));
}

TEST_CASE("brute-force reference on random tensors and geometries", "[sparsity][histogram]") {
  std::mt19937 rng(1234);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 300; ++trial) {
    ir::Window w;
    w.kernel_rows = pick(1, 5);
    w.kernel_cols = pick(1, 5);
    w.stride_rows = pick(1, 3);
    w.stride_cols = pick(1, 3);
    w.pad_top = pick(0, 2);
    w.pad_bottom = pick(0, 2);
    w.pad_left = pick(0, 2);
    w.pad_right = pick(0, 2);
    ir::Shape s{pick(1, 4), pick(1, 9), pick(1, 9)};
    const int batch = pick(1, 3);
    const double density = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    engine::Tensor t(batch, s);
    std::bernoulli_distribution nonzero(density);
    for (float& v : t.data) v = nonzero(rng) ? float(pick(-3, 3)) : 0.0f;  // pick may add more zeros
    auto l = conv_layer(s, w);
    auto expected = brute_force(l, t);
    INFO("trial " << trial << " shape " << ir::to_string(s) << " K " << w.kernel_rows << "x" << w.kernel_cols);
    CHECK(count(l, t, 1) == expected);
    CHECK(count(l, t, 2) == expected);
  }
}

TEST_CASE("large tensors are counted in parallel with the same result", "[sparsity][histogram]") {
  std::mt19937 rng(99);
  engine::Tensor t(4, {16, 48, 48});  // above the parallel threshold (1 << 17 elements)
  std::bernoulli_distribution zero(0.6);
  for (float& v : t.data) v = zero(rng) ? 0.0f : 0.5f;
  for (auto w : {window(3, 1, 1), window(3, 2, 1), window(1, 1, 0), window(1, 2, 0)}) {
    auto l = conv_layer(t.shape, w);
    auto expected = brute_force(l, t);
    CHECK(count(l, t, 1) == expected);
    CHECK(count(l, t, 2) == expected);
    // The input's zeros, counted on the side, whatever windows the stride visits.
    std::int64_t zeros = 5;
    auto h = WindowZeroHistogram::for_layer(l);
    sparsity::count_layer_windows(l, t, h, 2, &zeros);
    CHECK(zeros == 5 + sparsity::count_zeros(t, 1));
  }
  ir::Layer ip;
  ip.name = "fc";
  ip.kind = ir::LayerKind::InnerProduct;
  ip.input_shapes = {t.shape};
  auto serial = count(ip, t, 1);
  std::int64_t ip_zeros = 0;
  auto hip = WindowZeroHistogram::for_layer(ip);
  sparsity::count_layer_windows(ip, t, hip, 2, &ip_zeros);
  CHECK(ip_zeros == sparsity::count_zeros(t));
  CHECK(count(ip, t, 2) == serial);
  CHECK(serial.windows() == 4);
  std::int64_t zeros = 0;
  for (int e = 0; e < serial.channels(); ++e) zeros += serial.count(e, 1);
  CHECK(zeros == sparsity::count_zeros(t));
}

TEST_CASE("K=1 histograms equal element sparsity", "[sparsity][histogram]") {
  std::mt19937 rng(7);
  engine::Tensor t(5, {6, 7, 5});
  std::bernoulli_distribution zero(0.4);
  for (float& v : t.data) v = zero(rng) ? 0.0f : 1.5f;
  auto l = conv_layer(t.shape, window(1, 1, 0));
  auto h = count(l, t);
  for (int c = 0; c < 6; ++c) {
    std::int64_t zeros = 0;
    for (int n = 0; n < 5; ++n)
      for (int i = 0; i < 35; ++i) zeros += t.image(n)[c * 35 + i] == 0.0f;
    CHECK(h.count(c, 1) == zeros);
    CHECK(h.count(c, 0) == 5 * 35 - zeros);
    CHECK(h.stats().channel_sparsity()[c] == Approx(double(zeros) / (5 * 35)));
  }
  CHECK(sparsity::count_zeros(t) == h.count(0, 1) + h.count(1, 1) + h.count(2, 1) + h.count(3, 1) +
                                        h.count(4, 1) + h.count(5, 1));
}

TEST_CASE("an all-zero input puts all mass in the last bin", "[sparsity][histogram]") {
  for (auto w : {window(3, 1, 1), window(3, 2, 1), window(5, 1, 2), window(1, 1, 0), window(2, 2, 0)}) {
    engine::Tensor t(2, {3, 6, 6});  // zero-initialised
    t.data[0] = -0.0f;               // negative zero is a zero
    auto l = conv_layer(t.shape, w);
    auto s = count(l, t).stats();
    for (const auto& row : s.histogram) {
      CHECK(row.back() == 1.0);
      for (std::size_t z = 0; z + 1 < row.size(); ++z) CHECK(row[z] == 0.0);
    }
    CHECK(s.mean_sparsity == 1.0);
  }
}

TEST_CASE("add, clear and stats keep counts consistent", "[sparsity][histogram]") {
  auto l = conv_layer({1, 4, 4}, window(3, 1, 0));
  auto t = tensor(1, {1, 4, 4}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 2, 0});
  auto a = count(l, t);
  auto b = a;
  b.add(a);
  CHECK(b.windows() == 8);
  CHECK(b.count(0, 8) == 6);
  CHECK(b.stats().histogram == a.stats().histogram);
  b.clear();
  CHECK(b.windows() == 0);
  CHECK_THROWS(b.stats());
  CHECK_THROWS(b.add(WindowZeroHistogram(2, 3, 3)));
}
