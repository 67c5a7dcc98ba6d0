// Resource primitives (model.md §6.2).
#include "sparsedse/hw/primitives.hpp"

#include <array>
#include <bit>

namespace sparsedse::hw {

int int2bits(std::int64_t n) {
  return n <= 1 ? 0 : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n - 1)));
}

int floor_log2(std::int64_t n) {
  return n <= 1 ? 0 : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(n))) - 1;
}

std::vector<int> factors(int n) {
  std::vector<int> low, high;
  for (int i = 1; static_cast<std::int64_t>(i) * i <= n; ++i) {
    if (n % i != 0) continue;
    low.push_back(i);
    if (i != n / i) high.push_back(n / i);
  }
  low.insert(low.end(), high.rbegin(), high.rend());
  return low;
}

namespace {

struct Aspect {
  int width;
  int depth;
};
constexpr std::array<Aspect, 6> kBram18{{{1, 16384}, {2, 8192}, {4, 4096}, {9, 2048}, {18, 1024}, {36, 512}}};
constexpr std::array<Aspect, 7> kUram{
    {{1, 262144}, {2, 131072}, {4, 65536}, {9, 32768}, {18, 16384}, {36, 8192}, {72, 4096}}};

template <std::size_t N>
RamUnit unit_of(const std::array<Aspect, N>& table, std::int64_t width) {
  const std::int64_t w = std::min<std::int64_t>(width, table.back().width);
  for (const Aspect& a : table)
    if (a.width >= w) return {a.width, a.depth};
  return {table.back().width, table.back().depth};
}

template <std::size_t N>
std::int64_t ram_count(const std::array<Aspect, N>& table, std::int64_t depth, std::int64_t width) {
  const std::int64_t rep = ceil_div(width, table.back().width);
  const RamUnit unit = unit_of(table, width);
  return rep * ceil_div(depth, unit.depth);
}

}  // namespace

RamUnit bram18_unit(std::int64_t width) { return unit_of(kBram18, width); }
RamUnit uram_unit(std::int64_t width) { return unit_of(kUram, width); }

std::int64_t bram18(std::int64_t depth, std::int64_t width, RamKind kind) {
  if (depth <= 0 || width <= 0) return 0;
  const std::int64_t bits = depth * width;
  if (kind == RamKind::fifo && (bits <= 1024 || depth <= 32)) return 0;
  if (kind == RamKind::memory && bits < 1024) return 0;
  return ram_count(kBram18, depth, width);
}

std::int64_t uram(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return 0;
  return ram_count(kUram, depth, width);
}

std::int64_t lutram(std::int64_t depth, std::int64_t width) {
  // A queue of no words or no bits is no queue (the spec's formula would still charge one primitive).
  if (depth <= 0 || width <= 0) return 0;
  const std::int64_t w = depth <= 32 ? 16 : 8;
  const std::int64_t d = depth <= 32 ? 32 : 64;
  return ceil_div(width + 1, w) * ceil_div(depth, d);
}

std::int64_t dsp(std::int64_t a, std::int64_t b) { return ceil_div(a, 18) * ceil_div(b, 27); }

std::int64_t rom_lut(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return 0;
  return ceil_div(depth, 64) * width;
}

}  // namespace sparsedse::hw
