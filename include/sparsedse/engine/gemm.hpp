#pragma once
// Packed-panel GEMM kernels of the engine (exposed for tests and benchmarks).
//
// C (+)= A · B with A (M × K, the weights) packed once into MR-row panels and B (K × N, im2col columns)
// packed per call into NR-column panels (or read in place through a row table), both in K blocks of kKc.
// A register-blocked micro-kernel per instruction set (AVX-512, AVX2+FMA, or portable 128-bit vectors)
// is chosen once at run time, so the build needs no -march flag. The fixed-point mode multiplies integer
// codes: the int16 kernel (AVX-512 VNNI vpdpwssd, AVX2 vpmaddwd, portable vectors) sums int16 × int16
// in int32, modulo 2^32, so it is exact when the caller has proved |Σ| < 2^31; the double kernel is exact
// while every partial sum stays below 2^53 (docs/fixed-point.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace sparsedse::engine::gemm {

inline constexpr int kKc = 256;  // K block: one A micro-panel (kKc × MR) stays in L1

// Avx512: AVX-512F (float, double); for int16 also AVX-512BW + VNNI, without which kernel<int16_t>
// gives the AVX2 kernel.
enum class Isa { Generic, Avx2, Avx512 };
Isa detect_isa();  // best supported by this CPU; SPARSEDSE_GEMM_ISA=generic|avx2|avx512 caps it
std::string to_string(Isa isa);

// The type C accumulates in: T itself, int32 for int16 codes.
template <typename T>
struct Accumulator {
  using type = T;
};
template <>
struct Accumulator<std::int16_t> {
  using type = std::int32_t;
};
template <typename T>
using acc_t = typename Accumulator<T>::type;

// 64-byte aligned storage for packed panels.
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{64}); }
  bool operator==(const AlignedAllocator&) const { return true; }
};
template <typename T>
using AlignedVector = std::vector<T, AlignedAllocator<T>>;

// Panel layout: K advances `kr` rows per step. kr = 1 (float, double): row k of an A panel is its mr
// elements, row k of a B panel its nr elements. kr = 2 (int16): K in pairs, each panel padded to an even
// depth with a zero row; pair q of an A panel holds (a[r][2q], a[r][2q+1]) per row r (one 32-bit word, for
// a broadcast), pair q of a B panel (b[2q][c], b[2q+1][c]) per column c, as vpdpwssd / vpmaddwd consume them.
// Either way element (k, lane) of a panel of width w is at panel_index(k, lane, w, kr).
inline std::size_t panel_index(int k, int lane, int w, int kr) {
  return (std::size_t(k / kr) * std::size_t(w) + std::size_t(lane)) * std::size_t(kr) + std::size_t(k % kr);
}

template <typename T>
struct Kernel {
  Isa isa = Isa::Generic;
  int mr = 0, nr = 0;
  // One K block: C[m × n] (+)= A (⌈m/mr⌉ panels of kc × mr) · B (⌈n/nr⌉ panels of kc × nr);
  // `accumulate` false overwrites C.
  void (*block)(int m, int n, int kc, const T* a, const T* b, acc_t<T>* c, int ldc, bool accumulate) = nullptr;
  // The same with B read in place: row k of B panel j starts at b + rows[k] + j·nr (any alignment), so a
  // direct convolution can use rows of its input without packing them (float and double only).
  void (*block_table)(int m, int n, int kc, const T* a, const T* b, const std::ptrdiff_t* rows, T* c, int ldc,
                      bool accumulate) = nullptr;
  int kr = 1;  // K rows per step (panel layout above)
};
template <typename T>
Kernel<T> kernel(Isa isa);  // isa must be supported by the CPU
template <typename T>
const Kernel<T>& best_kernel();  // kernel(detect_isa()), chosen once

inline int round_up(int x, int to) { return (x + to - 1) / to * to; }

// Offset of K block kb, panel p of a packed matrix whose other dimension is padded to `padded`
// (a multiple of the panel width `w`), depth `k`, K steps of `kr` rows (kKc is a multiple of kr).
inline std::size_t panel_offset(int kb, int p, int k, int padded, int w, int kr = 1) {
  const int kc = round_up(std::min(kKc, k - kb * kKc), kr);
  return std::size_t(kb) * kKc * std::size_t(padded) + std::size_t(p) * std::size_t(kc) * std::size_t(w);
}

// A packed for a kernel: rows padded to a multiple of mr with zeros.
template <typename T>
struct PackedA {
  int rows = 0, depth = 0, mr = 0;
  AlignedVector<T> data;
};
template <typename T>
PackedA<T> pack_a(const T* a, int rows, int depth, std::ptrdiff_t lda, const Kernel<T>& k);

// Pack B (row-major, depth × cols, leading dimension ldb) for a kernel; `out` is resized.
template <typename T>
void pack_b(const T* b, int depth, int cols, std::ptrdiff_t ldb, const Kernel<T>& k, AlignedVector<T>& out);

// One K block kb of the product: C (+)= A[:, kb block] · B_kb, where `packed_b_block` holds only the
// rows of block kb packed for `cols` columns (⌈cols/nr⌉ panels of kc × nr). Packing block by block keeps
// the packed rows in L2 between packing and use.
template <typename T>
void multiply_block(const PackedA<T>& a, int kb, const T* packed_b_block, int cols, acc_t<T>* c,
                    std::ptrdiff_t ldc, const Kernel<T>& k, bool accumulate);

// multiply_block with B in place: row kk of the block is b + rows[kk] (block_table), `cols` columns.
template <typename T>
void multiply_block_table(const PackedA<T>& a, int kb, const T* b, const std::ptrdiff_t* rows, int cols, T* c,
                          std::ptrdiff_t ldc, const Kernel<T>& k, bool accumulate);

// C[rows × cols] (row-major, ldc) += A · B, B packed for `cols` columns; `accumulate` false: C = A · B.
template <typename T>
void multiply(const PackedA<T>& a, const T* packed_b, int cols, acc_t<T>* c, std::ptrdiff_t ldc,
              const Kernel<T>& k, bool accumulate = true);

}  // namespace sparsedse::engine::gemm
