#pragma once
// Resource primitives and integer helpers of the hardware model (model.md §6.2, §1).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace sparsedse::hw {

// int(x) of the model (Q20) with a tolerance for the last bits of double noise: the model's values are
// exact rationals (e.g. 2048/(2·0.25·256/324) = 5184), and a plain cast would turn 5183.999… into 5183.
inline std::int64_t trunc_int(double x) {
  return static_cast<std::int64_t>(std::floor(x + 1e-12 * std::max(1.0, std::abs(x))));
}
inline std::int64_t ceil_int(double x) {
  return static_cast<std::int64_t>(std::ceil(x - 1e-12 * std::max(1.0, std::abs(x))));
}
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// int2bits(n) = ⌈log2 n⌉ (0 for n ≤ 1).
int int2bits(std::int64_t n);
// ⌊log2 n⌋ for n ≥ 1 (the vector dot's `int(log2 fine)`).
int floor_log2(std::int64_t n);

// Sorted positive divisors of n (n ≥ 1).
std::vector<int> factors(int n);

enum class RamKind { fifo, memory };

// BRAM18 count of an array of `depth` words of `width` bits (model.md §6.2).
std::int64_t bram18(std::int64_t depth, std::int64_t width, RamKind kind);
// URAM count of an array (widths up to 72 per primitive).
std::int64_t uram(std::int64_t depth, std::int64_t width);
// LUTRAM primitive count of a queue: 32×16 when depth ≤ 32, else 64×8.
std::int64_t lutram(std::int64_t depth, std::int64_t width);
// DSP48E2 count of one a×b multiplier: ⌈a/18⌉·⌈b/27⌉.
std::int64_t dsp(std::int64_t a, std::int64_t b);
// LUTs of a small ROM held in distributed RAM (Q15): ⌈depth/64⌉·width.
std::int64_t rom_lut(std::int64_t depth, std::int64_t width);

// Geometry of the RAM primitive that holds one slice of a `width`-bit array: the width w per
// primitive (rounded up to the next supported aspect) and its depth d(w).
struct RamUnit {
  int width = 0;
  int depth = 0;
};
RamUnit bram18_unit(std::int64_t width);
RamUnit uram_unit(std::int64_t width);

}  // namespace sparsedse::hw
