// Properties of the model (model.md "Tests"): monotonicity in the folding, sparse never slower than its
// dense twin with skipping on, an all-dense histogram reproduces the dense cycles, invariance of the
// slowest-stream latency under channel relabelling.
#include <random>

#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/hw/layer.hpp"

using namespace sparsedse::hw;
using namespace sparsedse::hw::test;

namespace {

struct Shape {
  int h, c, f, k, stride, pad;
};

Shape random_shape(std::mt19937& rng) {
  const int cs[] = {1, 2, 3, 4, 6, 8, 12, 16};
  const int ks[] = {1, 3, 5};
  Shape s;
  s.k = ks[rng() % 3];
  s.h = s.k + static_cast<int>(rng() % 8);
  s.c = cs[rng() % 8];
  s.f = cs[rng() % 8];
  s.stride = 1 + static_cast<int>(rng() % 2);
  s.pad = static_cast<int>(rng() % (s.k / 2 + 1));
  return s;
}

std::vector<std::vector<double>> random_histogram(std::mt19937& rng, int channels, int k2) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::vector<double>> h(channels, std::vector<double>(k2 + 1));
  for (auto& row : h) {
    double sum = 0;
    for (double& p : row) sum += (p = u(rng) * u(rng));
    for (double& p : row) p /= sum;
  }
  return h;
}

}  // namespace

TEST_CASE("dense: more parallelism never increases latency", "[hw][properties]") {
  std::mt19937 rng(1);
  for (Semantics sem : {Semantics::main, Semantics::pass}) {
    const ModelOptions o = ModelOptions::for_semantics(sem);
    for (int trial = 0; trial < 60; ++trial) {
      const Shape s = random_shape(rng);
      HwLayer l = conv(s.h, s.h, s.c, s.f, s.k, s.stride, s.pad, 1, 1, 1);
      const FoldingSpace space = feasible_folding(l);
      for (int cin : space.coarse_in)
        for (int cout : space.coarse_out)
          for (int fine : space.fine) {
            l.folding = {cin, cout, 1, fine};
            const std::int64_t lat = evaluate_layer(l, o).latency;
            for (int cin2 : space.coarse_in) {
              if (cin2 <= cin) continue;
              HwLayer more = l;
              more.folding.coarse_in = cin2;
              INFO("cin " << cin << " → " << cin2);
              CHECK(evaluate_layer(more, o).latency <= lat);
            }
            for (int cout2 : space.coarse_out) {
              if (cout2 <= cout) continue;
              HwLayer more = l;
              more.folding.coarse_out = cout2;
              CHECK(evaluate_layer(more, o).latency <= lat);
            }
            for (int fine2 : space.fine) {
              if (fine2 <= fine) continue;
              HwLayer more = l;
              more.folding.fine = fine2;
              CHECK(evaluate_layer(more, o).latency <= lat);
            }
          }
    }
  }
}

TEST_CASE("sparse: never slower than its dense twin, all-dense histogram equals dense", "[hw][properties][sparse]") {
  std::mt19937 rng(2);
  const ModelOptions o;
  for (int trial = 0; trial < 60; ++trial) {
    const Shape s = random_shape(rng);
    HwLayer dense = conv(s.h, s.h, s.c, s.f, s.k, s.stride, s.pad, 1, 1, 1);
    const int k2 = dense.kernel_size();
    HwLayer sparse = dense;
    sparse.kind = LayerKind::convolution_sparse;
    sparse.sparsity = SparseProfile::from_histogram(random_histogram(rng, s.c, k2), k2, "random");
    HwLayer all_dense = sparse;
    std::vector<std::vector<double>> h(s.c, std::vector<double>(k2 + 1, 0.0));
    for (auto& row : h) row[0] = 1.0;
    all_dense.sparsity = SparseProfile::from_histogram(h, k2, "dense");
    const FoldingSpace space = feasible_folding(dense);  // dense fine: divisors of K²
    for (int cin : space.coarse_in)
      for (int cout : space.coarse_out)
        for (int fine : space.fine) {
          dense.folding = sparse.folding = all_dense.folding = {cin, cout, 1, fine};
          const std::int64_t d = evaluate_layer(dense, o).latency;
          INFO("C " << s.c << " F " << s.f << " K " << s.k << " cin " << cin << " cout " << cout << " fine " << fine);
          CHECK(evaluate_layer(sparse, o).latency <= d);
          CHECK(evaluate_layer(all_dense, o).latency == d);
        }
  }
}

TEST_CASE("sparse: more fine or more streams never slower (naive grouping)", "[hw][properties][sparse]") {
  // With the identity grouping a finer fine lowers every E_c, and multiplying the streams splits every
  // stream into sub-streams, so the slowest stream's work can only fall.
  std::mt19937 rng(3);
  ModelOptions o;
  o.interleaving = Interleaving::naive;
  for (int trial = 0; trial < 40; ++trial) {
    const Shape s = random_shape(rng);
    HwLayer l = conv(s.h, s.h, s.c, s.f, s.k, s.stride, s.pad, 1, 1, 1);
    l.kind = LayerKind::convolution_sparse;
    const int k2 = l.kernel_size();
    l.sparsity = SparseProfile::from_histogram(random_histogram(rng, s.c, k2), k2, "random");
    const FoldingSpace space = feasible_folding(l);
    for (int cin : space.coarse_in)
      for (int fine : space.fine) {
        l.folding = {cin, 1, 1, fine};
        const std::int64_t lat = evaluate_layer(l, o).latency;
        if (fine < k2) {
          HwLayer finer = l;
          finer.folding.fine = fine + 1;
          CHECK(evaluate_layer(finer, o).latency <= lat);
        }
        for (int cin2 : space.coarse_in) {
          if (cin2 <= cin || cin2 % cin != 0) continue;
          HwLayer more = l;
          more.folding.coarse_in = cin2;
          CHECK(evaluate_layer(more, o).latency <= lat);
        }
      }
  }
}

TEST_CASE("sparse: latency invariant under channel relabelling (snake)", "[hw][properties][sparse]") {
  std::mt19937 rng(4);
  const ModelOptions o;
  HwLayer l = conv(6, 6, 8, 4, 3, 1, 1, 4, 2, 2, false);
  l.kind = LayerKind::convolution_sparse;
  // Distinct rows so that the sort has no ties.
  auto h = random_histogram(rng, 8, 9);
  l.sparsity = SparseProfile::from_histogram(h, 9, "h");
  const std::int64_t lat = evaluate_layer(l, o).latency;
  std::shuffle(h.begin(), h.end(), rng);
  l.sparsity = SparseProfile::from_histogram(h, 9, "shuffled");
  CHECK(evaluate_layer(l, o).latency == lat);
}

TEST_CASE("sparse pass model: dense input bound × max(1, K²(1−s)/fine) (§5.8)", "[hw][sparse]") {
  const ModelOptions pass = ModelOptions::for_semantics(Semantics::pass);
  HwLayer l = e1();
  l.kind = LayerKind::convolution_sparse;
  // Every channel: half the windows all-zero, half dense → s_c = 0.5.
  std::vector<std::vector<double>> h(8, std::vector<double>(10, 0.0));
  for (auto& row : h) row[0] = row[9] = 0.5;
  l.sparsity = SparseProfile::from_histogram(h, 9, "half");
  const std::int64_t input_bound = 18 * 18 * 4 * 4;  // Hp·Wp·Cs·Fl = 5184
  const std::pair<int, double> cases[] = {{1, 4.5}, {3, 1.5}, {9, 1.0}};
  for (auto [fine, factor] : cases) {
    l.folding.fine = fine;
    INFO("fine " << fine);
    CHECK(evaluate_layer(l, pass).latency == static_cast<std::int64_t>(input_bound * factor));
  }
}
