#pragma once
// Fixed-point casts of the hardware (hls.md §8), in plain int64 arithmetic. The C++ engine's fixed-point
// mode and the HLS tests both use these functions, so the engine reproduces the generated hardware bit for
// bit. The contract (which cast happens where) is written down in docs/fixed-point.md.
//
// A value is a raw two's complement integer `raw` with `frac` fraction bits: value = raw · 2^-frac.
// Names follow Vitis ap_fixed: Rounding::rnd is AP_RND, Overflow::sat is AP_SAT, and so on.
#include <cmath>
#include <cstdint>
#include <limits>

namespace sparsedse {

// Vitis quantisation modes (UG1399). Ties are values exactly halfway between two grid points.
enum class Rounding {
  trn,          // AP_TRN: floor (toward −∞)
  trn_zero,     // AP_TRN_ZERO: toward zero
  rnd,          // AP_RND: nearest, ties toward +∞ (add half an LSB, then floor)
  rnd_zero,     // AP_RND_ZERO: nearest, ties toward zero
  rnd_min_inf,  // AP_RND_MIN_INF: nearest, ties toward −∞
  rnd_inf,      // AP_RND_INF: nearest, ties away from zero
  rnd_conv,     // AP_RND_CONV: nearest, ties to even
};

// Vitis overflow modes, applied after rounding.
enum class Overflow {
  wrap,      // AP_WRAP: keep the low `width` bits (sign-extended when signed)
  sat,       // AP_SAT: clamp to [min, max]
  sat_zero,  // AP_SAT_ZERO: an out-of-range value becomes 0
  sat_sym,   // AP_SAT_SYM: clamp to [−max, max] (signed; also min itself → −max); as sat when unsigned
};

// ap_fixed<width, width − frac> (is_signed) or ap_ufixed<width, width − frac>. 1 ≤ width ≤ 64.
struct FixedFormat {
  int width = 16;
  int frac = 8;
  bool is_signed = true;
  int integer_bits() const { return width - frac; }
  bool operator==(const FixedFormat&) const = default;
};

inline constexpr FixedFormat kDefaultData{16, 8, true};    // data and weights: ap_fixed<16,8>
inline constexpr FixedFormat kDefaultWeight{16, 8, true};
inline constexpr int kMaxAccumulatorWidth = 48;           // DSP48E2 accumulator (hls.md §8)

inline std::int64_t max_raw(FixedFormat f) {
  const int bits = f.is_signed ? f.width - 1 : f.width;
  return bits >= 63 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << bits) - 1;
}
inline std::int64_t min_raw(FixedFormat f) {
  if (!f.is_signed) return 0;
  return f.width >= 64 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (f.width - 1));
}

inline double to_double(std::int64_t raw, int frac) { return std::ldexp(static_cast<double>(raw), -frac); }
inline double to_double(std::int64_t raw, FixedFormat f) { return to_double(raw, f.frac); }

// Keep the low `width` bits of `raw`, sign-extended when signed (AP_WRAP).
inline std::int64_t wrap_raw(std::int64_t raw, FixedFormat f) {
  if (f.width >= 64) return raw;
  const std::uint64_t mask = (std::uint64_t{1} << f.width) - 1;
  std::uint64_t u = static_cast<std::uint64_t>(raw) & mask;
  if (f.is_signed && ((u >> (f.width - 1)) & 1)) u |= ~mask;
  return static_cast<std::int64_t>(u);
}

namespace detail {

// The smallest raw value that is not an underflow: AP_SAT_SYM on a signed type also treats exactly
// min_raw as underflow (Vitis maps it to −max_raw).
inline std::int64_t lowest_kept(FixedFormat f, Overflow o) {
  return (o == Overflow::sat_sym && f.is_signed) ? -max_raw(f) : min_raw(f);
}

// Overflow handling of an exact integer result q (already on the target grid). `wrapped` is the
// wrap of the exact value, which differs from wrap_raw(q) only when q itself did not fit in int64.
inline std::int64_t apply_overflow(std::int64_t q, bool above, bool below, std::int64_t wrapped, FixedFormat f,
                                   Overflow o) {
  if (!above && !below) return q;
  switch (o) {
    case Overflow::wrap: return wrapped;
    case Overflow::sat: return above ? max_raw(f) : min_raw(f);
    case Overflow::sat_zero: return 0;
    case Overflow::sat_sym:
      if (!f.is_signed) return above ? max_raw(f) : min_raw(f);
      return above ? max_raw(f) : -max_raw(f);
  }
  return q;
}

// Rounding increment (0 or 1) to add to floor(x) given the discarded part: `rem` compared with half an
// LSB (`cmp` < 0, == 0, > 0), whether anything was discarded, the sign of x and the parity of floor(x).
inline int round_increment(Rounding r, int cmp, bool inexact, bool negative, bool floor_odd) {
  switch (r) {
    case Rounding::trn: return 0;
    case Rounding::trn_zero: return (negative && inexact) ? 1 : 0;
    case Rounding::rnd: return cmp >= 0 ? 1 : 0;
    case Rounding::rnd_zero: return (cmp > 0 || (cmp == 0 && negative)) ? 1 : 0;
    case Rounding::rnd_min_inf: return cmp > 0 ? 1 : 0;
    case Rounding::rnd_inf: return (cmp > 0 || (cmp == 0 && !negative)) ? 1 : 0;
    case Rounding::rnd_conv: return (cmp > 0 || (cmp == 0 && floor_odd)) ? 1 : 0;
  }
  return 0;
}

}  // namespace detail

// Cast an exact value raw·2^-from_frac to `to` (ap_fixed assignment: quantise, then overflow).
inline std::int64_t requantize(std::int64_t raw, int from_frac, FixedFormat to, Rounding r = Rounding::rnd,
                               Overflow o = Overflow::sat) {
  const int shift = from_frac - to.frac;
  if (shift <= 0) {
    // Widening the fraction is exact; only the range can overflow.
    const int up = -shift;
    const std::int64_t limit_hi = up >= 64 ? 0 : (std::numeric_limits<std::int64_t>::max() >> up);
    const std::int64_t limit_lo = up >= 64 ? 0 : (std::numeric_limits<std::int64_t>::min() >> up);
    const std::uint64_t wide = up >= 64 ? 0 : (static_cast<std::uint64_t>(raw) << up);  // modular
    const std::int64_t wrapped = wrap_raw(static_cast<std::int64_t>(wide), to);
    if (raw > limit_hi || raw < limit_lo) {  // the exact result does not even fit in int64
      return detail::apply_overflow(0, raw > 0, raw < 0, wrapped, to, o);
    }
    const std::int64_t q = static_cast<std::int64_t>(wide);  // exact here
    return detail::apply_overflow(q, q > max_raw(to), q < detail::lowest_kept(to, o), wrapped, to, o);
  }
  std::int64_t fl;   // floor(raw / 2^shift)
  int cmp;           // discarded part vs half an LSB
  bool inexact;
  if (shift >= 64) {
    fl = raw < 0 ? -1 : 0;
    inexact = raw != 0;
    // |raw| < 2^63 ≤ half an LSB: the discarded part is below half unless raw is exactly −2^63 at shift 64.
    const bool exact_half = shift == 64 && raw == std::numeric_limits<std::int64_t>::min();
    cmp = raw < 0 ? (exact_half ? 0 : 1) : -1;
    if (raw == 0) cmp = -1;
  } else {
    fl = raw >> shift;  // arithmetic shift: floor
    const std::uint64_t rem = static_cast<std::uint64_t>(raw) & ((std::uint64_t{1} << shift) - 1);
    const std::uint64_t half = std::uint64_t{1} << (shift - 1);
    inexact = rem != 0;
    cmp = rem < half ? -1 : (rem == half ? 0 : 1);
  }
  const std::int64_t q = fl + detail::round_increment(r, cmp, inexact, raw < 0, (fl & 1) != 0);
  return detail::apply_overflow(q, q > max_raw(to), q < detail::lowest_kept(to, o), wrap_raw(q, to), to, o);
}

// Cast a raw value of format `from` to format `to`.
inline std::int64_t requantize(std::int64_t raw, FixedFormat from, FixedFormat to, Rounding r = Rounding::rnd,
                               Overflow o = Overflow::sat) {
  return requantize(raw, from.frac, to, r, o);
}

// Quantise a real number (ap_fixed construction from double: the double is exact, then Q, then O).
// NaN maps to 0; ±inf overflow like any out-of-range value (wrap gives 0).
inline std::int64_t quantize(double x, FixedFormat f, Rounding r = Rounding::rnd, Overflow o = Overflow::sat) {
  if (std::isnan(x)) return 0;
  if (std::isinf(x)) return detail::apply_overflow(0, x > 0, x < 0, 0, f, o);
  const double y = std::ldexp(x, f.frac);  // exact (power-of-two scaling) unless it under/overflows
  const double fl = std::floor(y);
  const double rem = y - fl;               // exact: the fraction of a double is representable
  const int cmp = rem < 0.5 ? -1 : (rem == 0.5 ? 0 : 1);
  const bool odd = std::fmod(fl, 2.0) != 0.0;
  const double q = fl + detail::round_increment(r, cmp, rem != 0.0, x < 0, odd);
  const double hi = static_cast<double>(max_raw(f)), lo = static_cast<double>(detail::lowest_kept(f, o));
  if (q >= lo && q <= hi) return static_cast<std::int64_t>(q);
  // Out of range. The wrap of the exact integer q: reduce modulo 2^width exactly in double.
  std::int64_t wrapped = 0;
  if (f.width < 64) {
    const double m = std::ldexp(1.0, f.width);
    double low = std::fmod(q, m);  // exact, sign of q
    if (low < 0) low += m;         // exact: both are integers below 2^64
    wrapped = wrap_raw(static_cast<std::int64_t>(static_cast<std::uint64_t>(low)), f);
  } else if (std::fabs(q) < 0x1p63) {
    wrapped = static_cast<std::int64_t>(q);
  } else {
    const double m = 0x1p64;
    double low = std::fmod(q, m);
    if (low < 0) low += m;
    wrapped = static_cast<std::int64_t>(static_cast<std::uint64_t>(low));
  }
  return detail::apply_overflow(0, q > hi, q < lo, wrapped, f, o);
}

// Data, weights, bias and the host-side input packing: AP_RND + AP_SAT (hls.md §8).
inline std::int64_t quantize_data(double x, FixedFormat f) { return quantize(x, f, Rounding::rnd, Overflow::sat); }

// ReLU threshold on the data grid: floor + saturate, so x > t_q ⇔ x > t for every grid value x (hls.md §8).
inline std::int64_t quantize_threshold(double t, FixedFormat data) {
  return quantize(t, data, Rounding::trn, Overflow::sat);
}

// ⌈log2 n⌉ for n ≥ 1.
inline int ceil_log2(std::int64_t n) {
  int bits = 0;
  while ((std::int64_t{1} << bits) < n) ++bits;
  return bits;
}

// Accumulator of a Conv / InnerProduct with `terms` products per output, N = (C/G)·K² (hls.md §8):
// F = F_d + F_w, I = I_d + I_w + ⌈log2 N⌉ + 1 (the +1 is the bias). Capped at 48 bits by shrinking I;
// a capped accumulator saturates (AP_SAT) instead of wrapping and is no longer guaranteed bit-exact
// between dense and sparse hardware.
struct AccumulatorFormat {
  FixedFormat format;
  Overflow overflow = Overflow::wrap;  // AP_WRAP normally, AP_SAT when capped
  bool capped = false;
};
inline AccumulatorFormat accumulator_format(FixedFormat data, FixedFormat weight, std::int64_t terms) {
  const int frac = data.frac + weight.frac;
  const int integer = data.integer_bits() + weight.integer_bits() + ceil_log2(terms < 1 ? 1 : terms) + 1;
  AccumulatorFormat acc{FixedFormat{integer + frac, frac, true}, Overflow::wrap, false};
  if (acc.format.width > kMaxAccumulatorWidth) {
    acc.format.width = kMaxAccumulatorWidth;
    acc.overflow = Overflow::sat;
    acc.capped = true;
  }
  return acc;
}

// Average pooling (windowed and global) over `terms` values: the sum is exact in
// {W_d + ⌈log2 N⌉, F_d} and is multiplied by the reciprocal constant 1/N quantised (AP_RND, AP_SAT) to
// ap_ufixed<25,1> (24 fraction bits); the exact product is then cast once to the output format.
inline constexpr FixedFormat kPoolReciprocal{25, 24, false};
inline FixedFormat pool_sum_format(FixedFormat data, std::int64_t terms) {
  const int grow = ceil_log2(terms < 1 ? 1 : terms);
  return FixedFormat{data.width + grow, data.frac, true};
}
inline std::int64_t pool_reciprocal_raw(std::int64_t terms) {
  return quantize(1.0 / static_cast<double>(terms), kPoolReciprocal, Rounding::rnd, Overflow::sat);
}
// Average of `terms` values whose exact sum is `sum_raw` (at data.frac), cast to `out`.
inline std::int64_t average_raw(std::int64_t sum_raw, FixedFormat data, std::int64_t terms, FixedFormat out) {
  return requantize(sum_raw * pool_reciprocal_raw(terms), data.frac + kPoolReciprocal.frac, out, Rounding::rnd,
                    Overflow::sat);
}

}  // namespace sparsedse
