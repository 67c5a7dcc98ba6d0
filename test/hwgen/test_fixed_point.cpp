// The plain-C++ fixed-point casts (include/sparsedse/common/fixed_point.hpp) against hand-computed
// values, and against our ap_fixed shim on thousands of random values for every Q/O mode.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "ap_fixed.h"
#include "sparsedse/common/fixed_point.hpp"

using namespace sparsedse;

namespace {

const FixedFormat q8_4{8, 4, true};  // ap_fixed<8,4>: LSB 1/16, range [−8, 7.9375]

TEST_CASE("quantize rounds ties as the Vitis modes define", "[hwgen][fixed]") {
  struct Case {
    double x;           // in LSB units of <8,4>: x·16
    std::int64_t trn, trn_zero, rnd, rnd_zero, rnd_min_inf, rnd_inf, rnd_conv;
  };
  const Case cases[] = {
      {0.5, 0, 0, 1, 0, 0, 1, 0},      {-0.5, -1, 0, 0, 0, -1, -1, 0},  {1.5, 1, 1, 2, 1, 1, 2, 2},
      {-1.5, -2, -1, -1, -1, -2, -2, -2}, {2.5, 2, 2, 3, 2, 2, 3, 2},  {-2.5, -3, -2, -2, -2, -3, -3, -2},
      {-1.6, -2, -1, -2, -2, -2, -2, -2}, {1.25, 1, 1, 1, 1, 1, 1, 1},  {-1.25, -2, -1, -1, -1, -1, -1, -1},
      {3.0, 3, 3, 3, 3, 3, 3, 3},
  };
  for (const Case& c : cases) {
    INFO("x = " << c.x << " LSB");
    const double x = c.x / 16;
    CHECK(quantize(x, q8_4, Rounding::trn, Overflow::sat) == c.trn);
    CHECK(quantize(x, q8_4, Rounding::trn_zero, Overflow::sat) == c.trn_zero);
    CHECK(quantize(x, q8_4, Rounding::rnd, Overflow::sat) == c.rnd);
    CHECK(quantize(x, q8_4, Rounding::rnd_zero, Overflow::sat) == c.rnd_zero);
    CHECK(quantize(x, q8_4, Rounding::rnd_min_inf, Overflow::sat) == c.rnd_min_inf);
    CHECK(quantize(x, q8_4, Rounding::rnd_inf, Overflow::sat) == c.rnd_inf);
    CHECK(quantize(x, q8_4, Rounding::rnd_conv, Overflow::sat) == c.rnd_conv);
    // The same casts from an exact raw value with 5 fraction bits (x·32 is an integer here).
    const auto raw = std::int64_t(c.x * 2);
    if (double(raw) == c.x * 2) {
      CHECK(requantize(raw, 5, q8_4, Rounding::trn, Overflow::sat) == c.trn);
      CHECK(requantize(raw, 5, q8_4, Rounding::rnd, Overflow::sat) == c.rnd);
      CHECK(requantize(raw, 5, q8_4, Rounding::rnd_conv, Overflow::sat) == c.rnd_conv);
      CHECK(requantize(raw, 5, q8_4, Rounding::rnd_zero, Overflow::sat) == c.rnd_zero);
    }
  }
}

TEST_CASE("overflow saturates, wraps and clamps after rounding", "[hwgen][fixed]") {
  CHECK(max_raw(q8_4) == 127);
  CHECK(min_raw(q8_4) == -128);
  CHECK(quantize(8.0, q8_4) == 127);
  CHECK(quantize(-8.0, q8_4) == -128);
  CHECK(quantize(-8.03125, q8_4) == -128);  // −128.5 LSB rounds (ties up) to −128: in range
  CHECK(quantize(-8.0625, q8_4) == -128);   // −129 saturates
  CHECK(quantize(-8.0625, q8_4, Rounding::rnd, Overflow::wrap) == 127);   // −129 mod 256
  CHECK(quantize(7.97, q8_4) == 127);                                        // 127.52 → 128 → saturate
  CHECK(quantize(7.97, q8_4, Rounding::rnd, Overflow::wrap) == -128);        // 128 wraps
  CHECK(quantize(7.97, q8_4, Rounding::trn, Overflow::wrap) == 127);         // floor stays in range
  CHECK(quantize(8.0, q8_4, Rounding::rnd, Overflow::sat_zero) == 0);
  CHECK(quantize(-9.0, q8_4, Rounding::rnd, Overflow::sat_sym) == -127);
  CHECK(quantize(-8.0, q8_4, Rounding::rnd, Overflow::sat_sym) == -127);  // Vitis: min itself → −max
  CHECK(quantize(7.9375, q8_4, Rounding::rnd, Overflow::sat_sym) == 127);
  CHECK(requantize(-128, 4, q8_4, Rounding::trn, Overflow::sat_sym) == -127);
  CHECK(quantize(1e30, q8_4) == 127);
  CHECK(quantize(-1e30, q8_4, Rounding::rnd, Overflow::wrap) == 0);        // multiple of 2^8 LSB
  const FixedFormat u8_4{8, 4, false};
  CHECK(quantize(-0.5, u8_4) == 0);
  CHECK(quantize(-0.5, u8_4, Rounding::rnd, Overflow::wrap) == 248);
  CHECK(quantize(16.0, u8_4) == 255);

  // Widening the fraction is exact; the range still saturates or wraps.
  const FixedFormat q16_8{16, 8, true};
  CHECK(requantize(5, 0, q16_8) == 1280);
  CHECK(requantize(200, 0, q16_8) == 32767);
  CHECK(requantize(200, 0, q16_8, Rounding::rnd, Overflow::wrap) == 51200 - 65536);
  CHECK(requantize(-200, 0, q16_8) == -32768);
  // Accumulator (frac 16) to data (frac 8): 3.5 exactly, half an LSB up and down.
  CHECK(requantize(3 * 65536 + 32768, 16, q16_8) == 896);
  CHECK(requantize(128, 16, q16_8) == 1);
  CHECK(requantize(-128, 16, q16_8) == 0);
  CHECK(requantize(-129, 16, q16_8) == -1);
  CHECK(wrap_raw(0x1234F, FixedFormat{16, 0, true}) == 0x234F);
  CHECK(wrap_raw(0x18000, FixedFormat{16, 0, true}) == -32768);
}

TEST_CASE("accumulator, threshold and pooling formats follow hls.md §8", "[hwgen][fixed]") {
  const AccumulatorFormat a = accumulator_format(kDefaultData, kDefaultWeight, 512 * 3 * 3);
  CHECK(a.format == FixedFormat{46, 16, true});  // the spec's worked figure
  CHECK(a.overflow == Overflow::wrap);
  CHECK_FALSE(a.capped);
  CHECK(accumulator_format(kDefaultData, kDefaultWeight, 1).format == FixedFormat{33, 16, true});
  CHECK(accumulator_format(kDefaultData, kDefaultWeight, 9).format == FixedFormat{37, 16, true});
  const AccumulatorFormat big = accumulator_format({24, 12, true}, {24, 12, true}, 4608);
  CHECK(big.format == FixedFormat{48, 24, true});
  CHECK(big.overflow == Overflow::sat);
  CHECK(big.capped);

  const FixedFormat q16_8{16, 8, true};
  CHECK(quantize_threshold(0.1, q16_8) == 25);    // floor(25.6)
  CHECK(quantize_threshold(-0.1, q16_8) == -26);  // floor(−25.6)
  CHECK(quantize_threshold(1e9, q16_8) == 32767);
  for (double t : {0.1, 0.0, 0.25, 0.333, -0.7, 3.999}) {
    const std::int64_t tq = quantize_threshold(t, q16_8);
    for (std::int64_t x = -32768; x <= 32767; ++x) {
      if ((x > tq) != (double(x) / 256 > t)) FAIL("threshold " << t << " differs at raw " << x);
    }
  }

  CHECK(pool_reciprocal_raw(9) == 1864135);      // round(2^24 / 9)
  CHECK(pool_reciprocal_raw(1) == 16777216);     // 1.0 fits ap_ufixed<25,1>
  CHECK(pool_reciprocal_raw(49) == 342392);      // round(16777216/49 = 342392.16)
  CHECK(pool_sum_format(q16_8, 9) == FixedFormat{20, 8, true});
  CHECK(average_raw(9 * 256, q16_8, 9, q16_8) == 256);   // mean of nine 1.0 values
  CHECK(average_raw(-9 * 256, q16_8, 9, q16_8) == -256);
  CHECK(average_raw(4 * 3, q16_8, 4, q16_8) == 3);       // exact for powers of two
  CHECK(average_raw(2, q16_8, 4, q16_8) == 1);           // 0.5 LSB rounds up (AP_RND)
  CHECK(average_raw(-2, q16_8, 4, q16_8) == 0);          // −0.5 LSB rounds up to 0
}

// --- agreement with the ap_fixed shim -----------------------------------------------------------

Rounding rounding_of(ap_q_mode q) {
  switch (q) {
    case AP_TRN: return Rounding::trn;
    case AP_TRN_ZERO: return Rounding::trn_zero;
    case AP_RND: return Rounding::rnd;
    case AP_RND_ZERO: return Rounding::rnd_zero;
    case AP_RND_MIN_INF: return Rounding::rnd_min_inf;
    case AP_RND_INF: return Rounding::rnd_inf;
    case AP_RND_CONV: return Rounding::rnd_conv;
  }
  return Rounding::trn;
}
Overflow overflow_of(ap_o_mode o) {
  switch (o) {
    case AP_WRAP: return Overflow::wrap;
    case AP_SAT: return Overflow::sat;
    case AP_SAT_ZERO: return Overflow::sat_zero;
    case AP_SAT_SYM: return Overflow::sat_sym;
    default: return Overflow::wrap;
  }
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void agree(std::mt19937_64& rng, int n) {
  typedef ap_fixed_base<W, I, S, Q, O, 0> T;
  const FixedFormat f{W, W - I, S};
  const Rounding r = rounding_of(Q);
  const Overflow o = overflow_of(O);
  INFO("ap_fixed<" << W << "," << I << "," << (S ? "signed" : "unsigned") << ", Q=" << int(Q) << ", O=" << int(O)
                   << ">");
  std::uniform_real_distribution<double> span(-1.5, 1.5);
  std::uniform_int_distribution<int> tie(-4000, 4000);
  std::uniform_int_distribution<std::int64_t> wide(-(std::int64_t(1) << 39), (std::int64_t(1) << 39) - 1);
  const double range = std::ldexp(1.0, I);  // values up to ±1.5·2^I exercise overflow
  for (int i = 0; i < n; ++i) {
    // From double: random values and exact ties k/2^(F+1).
    const double x = span(rng) * range;
    const double t = std::ldexp(double(tie(rng)), -(W - I + 1));
    REQUIRE(T(x).raw() == quantize(x, f, r, o));
    REQUIRE(T(t).raw() == quantize(t, f, r, o));
    // From a wider fixed-point value (40 bits, 20 fraction bits).
    const ap_fixed<40, 20> src = ap_fixed<40, 20>::Base::from_raw(wide(rng));
    REQUIRE(T(src).raw() == requantize(src.raw(), 20, f, r, o));
    // From exact arithmetic: a product of two <16,8> values.
    const ap_fixed<16, 8> a = ap_fixed<16, 8>::Base::from_raw(wide(rng) % 32768);
    const ap_fixed<16, 8> b = ap_fixed<16, 8>::Base::from_raw(wide(rng) % 32768);
    const auto p = a * b;
    REQUIRE(T(p).raw() == requantize(a.raw() * b.raw(), 16, f, r, o));
  }
}

template <int W, int I, bool S, ap_q_mode Q>
void agree_all_o(std::mt19937_64& rng, int n) {
  agree<W, I, S, Q, AP_WRAP>(rng, n);
  agree<W, I, S, Q, AP_SAT>(rng, n);
  agree<W, I, S, Q, AP_SAT_ZERO>(rng, n);
  agree<W, I, S, Q, AP_SAT_SYM>(rng, n);
}
template <int W, int I, bool S>
void agree_all(std::mt19937_64& rng, int n) {
  agree_all_o<W, I, S, AP_TRN>(rng, n);
  agree_all_o<W, I, S, AP_TRN_ZERO>(rng, n);
  agree_all_o<W, I, S, AP_RND>(rng, n);
  agree_all_o<W, I, S, AP_RND_ZERO>(rng, n);
  agree_all_o<W, I, S, AP_RND_MIN_INF>(rng, n);
  agree_all_o<W, I, S, AP_RND_INF>(rng, n);
  agree_all_o<W, I, S, AP_RND_CONV>(rng, n);
}

TEST_CASE("fixed_point.hpp agrees with the ap_fixed shim on random values", "[hwgen][fixed]") {
  std::mt19937_64 rng(20240611);
  agree_all<16, 8, true>(rng, 400);   // data / weights
  agree_all<8, 3, true>(rng, 400);
  agree_all<12, 4, false>(rng, 400);  // ap_ufixed
  agree_all<10, 12, true>(rng, 200);  // negative fraction bits (LSB 4)
  agree_all<6, -2, true>(rng, 200);   // more fraction than width
  agree_all<46, 30, true>(rng, 200);  // the 512·3·3 accumulator
}

}  // namespace
