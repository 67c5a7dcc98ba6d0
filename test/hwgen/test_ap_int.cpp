// ap_int / ap_uint shim: Vitis result widths, bit access, arithmetic (single- and multi-word) and
// conversions, against hand-computed values and __int128 arithmetic.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <type_traits>

#include "ap_int.h"

namespace {

typedef __int128 i128;

TEST_CASE("ap_int construction wraps to the width", "[hwgen][ap_int]") {
  CHECK(ap_int<8>(200).to_int64() == -56);
  CHECK(ap_uint<8>(-1).to_uint64() == 255);
  CHECK(ap_int<1>(1).to_int64() == -1);
  CHECK(ap_uint<70>(-1).range(69, 64).to_uint64() == 63);
  CHECK(ap_int<8>(-3.7).to_int64() == -3);  // truncation toward zero
  CHECK(ap_uint<80>(std::ldexp(1.0, 70))[70] == true);
  CHECK(ap_uint<80>(std::ldexp(1.0, 70)).to_double() == std::ldexp(1.0, 70));
  CHECK(ap_int<100>(-5).to_double() == -5.0);
  const ap_int<8> x = ap_uint<8>(0xF0);  // reinterpretation by width
  CHECK(x.to_int64() == -16);
}

TEST_CASE("ap_int result types follow the Vitis rules", "[hwgen][ap_int]") {
  typedef decltype(ap_int<8>() + ap_uint<8>()) sum_mixed;
  STATIC_REQUIRE(sum_mixed::width == 10);
  STATIC_REQUIRE(sum_mixed::sign_flag);
  typedef decltype(ap_uint<8>() * ap_uint<8>()) prod_u;
  STATIC_REQUIRE(prod_u::width == 16);
  STATIC_REQUIRE(!prod_u::sign_flag);
  typedef decltype(ap_uint<8>() - ap_uint<8>()) diff_u;
  STATIC_REQUIRE(diff_u::width == 9);
  STATIC_REQUIRE(diff_u::sign_flag);
  typedef decltype(ap_int<8>() + 1) plus_int;
  STATIC_REQUIRE(plus_int::width == 33);
  typedef decltype(ap_uint<5>() << 3) shifted;
  STATIC_REQUIRE(shifted::width == 5);

  CHECK((ap_uint<8>(3) - ap_uint<8>(5)).to_int64() == -2);
  CHECK((ap_int<8>(-128) * ap_int<8>(-128)).to_int64() == 16384);
  CHECK((ap_uint<8>(255) + ap_uint<8>(255)).to_int64() == 510);
  CHECK((ap_uint<8>(0x81) << 1).to_uint64() == 0x02);  // keeps 8 bits
  CHECK((ap_int<8>(-128) >> 2).to_int64() == -32);      // arithmetic
  CHECK((ap_uint<8>(0x80) >> 2).to_uint64() == 0x20);
  CHECK((-ap_int<8>(-128)).to_int64() == 128);          // unary minus widens
  CHECK((~ap_uint<4>(5)).to_uint64() == 10);
  ap_uint<4> c = 15;
  ++c;
  CHECK(c == 0);
  c += 20;
  CHECK(c == 4);
}

TEST_CASE("ap_int comparisons are exact across signedness", "[hwgen][ap_int]") {
  CHECK(ap_uint<8>(200) > ap_int<8>(-1));
  CHECK(ap_int<8>(-1) < 0u);  // value comparison, unlike C's unsigned conversion
  CHECK(ap_int<9>(-1) != ap_uint<8>(255));
  CHECK(ap_uint<512>(7) == 7);
  CHECK(ap_int<3>(-4) <= -4);
  CHECK_FALSE(ap_uint<1>(1) == 0);
}

TEST_CASE("range() and operator[] get and set bits", "[hwgen][ap_int]") {
  ap_uint<16> x = 0xABCD;
  CHECK(x.range(11, 4).to_uint64() == 0xBC);
  x.range(7, 0) = 0x12;
  CHECK(x.to_uint64() == 0xAB12);
  CHECK(x[15] == true);
  x[15] = 0;
  CHECK(x.to_uint64() == 0x2B12);
  ap_int<8> y = -1;
  CHECK(y.range(3, 0).to_uint64() == 15);
  y.range(7, 4) = 0;
  CHECK(y.to_int64() == 15);
  ap_uint<8> z = x.range(15, 8);
  CHECK(z.to_uint64() == 0x2B);
  ap_uint<16> w = 0;
  w.range(15, 8) = x.range(7, 0);  // range to range
  CHECK(w.to_uint64() == 0x1200);
  CHECK(ap_uint<8>(0x0F).or_reduce());
  CHECK(ap_uint<8>(0xFF).and_reduce());
  CHECK_FALSE(ap_uint<8>(0xFE).and_reduce());
  CHECK(ap_uint<8>(0x07).xor_reduce());
}

TEST_CASE("512-bit port words: shifts, ranges and multi-word arithmetic", "[hwgen][ap_int]") {
  ap_uint<512> a = 1;
  a <<= 511;
  CHECK(a[511] == true);
  CHECK((a >> 511) == 1);
  const ap_uint<512> m = a - 1;  // 511 ones
  CHECK(m[511] == false);
  CHECK(m.range(63, 0).to_uint64() == ~0ull);
  CHECK(m.range(510, 447).to_uint64() == ~0ull);
  CHECK(m.range(511, 448).to_uint64() == 0x7FFFFFFFFFFFFFFFull);
  ap_uint<512> beat = 0;
  for (unsigned lane = 0; lane < 32; ++lane) beat.range(lane * 16 + 15, lane * 16) = lane * 3 + 1;
  for (unsigned lane = 0; lane < 32; ++lane) CHECK(beat.range(lane * 16 + 15, lane * 16).to_uint64() == lane * 3 + 1);
  const ap_uint<128> p = ap_uint<64>(~0ull) * ap_uint<64>(~0ull);  // 2^128 − 2^65 + 1
  CHECK(p.range(127, 64).to_uint64() == 0xFFFFFFFFFFFFFFFEull);
  CHECK(p.range(63, 0).to_uint64() == 1);
  CHECK(ap_uint<512>(1).to_double() == 1.0);
  CHECK((ap_uint<512>(1) << 300).to_double() == std::ldexp(1.0, 300));
  std::ostringstream os;
  os << (ap_uint<512>(0xAB) << 64);
  CHECK(os.str() == "0xab0000000000000000");
}

// Multi-word arithmetic at 100 bits against __int128 wrapped to 100 bits.
i128 wrap100(i128 v) {
  const unsigned __int128 mask = (((unsigned __int128)1) << 100) - 1;
  unsigned __int128 u = (unsigned __int128)v & mask;
  if ((u >> 99) & 1) u |= ~mask;
  return (i128)u;
}
ap_int<100> make100(i128 v) {
  ap_int<100> r = ap_int<100>(std::int64_t(v >> 64)) << 64;
  r.range(63, 0) = ap_uint<64>(std::uint64_t(v));
  return r;
}
i128 value100(const ap_int<100>& x) {
  const i128 hi = i128(ap_int<36>(x.range(99, 64)).to_int64());
  return (hi << 64) | i128(x.range(63, 0).to_uint64());
}

TEST_CASE("multi-word ap_int matches __int128 on random values", "[hwgen][ap_int]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const i128 a = wrap100((i128(rng()) << 64) | rng());
    const i128 b = wrap100((i128(rng()) << 64) | rng());
    const ap_int<100> x = make100(a), y = make100(b);
    REQUIRE(value100(x) == a);
    REQUIRE(value100(ap_int<100>(x + y)) == wrap100(a + b));
    REQUIRE(value100(ap_int<100>(x - y)) == wrap100(a - b));
    REQUIRE(value100(ap_int<100>(x * y)) == wrap100(i128((unsigned __int128)a * (unsigned __int128)b)));
    const int s = int(rng() % 100);
    REQUIRE(value100(x >> s) == (a >> s));
    REQUIRE(value100(x << s) == wrap100(i128((unsigned __int128)a << s)));
    REQUIRE((x < y) == (a < b));
    REQUIRE((x == y) == (a == b));
    // Single word: exact 37 × 27 bit product.
    const std::int64_t c = std::int64_t(rng() % (1ull << 37)) - (1ll << 36);
    const std::int64_t d = std::int64_t(rng() % (1ull << 27)) - (1ll << 26);
    REQUIRE((ap_int<37>(c) * ap_int<27>(d)).to_int64() == c * d);
    REQUIRE((ap_int<37>(c) + ap_int<27>(d)).to_int64() == c + d);
  }
}

}  // namespace
