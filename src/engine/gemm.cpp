// Packed-panel GEMM with per-ISA micro-kernels chosen at run time (include/sparsedse/engine/gemm.hpp).
// The micro-kernel is written once with GCC vector extensions; each ISA entry point instantiates it inside
// a function compiled for that target, so the rest of the build stays portable.
// FMA in the micro-kernels (exact for the fixed-point path).
#if defined(__clang__)
#pragma clang fp contract(fast)
#else
#pragma GCC optimize("fp-contract=fast")
#endif
#include "sparsedse/engine/gemm.hpp"

#include <cstring>
#include <stdexcept>

namespace sparsedse::engine::gemm {

namespace {

// Where row k of a B micro-panel starts: packed (rows of NR one after the other) or in place, through a
// table of row offsets (the direct convolution reads rows of its padded input this way).
template <typename T, int NR>
struct PackedRows {
  const T* b;
  const T* operator()(int k) const { return b + k * NR; }
};
template <typename T>
struct TableRows {
  const T* b;
  const std::ptrdiff_t* rows;
  const T* operator()(int k) const { return b + rows[k]; }
};

// C tile (rows × cols of MR × NR) += A panel (kc × MR) · B panel (kc × NR).
template <typename T, int MR, int NV, int VB, typename Rows>
[[gnu::always_inline]] inline void micro(int kc, const T* __restrict a, Rows b, T* __restrict c, int ldc, int rows,
                                         int cols, bool accumulate) {
  constexpr int VL = VB / int(sizeof(T));
  constexpr int NR = NV * VL;
  typedef T V __attribute__((vector_size(VB)));
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = V{};
  for (int k = 0; k < kc; ++k) {
    const T* __restrict row = b(k);
    V bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) std::memcpy(&bv[j], row + j * VL, sizeof(V));
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const T av = a[k * MR + i];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] += av * bv[j];
    }
  }
  if (rows == MR && cols == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        V cv = acc[i][j];
        if (accumulate) {
          V old;
          std::memcpy(&old, c + i * ldc + j * VL, sizeof(V));
          cv += old;
        }
        std::memcpy(c + i * ldc + j * VL, &cv, sizeof(V));
      }
    return;
  }
  T tile[MR * NR];
  std::memcpy(tile, acc, sizeof(tile));
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c[i * ldc + j] = tile[i * NR + j] + (accumulate ? c[i * ldc + j] : T(0));
}

// `panel(j)` gives the rows of B micro-panel j.
template <typename T, int MR, int NV, int VB, typename Panel>
[[gnu::always_inline]] inline void block_impl(int m, int n, int kc, const T* a, Panel panel, T* c, int ldc,
                                              bool accumulate) {
  constexpr int NR = NV * VB / int(sizeof(T));
  const int mp = (m + MR - 1) / MR, np = (n + NR - 1) / NR;
  for (int j = 0; j < np; ++j)  // the B micro-panel stays in L1 across all A panels
    for (int i = 0; i < mp; ++i)
      micro<T, MR, NV, VB>(kc, a + std::size_t(i) * kc * MR, panel(j),
                           c + std::size_t(i) * MR * ldc + std::size_t(j) * NR, ldc, std::min(MR, m - i * MR),
                           std::min(NR, n - j * NR), accumulate);
}

template <typename T, int MR, int NV, int VB>
[[gnu::always_inline]] inline void block_packed(int m, int n, int kc, const T* a, const T* b, T* c, int ldc,
                                                bool accumulate) {
  constexpr int NR = NV * VB / int(sizeof(T));
  block_impl<T, MR, NV, VB>(
      m, n, kc, a, [=](int j) { return PackedRows<T, NR>{b + std::size_t(j) * kc * NR}; }, c, ldc, accumulate);
}

template <typename T, int MR, int NV, int VB>
[[gnu::always_inline]] inline void block_table(int m, int n, int kc, const T* a, const T* b,
                                               const std::ptrdiff_t* rows, T* c, int ldc, bool accumulate) {
  constexpr int NR = NV * VB / int(sizeof(T));
  block_impl<T, MR, NV, VB>(
      m, n, kc, a, [=](int j) { return TableRows<T>{b + std::size_t(j) * NR, rows}; }, c, ldc, accumulate);
}

// The entry points of one instruction set and element type: packed and in-place B.
#define SPARSEDSE_GEMM_BLOCKS(name, attributes, T, MR, NV, VB)                                                     \
  attributes void name(int m, int n, int kc, const T* a, const T* b, T* c, int ldc, bool acc) {                  \
    block_packed<T, MR, NV, VB>(m, n, kc, a, b, c, ldc, acc);                                                    \
  }                                                                                                              \
  attributes void name##_table(int m, int n, int kc, const T* a, const T* b, const std::ptrdiff_t* rows, T* c,   \
                               int ldc, bool acc) {                                                              \
    block_table<T, MR, NV, VB>(m, n, kc, a, b, rows, c, ldc, acc);                                               \
  }

// Portable: 128-bit vectors (SSE2 on x86-64, NEON elsewhere).
SPARSEDSE_GEMM_BLOCKS(block_generic_f32, , float, 4, 2, 16)
SPARSEDSE_GEMM_BLOCKS(block_generic_f64, , double, 4, 2, 16)

#if defined(__x86_64__) || defined(__i386__)
#define SPARSEDSE_X86 1
SPARSEDSE_GEMM_BLOCKS(block_avx2_f32, __attribute__((target("avx2,fma"))), float, 6, 2, 32)
SPARSEDSE_GEMM_BLOCKS(block_avx2_f64, __attribute__((target("avx2,fma"))), double, 6, 2, 32)
SPARSEDSE_GEMM_BLOCKS(block_avx512_f32, __attribute__((target("avx512f"))), float, 8, 2, 64)
SPARSEDSE_GEMM_BLOCKS(block_avx512_f64, __attribute__((target("avx512f"))), double, 8, 2, 64)
#endif

bool supported(Isa isa) {
#ifdef SPARSEDSE_X86
  switch (isa) {
    case Isa::Generic: return true;
    case Isa::Avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512: return __builtin_cpu_supports("avx512f");
  }
  return false;
#else
  return isa == Isa::Generic;
#endif
}

}  // namespace

std::string to_string(Isa isa) {
  switch (isa) {
    case Isa::Generic: return "generic";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa detect_isa() {
  Isa cap = Isa::Avx512;
  if (const char* env = std::getenv("SPARSEDSE_GEMM_ISA")) {
    std::string s = env;
    if (s == "generic") cap = Isa::Generic;
    else if (s == "avx2") cap = Isa::Avx2;
  }
  for (Isa isa : {Isa::Avx512, Isa::Avx2})
    if (int(isa) <= int(cap) && supported(isa)) return isa;
  return Isa::Generic;
}

template <>
Kernel<float> kernel<float>(Isa isa) {
  if (!supported(isa)) throw std::invalid_argument("gemm: instruction set " + to_string(isa) + " not supported");
  switch (isa) {
#ifdef SPARSEDSE_X86
    case Isa::Avx512: return {isa, 8, 32, &block_avx512_f32, &block_avx512_f32_table};
    case Isa::Avx2: return {isa, 6, 16, &block_avx2_f32, &block_avx2_f32_table};
#endif
    default: return {Isa::Generic, 4, 8, &block_generic_f32, &block_generic_f32_table};
  }
}

template <>
Kernel<double> kernel<double>(Isa isa) {
  if (!supported(isa)) throw std::invalid_argument("gemm: instruction set " + to_string(isa) + " not supported");
  switch (isa) {
#ifdef SPARSEDSE_X86
    case Isa::Avx512: return {isa, 8, 16, &block_avx512_f64, &block_avx512_f64_table};
    case Isa::Avx2: return {isa, 6, 8, &block_avx2_f64, &block_avx2_f64_table};
#endif
    default: return {Isa::Generic, 4, 4, &block_generic_f64, &block_generic_f64_table};
  }
}

template <typename T>
const Kernel<T>& best_kernel() {
  static const Kernel<T> k = kernel<T>(detect_isa());
  return k;
}
template const Kernel<float>& best_kernel<float>();
template const Kernel<double>& best_kernel<double>();

template <typename T>
PackedA<T> pack_a(const T* a, int rows, int depth, std::ptrdiff_t lda, const Kernel<T>& k) {
  PackedA<T> p;
  p.rows = rows;
  p.depth = depth;
  p.mr = k.mr;
  const int padded = round_up(rows, k.mr);
  p.data.assign(std::size_t(padded) * std::size_t(depth), T(0));
  for (int kb = 0; kb * kKc < depth; ++kb) {
    const int kc = std::min(kKc, depth - kb * kKc);
    for (int pi = 0; pi < padded / k.mr; ++pi) {
      T* dst = p.data.data() + panel_offset(kb, pi, depth, padded, k.mr);
      for (int kk = 0; kk < kc; ++kk)
        for (int r = 0; r < k.mr; ++r) {
          const int row = pi * k.mr + r;
          dst[kk * k.mr + r] = row < rows ? a[row * lda + kb * kKc + kk] : T(0);
        }
    }
  }
  return p;
}

template <typename T>
void pack_b(const T* b, int depth, int cols, std::ptrdiff_t ldb, const Kernel<T>& k, AlignedVector<T>& out) {
  const int padded = round_up(cols, k.nr);
  out.assign(std::size_t(padded) * std::size_t(depth), T(0));
  for (int r = 0; r < depth; ++r) {
    const int kb = r / kKc, kk = r % kKc;
    for (int c = 0; c < cols; ++c)
      out[panel_offset(kb, c / k.nr, depth, padded, k.nr) + std::size_t(kk) * k.nr + std::size_t(c % k.nr)] =
          b[r * ldb + c];
  }
}

template <typename T>
void multiply(const PackedA<T>& a, const T* packed_b, int cols, T* c, std::ptrdiff_t ldc, const Kernel<T>& k,
              bool accumulate) {
  const int padded = round_up(cols, k.nr);
  const int padded_rows = round_up(a.rows, k.mr);
  for (int kb = 0; kb * kKc < a.depth; ++kb) {
    const int kc = std::min(kKc, a.depth - kb * kKc);
    k.block(a.rows, cols, kc, a.data.data() + panel_offset(kb, 0, a.depth, padded_rows, k.mr),
            packed_b + panel_offset(kb, 0, a.depth, padded, k.nr), c, int(ldc), accumulate || kb > 0);
  }
}

namespace {
// K block kb of A: its depth and its first panel.
template <typename T>
int block_depth(const PackedA<T>& a, int kb) {
  return std::min(kKc, a.depth - kb * kKc);
}
template <typename T>
const T* block_panels(const PackedA<T>& a, int kb, const Kernel<T>& k) {
  return a.data.data() + panel_offset(kb, 0, a.depth, round_up(a.rows, k.mr), k.mr);
}
}  // namespace

template <typename T>
void multiply_block(const PackedA<T>& a, int kb, const T* packed_b_block, int cols, T* c, std::ptrdiff_t ldc,
                    const Kernel<T>& k, bool accumulate) {
  k.block(a.rows, cols, block_depth(a, kb), block_panels(a, kb, k), packed_b_block, c, int(ldc), accumulate);
}

template <typename T>
void multiply_block_table(const PackedA<T>& a, int kb, const T* b, const std::ptrdiff_t* rows, int cols, T* c,
                          std::ptrdiff_t ldc, const Kernel<T>& k, bool accumulate) {
  k.block_table(a.rows, cols, block_depth(a, kb), block_panels(a, kb, k), b, rows, c, int(ldc), accumulate);
}


template void multiply_block_table(const PackedA<float>&, int, const float*, const std::ptrdiff_t*, int, float*,
                                   std::ptrdiff_t, const Kernel<float>&, bool);
template void multiply_block_table(const PackedA<double>&, int, const double*, const std::ptrdiff_t*, int, double*,
                                   std::ptrdiff_t, const Kernel<double>&, bool);
template void multiply_block(const PackedA<float>&, int, const float*, int, float*, std::ptrdiff_t,
                             const Kernel<float>&, bool);
template void multiply_block(const PackedA<double>&, int, const double*, int, double*, std::ptrdiff_t,
                             const Kernel<double>&, bool);
template PackedA<float> pack_a(const float*, int, int, std::ptrdiff_t, const Kernel<float>&);
template PackedA<double> pack_a(const double*, int, int, std::ptrdiff_t, const Kernel<double>&);
template void pack_b(const float*, int, int, std::ptrdiff_t, const Kernel<float>&, AlignedVector<float>&);
template void pack_b(const double*, int, int, std::ptrdiff_t, const Kernel<double>&, AlignedVector<double>&);
template void multiply(const PackedA<float>&, const float*, int, float*, std::ptrdiff_t, const Kernel<float>&, bool);
template void multiply(const PackedA<double>&, const double*, int, double*, std::ptrdiff_t, const Kernel<double>&,
                       bool);

}  // namespace sparsedse::engine::gemm
