// Resource primitives at their boundaries (model.md §6.2).
#include <catch2/catch.hpp>

#include "sparsedse/hw/primitives.hpp"

using namespace sparsedse::hw;

TEST_CASE("bram18: fifo and memory thresholds", "[hw][primitives]") {
  CHECK(bram18(0, 16, RamKind::memory) == 0);
  CHECK(bram18(16, 0, RamKind::memory) == 0);
  CHECK(bram18(32, 64, RamKind::fifo) == 0);   // depth ≤ 32
  CHECK(bram18(33, 64, RamKind::fifo) == 2);   // 2112 bits: rep 2 × ⌈33/512⌉
  CHECK(bram18(64, 16, RamKind::fifo) == 0);   // 1024 bits
  CHECK(bram18(65, 16, RamKind::fifo) == 1);   // 1040 bits, width 16 → 18
  CHECK(bram18(64, 16, RamKind::memory) == 1); // 1024 is not < 1024
  CHECK(bram18(63, 16, RamKind::memory) == 0);
}

TEST_CASE("bram18: width rounding and depth packing", "[hw][primitives]") {
  CHECK(bram18(16384, 1, RamKind::memory) == 1);
  CHECK(bram18(16385, 1, RamKind::memory) == 2);
  CHECK(bram18(4096, 3, RamKind::memory) == 1);  // 3 → 4 bits, 4096 deep
  CHECK(bram18(4097, 3, RamKind::memory) == 2);
  CHECK(bram18(2048, 5, RamKind::memory) == 1);  // 5 → 9 bits
  CHECK(bram18(2049, 5, RamKind::memory) == 2);
  CHECK(bram18(1024, 18, RamKind::memory) == 1);
  CHECK(bram18(1024, 19, RamKind::memory) == 2);  // 19 → 36 bits, 512 deep
  CHECK(bram18(512, 36, RamKind::memory) == 1);
  CHECK(bram18(512, 37, RamKind::memory) == 2);   // rep 2
  CHECK(bram18(513, 37, RamKind::memory) == 4);
  CHECK(bram18(48, 384, RamKind::memory) == 11);  // §6.8
  CHECK(bram18_unit(16).width == 18);
  CHECK(bram18_unit(16).depth == 1024);
  CHECK(bram18_unit(100).width == 36);
}

TEST_CASE("uram packing", "[hw][primitives]") {
  CHECK(uram(262144, 1) == 1);
  CHECK(uram(262145, 1) == 2);
  CHECK(uram(8192, 36) == 1);
  CHECK(uram(4096, 72) == 1);
  CHECK(uram(4097, 72) == 2);
  CHECK(uram(4096, 73) == 2);
  CHECK(uram(4096, 144) == 2);
  CHECK(uram(0, 72) == 0);
  CHECK(uram_unit(40).width == 72);
}

TEST_CASE("lutram queues", "[hw][primitives]") {
  CHECK(lutram(32, 15) == 1);  // 32×16 primitive: ⌈16/16⌉
  CHECK(lutram(32, 16) == 2);  // ⌈17/16⌉
  CHECK(lutram(33, 7) == 1);   // 64×8 primitive
  CHECK(lutram(64, 7) == 1);
  CHECK(lutram(65, 8) == 4);   // ⌈9/8⌉·⌈65/64⌉
  CHECK(lutram(4, 64) == 5);   // §6.8 window buffer
  CHECK(lutram(2, 32) == 3);   // §6.8 frame buffer
}

TEST_CASE("dsp, rom_lut, int2bits", "[hw][primitives]") {
  CHECK(dsp(16, 16) == 1);
  CHECK(dsp(18, 27) == 1);
  CHECK(dsp(19, 27) == 2);
  CHECK(dsp(18, 28) == 2);
  CHECK(dsp(32, 32) == 4);
  CHECK(rom_lut(64, 128) == 128);
  CHECK(rom_lut(65, 128) == 256);
  CHECK(rom_lut(0, 8) == 0);
  CHECK(int2bits(1) == 0);
  CHECK(int2bits(2) == 1);
  CHECK(int2bits(3) == 2);
  CHECK(int2bits(4) == 2);
  CHECK(int2bits(5) == 3);
  CHECK(floor_log2(9) == 3);
  CHECK(factors(12) == std::vector<int>{1, 2, 3, 4, 6, 12});
  CHECK(factors(1) == std::vector<int>{1});
  CHECK(factors(49) == std::vector<int>{1, 7, 49});
}

TEST_CASE("trunc_int absorbs double noise only", "[hw][primitives]") {
  CHECK(trunc_int(5183.999999999999) == 5184);
  CHECK(trunc_int(5183.9) == 5183);
  CHECK(trunc_int(2.0) == 2);
  CHECK(ceil_int(4096.0000000000005) == 4096);
  CHECK(ceil_int(4096.01) == 4097);
}
