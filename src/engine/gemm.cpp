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

// One K step of the micro-kernel for every accumulator row: acc (+)= a · b, with `a` the row's A element(s)
// and `b` one vector of B (VB bytes). Float and double: a fused multiply-add of the broadcast element.
template <typename T, int VB>
struct Fma {
  static constexpr int kr = 1;
  typedef T V __attribute__((vector_size(VB)));
  [[gnu::always_inline]] static inline void step(V& acc, const T* a, const V& b) { acc += *a * b; }
};

// int16 codes, K in pairs (gemm.hpp): lane c of `b` holds (b[k][c], b[k+1][c]) and `a` points at
// (a[k], a[k+1]); each int32 lane gains a[k]·b[k][c] + a[k+1]·b[k+1][c]. Portable: even and odd halves
// widened to int32 (no partial sum overflows: the caller bounds every one below 2^31).
struct PairsPortable {  // 128-bit vectors
  static constexpr int kr = 2;
  typedef std::int32_t V __attribute__((vector_size(16)));
  typedef std::int16_t H __attribute__((vector_size(16)));
  [[gnu::always_inline]] static inline void step(V& acc, const std::int16_t* a, const V& b) {
    H h;
    std::memcpy(&h, &b, sizeof(h));
    const V even = __builtin_convertvector(__builtin_shufflevector(h, h, 0, 2, 4, 6), V);
    const V odd = __builtin_convertvector(__builtin_shufflevector(h, h, 1, 3, 5, 7), V);
    acc += even * std::int32_t(a[0]) + odd * std::int32_t(a[1]);
  }
};

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__clang__)
#define SPARSEDSE_INT16_ASM 1
// (a[k], a[k+1]) as one int32 in every lane: the multiplicand both instructions below pair with B's lanes.
// (Written through a reference: a vector return value would change the ABI of a non-AVX caller.)
template <typename V>
[[gnu::always_inline]] inline void broadcast_pair(V& w, const std::int16_t* a) {
  std::int32_t pair;
  std::memcpy(&pair, a, sizeof(pair));
  w = V{} + pair;
}

// x86: the instructions themselves (inline asm, so the templates need no target attribute; they are only
// ever inlined into entry points compiled for the instruction set). Both wrap modulo 2^32. (Clang checks
// asm operand sizes against the base target and refuses them: there the portable kernel serves int16.)
struct PairsAvx2 {  // vpmaddwd + vpaddd
  static constexpr int kr = 2;
  typedef std::int32_t V __attribute__((vector_size(32)));
  [[gnu::always_inline]] static inline void step(V& acc, const std::int16_t* a, const V& b) {
    V w;
    broadcast_pair(w, a);
    V p;
    asm("vpmaddwd %[b], %[w], %[p]" : [p] "=x"(p) : [w] "x"(w), [b] "x"(b));
    acc += p;
  }
};
struct PairsVnni {  // vpdpwssd
  static constexpr int kr = 2;
  typedef std::int32_t V __attribute__((vector_size(64)));
  [[gnu::always_inline]] static inline void step(V& acc, const std::int16_t* a, const V& b) {
    V w;
    broadcast_pair(w, a);
    V sum = acc;  // a local operand: the accumulator array stays in registers
    asm("vpdpwssd %[b], %[w], %[sum]" : [sum] "+v"(sum) : [w] "v"(w), [b] "v"(b));
    acc = sum;
  }
};
#endif

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

// C tile (rows × cols of MR × NR) += A panel (kc × MR) · B panel (kc × NR), `Step::kr` rows of K at a
// time (the panel layout of gemm.hpp: row k of B starts at b(k), A's element for row i at a + k·MR + i·kr).
template <typename T, int MR, int NV, typename Step, typename Rows>
[[gnu::always_inline]] inline void micro(int kc, const T* __restrict a, Rows b, acc_t<T>* __restrict c, int ldc,
                                         int rows, int cols, bool accumulate) {
  using A = acc_t<T>;
  using V = typename Step::V;
  constexpr int KR = Step::kr;
  constexpr int VL = int(sizeof(V) / sizeof(A));  // columns per vector
  constexpr int NR = NV * VL;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = V{};
  for (int k = 0; k < kc; k += KR) {
    const T* __restrict row = b(k);
    V bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) std::memcpy(&bv[j], row + j * VL * KR, sizeof(V));
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) Step::step(acc[i][j], a + k * MR + i * KR, bv[j]);
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
  A tile[MR * NR];
  std::memcpy(tile, acc, sizeof(tile));
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c[i * ldc + j] = tile[i * NR + j] + (accumulate ? c[i * ldc + j] : A(0));
}

// `panel(j)` gives the rows of B micro-panel j.
template <typename T, int MR, int NV, typename Step, typename Panel>
[[gnu::always_inline]] inline void block_impl(int m, int n, int kc, const T* a, Panel panel, acc_t<T>* c, int ldc,
                                              bool accumulate) {
  constexpr int NR = NV * int(sizeof(typename Step::V) / sizeof(acc_t<T>));
  const int mp = (m + MR - 1) / MR, np = (n + NR - 1) / NR;
  const std::size_t a_panel = std::size_t(round_up(kc, Step::kr)) * MR;
  for (int j = 0; j < np; ++j)  // the B micro-panel stays in L1 across all A panels
    for (int i = 0; i < mp; ++i)
      micro<T, MR, NV, Step>(kc, a + std::size_t(i) * a_panel, panel(j),
                             c + std::size_t(i) * MR * ldc + std::size_t(j) * NR, ldc, std::min(MR, m - i * MR),
                             std::min(NR, n - j * NR), accumulate);
}

template <typename T, int MR, int NV, typename Step>
[[gnu::always_inline]] inline void block_packed(int m, int n, int kc, const T* a, const T* b, acc_t<T>* c, int ldc,
                                                bool accumulate) {
  constexpr int NR = NV * int(sizeof(typename Step::V) / sizeof(acc_t<T>));
  const std::size_t b_panel = std::size_t(round_up(kc, Step::kr)) * NR;
  block_impl<T, MR, NV, Step>(
      m, n, kc, a, [=](int j) { return PackedRows<T, NR>{b + j * b_panel}; }, c, ldc, accumulate);
}

template <typename T, int MR, int NV, typename Step>
[[gnu::always_inline]] inline void block_table(int m, int n, int kc, const T* a, const T* b,
                                               const std::ptrdiff_t* rows, T* c, int ldc, bool accumulate) {
  constexpr int NR = NV * int(sizeof(typename Step::V) / sizeof(T));
  block_impl<T, MR, NV, Step>(
      m, n, kc, a, [=](int j) { return TableRows<T>{b + std::size_t(j) * NR, rows}; }, c, ldc, accumulate);
}

// The entry points of one instruction set and element type: packed and in-place B.
#define SPARSEDSE_GEMM_PACKED(name, attributes, T, MR, NV, ...)                                                    \
  attributes void name(int m, int n, int kc, const T* a, const T* b, acc_t<T>* c, int ldc, bool acc) {          \
    block_packed<T, MR, NV, __VA_ARGS__>(m, n, kc, a, b, c, ldc, acc);                                           \
  }
#define SPARSEDSE_GEMM_BLOCKS(name, attributes, T, MR, NV, VB)                                                     \
  SPARSEDSE_GEMM_PACKED(name, attributes, T, MR, NV, Fma<T, VB>)                                                 \
  attributes void name##_table(int m, int n, int kc, const T* a, const T* b, const std::ptrdiff_t* rows, T* c,   \
                               int ldc, bool acc) {                                                              \
    block_table<T, MR, NV, Fma<T, VB>>(m, n, kc, a, b, rows, c, ldc, acc);                                       \
  }

// Portable: 128-bit vectors (SSE2 on x86-64, NEON elsewhere).
SPARSEDSE_GEMM_BLOCKS(block_generic_f32, , float, 4, 2, 16)
SPARSEDSE_GEMM_BLOCKS(block_generic_f64, , double, 4, 2, 16)
SPARSEDSE_GEMM_PACKED(block_generic_i16, , std::int16_t, 4, 2, PairsPortable)

#if defined(__x86_64__) || defined(__i386__)
#define SPARSEDSE_X86 1
SPARSEDSE_GEMM_BLOCKS(block_avx2_f32, __attribute__((target("avx2,fma"))), float, 6, 2, 32)
SPARSEDSE_GEMM_BLOCKS(block_avx2_f64, __attribute__((target("avx2,fma"))), double, 6, 2, 32)

SPARSEDSE_GEMM_BLOCKS(block_avx512_f32, __attribute__((target("avx512f"))), float, 8, 2, 64)
SPARSEDSE_GEMM_BLOCKS(block_avx512_f64, __attribute__((target("avx512f"))), double, 8, 2, 64)
#endif
#ifdef SPARSEDSE_INT16_ASM
SPARSEDSE_GEMM_PACKED(block_avx2_i16, __attribute__((target("avx2"))), std::int16_t, 6, 2, PairsAvx2)
SPARSEDSE_GEMM_PACKED(block_avx512_i16, __attribute__((target("avx512f,avx512bw,avx512vnni"))), std::int16_t, 8, 2,
                      PairsVnni)
#endif

bool supported(Isa isa) {
#ifdef SPARSEDSE_X86
  // (AVX-512 VNNI for int16 is checked by kernel<int16_t>.)
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

bool has_vnni() {
#ifdef SPARSEDSE_X86
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
#else
  return false;
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

template <>
Kernel<std::int16_t> kernel<std::int16_t>(Isa isa) {
  if (!supported(isa)) throw std::invalid_argument("gemm: instruction set " + to_string(isa) + " not supported");
  if (isa == Isa::Avx512 && !has_vnni()) isa = Isa::Avx2;  // every AVX-512 CPU has AVX2
  switch (isa) {
#ifdef SPARSEDSE_INT16_ASM
    case Isa::Avx512: return {isa, 8, 32, &block_avx512_i16, nullptr, 2};
    case Isa::Avx2: return {isa, 6, 16, &block_avx2_i16, nullptr, 2};
#endif
    default: return {Isa::Generic, 4, 8, &block_generic_i16, nullptr, 2};
  }
}

template <typename T>
const Kernel<T>& best_kernel() {
  static const Kernel<T> k = kernel<T>(detect_isa());
  return k;
}
template const Kernel<float>& best_kernel<float>();
template const Kernel<double>& best_kernel<double>();
template const Kernel<std::int16_t>& best_kernel<std::int16_t>();

template <typename T>
PackedA<T> pack_a(const T* a, int rows, int depth, std::ptrdiff_t lda, const Kernel<T>& k) {
  PackedA<T> p;
  p.rows = rows;
  p.depth = depth;
  p.mr = k.mr;
  const int padded = round_up(rows, k.mr);
  p.data.assign(std::size_t(padded) * std::size_t(round_up(depth, k.kr)), T(0));  // zeros: padding rows, odd K
  for (int kb = 0; kb * kKc < depth; ++kb) {
    const int kc = std::min(kKc, depth - kb * kKc);
    for (int pi = 0; pi < padded / k.mr; ++pi) {
      T* dst = p.data.data() + panel_offset(kb, pi, depth, padded, k.mr, k.kr);
      for (int kk = 0; kk < kc; ++kk)
        for (int r = 0; r < k.mr; ++r) {
          const int row = pi * k.mr + r;
          if (row < rows) dst[panel_index(kk, r, k.mr, k.kr)] = a[row * lda + kb * kKc + kk];
        }
    }
  }
  return p;
}

template <typename T>
void pack_b(const T* b, int depth, int cols, std::ptrdiff_t ldb, const Kernel<T>& k, AlignedVector<T>& out) {
  const int padded = round_up(cols, k.nr);
  out.assign(std::size_t(padded) * std::size_t(round_up(depth, k.kr)), T(0));
  for (int r = 0; r < depth; ++r) {
    const int kb = r / kKc, kk = r % kKc;
    for (int c = 0; c < cols; ++c)
      out[panel_offset(kb, c / k.nr, depth, padded, k.nr, k.kr) + panel_index(kk, c % k.nr, k.nr, k.kr)] =
          b[r * ldb + c];
  }
}

template <typename T>
void multiply(const PackedA<T>& a, const T* packed_b, int cols, acc_t<T>* c, std::ptrdiff_t ldc,
              const Kernel<T>& k, bool accumulate) {
  const int padded = round_up(cols, k.nr);
  const int padded_rows = round_up(a.rows, k.mr);
  for (int kb = 0; kb * kKc < a.depth; ++kb) {
    const int kc = std::min(kKc, a.depth - kb * kKc);
    k.block(a.rows, cols, kc, a.data.data() + panel_offset(kb, 0, a.depth, padded_rows, k.mr, k.kr),
            packed_b + panel_offset(kb, 0, a.depth, padded, k.nr, k.kr), c, int(ldc), accumulate || kb > 0);
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
  return a.data.data() + panel_offset(kb, 0, a.depth, round_up(a.rows, k.mr), k.mr, k.kr);
}
}  // namespace

template <typename T>
void multiply_block(const PackedA<T>& a, int kb, const T* packed_b_block, int cols, acc_t<T>* c,
                    std::ptrdiff_t ldc, const Kernel<T>& k, bool accumulate) {
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
template void multiply_block(const PackedA<std::int16_t>&, int, const std::int16_t*, int, std::int32_t*,
                             std::ptrdiff_t, const Kernel<std::int16_t>&, bool);
template PackedA<float> pack_a(const float*, int, int, std::ptrdiff_t, const Kernel<float>&);
template PackedA<double> pack_a(const double*, int, int, std::ptrdiff_t, const Kernel<double>&);
template PackedA<std::int16_t> pack_a(const std::int16_t*, int, int, std::ptrdiff_t, const Kernel<std::int16_t>&);
template void pack_b(const float*, int, int, std::ptrdiff_t, const Kernel<float>&, AlignedVector<float>&);
template void pack_b(const double*, int, int, std::ptrdiff_t, const Kernel<double>&, AlignedVector<double>&);
template void pack_b(const std::int16_t*, int, int, std::ptrdiff_t, const Kernel<std::int16_t>&,
                     AlignedVector<std::int16_t>&);
template void multiply(const PackedA<float>&, const float*, int, float*, std::ptrdiff_t, const Kernel<float>&, bool);
template void multiply(const PackedA<double>&, const double*, int, double*, std::ptrdiff_t, const Kernel<double>&,
                       bool);
template void multiply(const PackedA<std::int16_t>&, const std::int16_t*, int, std::int32_t*, std::ptrdiff_t,
                       const Kernel<std::int16_t>&, bool);

}  // namespace sparsedse::engine::gemm
