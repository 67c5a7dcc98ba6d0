// The packed GEMM kernels of every instruction set this CPU supports, against a plain triple loop.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "sparsedse/engine/gemm.hpp"

using namespace sparsedse::engine::gemm;

namespace {

std::vector<Isa> supported_isas() {
  std::vector<Isa> out{Isa::Generic};
  for (Isa isa : {Isa::Avx2, Isa::Avx512}) {
    try {
      kernel<float>(isa);
      out.push_back(isa);
    } catch (const std::invalid_argument&) {
    }
  }
  return out;
}

template <typename T>
void check_product(Isa isa, int m, int n, int k, std::mt19937& rng, bool integers, bool accumulate = true) {
  const Kernel<T> kern = kernel<T>(isa);
  std::vector<T> a(std::size_t(m) * k), b(std::size_t(k) * n), c(std::size_t(m) * n);
  std::uniform_int_distribution<int> ui(-32768, 32767);
  std::uniform_real_distribution<double> ur(-1, 1);
  for (auto& x : a) x = integers ? T(ui(rng)) : T(ur(rng));
  for (auto& x : b) x = integers ? T(ui(rng)) : T(ur(rng));
  for (auto& x : c) x = integers ? T(ui(rng)) : T(ur(rng));  // multiply() accumulates into C
  std::vector<T> c0 = c;
  if (!accumulate) std::fill(c0.begin(), c0.end(), T(0));  // C's old contents must be ignored
  PackedA<T> pa = pack_a(a.data(), m, k, k, kern);
  AlignedVector<T> pb;
  pack_b(b.data(), k, n, n, kern, pb);
  multiply(pa, pb.data(), n, c.data(), n, kern, accumulate);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      long double ref = c0[std::size_t(i) * n + j];
      for (int q = 0; q < k; ++q) ref += (long double)a[std::size_t(i) * k + q] * b[std::size_t(q) * n + j];
      const T got = c[std::size_t(i) * n + j];
      if (integers) {
        REQUIRE(double(got) == double(ref));  // exact: every partial sum is an integer below 2^53
      } else {
        REQUIRE(std::abs(double(got) - double(ref)) <= 1e-5 * std::sqrt(double(k)) + 1e-6);
      }
    }
}

// block_table: B rows read in place from a source buffer through a table of row offsets.
template <typename T>
void check_table_product(Isa isa, int m, int n, int k, std::mt19937& rng) {
  const Kernel<T> kern = kernel<T>(isa);
  const int width = round_up(n, kern.nr);  // whole micro-panels are read
  std::vector<T> a(std::size_t(m) * k), src(std::size_t(3 * width + 7)), c(std::size_t(m) * width, T(7));
  std::uniform_real_distribution<double> ur(-1, 1);
  for (auto& x : a) x = T(ur(rng));
  for (auto& x : src) x = T(ur(rng));
  std::uniform_int_distribution<std::ptrdiff_t> offset(0, std::ptrdiff_t(src.size()) - width);
  std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(k));
  for (auto& r : rows) r = offset(rng);  // unaligned, overlapping rows
  PackedA<T> pa = pack_a(a.data(), m, k, k, kern);
  multiply_block_table(pa, 0, src.data(), rows.data(), n, c.data(), width, kern, /*accumulate=*/false);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double ref = 0;
      for (int q = 0; q < k; ++q) ref += double(a[std::size_t(i) * k + q]) * src[std::size_t(rows[std::size_t(q)] + j)];
      REQUIRE(std::abs(double(c[std::size_t(i) * width + j]) - ref) <= 1e-5 * std::sqrt(double(k)) + 1e-6);
    }
}

// int16 codes summed in int32 against an int64 triple loop. Each A row gets a random L1 budget of at most
// 2^16 − 1 spent on random codes (so extremes −32768 and 32767 occur, also side by side in one K pair),
// B holds random codes with ±32767 / −32768 sprinkled in: every partial sum stays below 2^31, the bound
// the engine proves before it uses this kernel.
void check_int16_product(Isa isa, int m, int n, int k, std::mt19937& rng, bool accumulate) {
  const Kernel<std::int16_t> kern = kernel<std::int16_t>(isa);
  REQUIRE(kern.kr == 2);
  std::vector<std::int16_t> a(std::size_t(m) * k, 0), b(std::size_t(k) * n);
  std::vector<std::int32_t> c(std::size_t(m) * n);
  std::uniform_int_distribution<int> code(-32768, 32767), small(-1000, 1000), pick(0, 9);
  std::uniform_int_distribution<int> col(0, k - 1);
  for (int i = 0; i < m; ++i) {
    std::int64_t budget = i % 3 == 0 ? 65535 : std::uniform_int_distribution<int>(0, 65535)(rng);
    if (i % 3 == 0 && k >= 2) {  // an extreme pair in one K pair (row 0 of the pair: an even column)
      const int q = col(rng) / 2 * 2;
      if (q + 1 < k) {
        a[std::size_t(i) * k + q] = -32768;
        a[std::size_t(i) * k + q + 1] = 32767;
        budget = 0;
      }
    }
    for (int tries = 0; budget > 0 && tries < 4 * k; ++tries) {
      std::int16_t& x = a[std::size_t(i) * k + col(rng)];
      if (x != 0) continue;
      const int v = std::clamp<int>(code(rng), int(-std::min<std::int64_t>(budget, 32768)),
                                    int(std::min<std::int64_t>(budget, 32767)));
      x = std::int16_t(v);
      budget -= std::abs(v);
    }
  }
  for (auto& x : b) {
    const int r = pick(rng);
    x = std::int16_t(r == 0 ? -32768 : r == 1 ? 32767 : r == 2 ? -32767 : code(rng));
  }
  for (auto& x : c) x = small(rng);
  std::vector<std::int32_t> c0 = c;
  if (!accumulate) std::fill(c0.begin(), c0.end(), 0);
  PackedA<std::int16_t> pa = pack_a(a.data(), m, k, k, kern);
  AlignedVector<std::int16_t> pb;
  pack_b(b.data(), k, n, n, kern, pb);
  multiply(pa, pb.data(), n, c.data(), n, kern, accumulate);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      std::int64_t ref = c0[std::size_t(i) * n + j];
      for (int q = 0; q < k; ++q) ref += std::int64_t(a[std::size_t(i) * k + q]) * b[std::size_t(q) * n + j];
      INFO("row " << i << " column " << j);
      REQUIRE(std::int64_t(c[std::size_t(i) * n + j]) == ref);
    }
}

}  // namespace

TEST_CASE("gemm: the int16 kernels match an int64 triple loop, extreme codes included", "[engine][gemm]") {
  std::mt19937 rng(11);
  // Odd M, N and K, K over several blocks (kKc = 256) with an odd last block.
  const int shapes[][3] = {{1, 1, 1}, {8, 32, 9}, {13, 45, 7}, {7, 3, 520}, {33, 70, 513}, {9, 33, 2}, {64, 100, 300}};
  for (Isa isa : supported_isas()) {
    INFO("isa " << to_string(isa) << " (int16 kernel: " << to_string(kernel<std::int16_t>(isa).isa) << ")");
    for (const auto& s : shapes) {
      INFO("m " << s[0] << " n " << s[1] << " k " << s[2]);
      check_int16_product(isa, s[0], s[1], s[2], rng, true);
      check_int16_product(isa, s[0], s[1], s[2], rng, false);
    }
  }
}

TEST_CASE("gemm: block_table reads B rows in place through a row table", "[engine][gemm]") {
  std::mt19937 rng(9);
  const int shapes[][3] = {{1, 1, 1}, {8, 32, 9}, {13, 45, 7}, {20, 70, 256}};
  for (Isa isa : supported_isas()) {
    INFO("isa " << to_string(isa));
    for (const auto& s : shapes) {
      INFO("m " << s[0] << " n " << s[1] << " k " << s[2]);
      check_table_product<float>(isa, s[0], s[1], s[2], rng);
      check_table_product<double>(isa, s[0], s[1], s[2], rng);
    }
  }
}

TEST_CASE("gemm: every supported kernel matches the triple loop", "[engine][gemm]") {
  std::mt19937 rng(7);
  const int shapes[][3] = {{1, 1, 1}, {8, 32, 9}, {13, 45, 7}, {64, 100, 300}, {7, 3, 520}, {33, 70, 256}};
  for (Isa isa : supported_isas()) {
    INFO("isa " << to_string(isa));
    for (const auto& s : shapes) {
      INFO("m " << s[0] << " n " << s[1] << " k " << s[2]);
      check_product<float>(isa, s[0], s[1], s[2], rng, false);
      check_product<double>(isa, s[0], s[1], s[2], rng, false);
      check_product<double>(isa, s[0], s[1], s[2], rng, true);
      check_product<float>(isa, s[0], s[1], s[2], rng, false, /*accumulate=*/false);
    }
  }
}

TEST_CASE("gemm: ISA detection honours SPARSEDSE_GEMM_ISA as a cap", "[engine][gemm]") {
  const Isa best = detect_isa();
  CHECK(kernel<float>(best).isa == best);
  CHECK(best_kernel<float>().mr > 0);
  CHECK(best_kernel<double>().nr > 0);
  CHECK(best_kernel<std::int16_t>().kr == 2);
}
