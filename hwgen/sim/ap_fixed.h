// sparsedse C-simulation shim: ap_fixed<W, I, Q, O> / ap_ufixed (hls.md §11.1).
// Our own implementation of the Vitis HLS fixed-point semantics used by the sdhls library:
//  * a value is a raw W-bit two's complement integer with F = W − I fraction bits (F may be < 0 or > W);
//  * + − * return the exact result type (Vitis RType widths, default AP_TRN / AP_WRAP);
//  * quantisation (Q) and then overflow (O) apply only on assignment / conversion, as in Vitis:
//      Q: AP_TRN floor, AP_TRN_ZERO toward 0, AP_RND ties to +inf, AP_RND_ZERO ties to 0,
//         AP_RND_MIN_INF ties to −inf, AP_RND_INF ties away from 0, AP_RND_CONV ties to even;
//      O: AP_WRAP keep the low W bits, AP_SAT clamp, AP_SAT_ZERO out of range → 0,
//         AP_SAT_SYM clamp to [−max, max] (signed, −2^(W−1) itself → −max). AP_WRAP_SM is not supported.
//  * construction from double is exact (the double is m·2^e) followed by Q and O.
// Storage is one int64 (W ≤ 64); a static_assert rejects wider results. C++14.
#ifndef SDHLS_SIM_AP_FIXED_H
#define SDHLS_SIM_AP_FIXED_H

#include "ap_int.h"

#ifndef SDHLS_SIM_AP_FIXED_BODY
#define SDHLS_SIM_AP_FIXED_BODY

enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

namespace sdhls_ap {

// Cast the exact value raw·2^-from_frac to a (W, F, S) grid with modes Q then O. Returns the raw
// result, canonical (sign- or zero-extended to 64 bits). |raw| < 2^64 is assumed.
template <int W, int F, bool S, ap_q_mode Q, ap_o_mode O>
inline std::int64_t fixed_cast(i128 raw, long from_frac) {
  static_assert(O != AP_WRAP_SM, "AP_WRAP_SM is not supported by the sparsedse shim");
  const i128 max_v = S ? ((i128(1) << (W - 1)) - 1) : ((i128(1) << W) - 1);
  // AP_SAT_SYM (signed) treats the most negative value itself as an underflow: the range is ±max.
  const i128 min_v = S ? (O == AP_SAT_SYM ? -max_v : -(i128(1) << (W - 1))) : i128(0);
  long shift = from_frac - F;
  i128 q;
  if (shift <= 0) {
    if (raw != 0 && -shift >= 64) {
      q = raw > 0 ? max_v + 1 : min_v - 1;  // certainly out of range; low W bits of the exact value are 0
      if (O == AP_WRAP) return 0;
    } else {
      q = raw * (i128(1) << -shift);
    }
  } else {
    if (shift > 100) shift = 100;  // |raw| < 2^64: floor and the tie test are unchanged beyond this
    const i128 fl = raw >> shift;  // arithmetic: floor
    const i128 rem = raw - fl * (i128(1) << shift);
    const i128 half = i128(1) << (shift - 1);
    const bool neg = raw < 0;
    bool up = false;
    switch (Q) {
      case AP_TRN: up = false; break;
      case AP_TRN_ZERO: up = neg && rem != 0; break;
      case AP_RND: up = rem >= half; break;
      case AP_RND_ZERO: up = rem > half || (rem == half && neg); break;
      case AP_RND_MIN_INF: up = rem > half; break;
      case AP_RND_INF: up = rem > half || (rem == half && !neg); break;
      case AP_RND_CONV: up = rem > half || (rem == half && (fl & 1) != 0); break;
    }
    q = fl + (up ? 1 : 0);
  }
  if (q > max_v || q < min_v) {
    switch (O) {
      case AP_SAT: q = q > max_v ? max_v : min_v; break;
      case AP_SAT_ZERO: q = 0; break;
      case AP_SAT_SYM: q = q > max_v ? max_v : (S ? -max_v : min_v); break;
      default: {  // AP_WRAP: low W bits of the exact value
        const u128 low = (u128)q & ((((u128)1) << W) - 1);
        q = (i128)low;
        if (S && ((low >> (W - 1)) & 1)) q -= (i128(1) << W);
      }
    }
  }
  return (std::int64_t)q;
}

template <int W1, int I1, bool S1, int W2, int I2, bool S2>
struct frtype {
  static const int F1 = W1 - I1, F2 = W2 - I2;
  static const int plus_f = imax(F1, F2);
  static const int plus_i = imax(I1 + (S2 && !S1), I2 + (S1 && !S2)) + 1;
  static const bool plus_s = S1 || S2;
  static const int mult_w = W1 + W2, mult_i = I1 + I2;
  static const bool mult_s = S1 || S2;
  static const int cmp_f = plus_f;
};

}  // namespace sdhls_ap

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
class ap_fixed_base {
  static_assert(W >= 1 && W <= 64, "the sparsedse shim supports ap_fixed widths 1..64");
  static_assert(N == 0, "saturation bits (AP_WRAP_SM) are not supported");

 public:
  static const int width = W;
  static const int iwidth = I;
  static const ap_q_mode qmode = Q;
  static const ap_o_mode omode = O;
  static const bool sign_flag = S;
  static const int fbits = W - I;

  ap_fixed_base() : raw_(0) {}
  ap_fixed_base(const ap_fixed_base&) = default;
  ap_fixed_base& operator=(const ap_fixed_base&) = default;

  template <int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2>
  ap_fixed_base(const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& o)
      : raw_(cast(o.raw(), W2 - I2)) {}
  template <class T, sdhls_ap::enable_c_int<T> = 0>
  ap_fixed_base(T v) : raw_(cast(sdhls_ap::i128(v), 0)) {}
  template <int W2, bool S2>
  ap_fixed_base(const ap_int_base<W2, S2>& v)
      : raw_(cast(S2 ? sdhls_ap::i128(v.to_int64()) : sdhls_ap::i128(v.to_uint64()), 0)) {
    static_assert(W2 <= 64, "conversion from ap_int wider than 64 bits is not supported");
  }
  ap_fixed_base(double d) : raw_(from_double(d)) {}
  ap_fixed_base(float f) : raw_(from_double(double(f))) {}

  // Shim extension (not Vitis API; tests and testbenches only): raw two's complement bits.
  std::int64_t raw() const { return raw_; }
  static ap_fixed_base from_raw(std::int64_t r) {
    ap_fixed_base x;
    x.set_raw(r);
    return x;
  }

  double to_double() const { return std::ldexp(double(raw_), -fbits); }
  float to_float() const { return float(to_double()); }
  // Integer part, truncated toward zero (C semantics, as Vitis to_int()).
  long long to_int64() const {
    if (fbits <= 0) return (long long)(sdhls_ap::i128(raw_) * (sdhls_ap::i128(1) << -fbits));
    const sdhls_ap::i128 d = sdhls_ap::i128(1) << (fbits > 100 ? 100 : fbits);
    return (long long)(sdhls_ap::i128(raw_) / d);
  }
  int to_int() const { return int(to_int64()); }
  bool is_neg() const { return raw_ < 0; }
  bool iszero() const { return raw_ == 0; }
  int length() const { return W; }

  // Raw bit access (Vitis: range() of an ap_fixed works on the underlying W bits).
  ap_int_base<W, false> get_bits() const { return ap_int_base<W, false>(raw_); }
  void set_bits(const ap_int_base<W, false>& b) { set_raw(std::int64_t(b.to_uint64())); }
  ap_range_ref<ap_fixed_base, W> range(int hi, int lo) const {
    return ap_range_ref<ap_fixed_base, W>(const_cast<ap_fixed_base*>(this), hi, lo);
  }
  ap_range_ref<ap_fixed_base, W> range() const { return range(W - 1, 0); }
  ap_bit_ref<ap_fixed_base, W> operator[](int i) const {
    return ap_bit_ref<ap_fixed_base, W>(const_cast<ap_fixed_base*>(this), i);
  }

  ap_fixed_base<W + 1, I + 1, true, AP_TRN, AP_WRAP, 0> operator-() const {
    return ap_fixed_base<W + 1, I + 1, true, AP_TRN, AP_WRAP, 0>::from_raw(-raw_);
  }
  const ap_fixed_base& operator+() const { return *this; }
  bool operator!() const { return raw_ == 0; }

  template <class T>
  ap_fixed_base& operator+=(const T& b) { return *this = *this + b; }
  template <class T>
  ap_fixed_base& operator-=(const T& b) { return *this = *this - b; }
  template <class T>
  ap_fixed_base& operator*=(const T& b) { return *this = *this * b; }
  ap_fixed_base& operator++() { return *this += 1; }
  ap_fixed_base& operator--() { return *this -= 1; }

  void set_raw(std::int64_t r) {
    if (W < 64) {
      const std::uint64_t mask = (std::uint64_t(1) << (W % 64)) - 1;
      std::uint64_t u = std::uint64_t(r) & mask;
      if (S && ((u >> (W - 1)) & 1)) u |= ~mask;
      r = std::int64_t(u);
    }
    raw_ = r;
  }

 private:
  static std::int64_t cast(sdhls_ap::i128 raw, long from_frac) {
    return sdhls_ap::fixed_cast<W, W - I, S, Q, O>(raw, from_frac);
  }
  static std::int64_t from_double(double d) {
    if (std::isnan(d)) return 0;
    if (std::isinf(d)) return cast(d > 0 ? sdhls_ap::i128(1) : sdhls_ap::i128(-1), -2000);
    if (d == 0) return 0;
    int e = 0;
    const double m = std::frexp(d, &e);  // d = m·2^e, 0.5 ≤ |m| < 1
    const long long mant = (long long)std::ldexp(m, 53);  // exact 53-bit integer
    return cast(sdhls_ap::i128(mant), long(53 - e));
  }
  std::int64_t raw_;
};

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
class ap_fixed : public ap_fixed_base<W, I, true, Q, O, N> {
 public:
  typedef ap_fixed_base<W, I, true, Q, O, N> Base;
  using Base::Base;
  ap_fixed() = default;
  ap_fixed(const Base& b) : Base(b) {}
};

template <int W, int I, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP, int N = 0>
class ap_ufixed : public ap_fixed_base<W, I, false, Q, O, N> {
 public:
  typedef ap_fixed_base<W, I, false, Q, O, N> Base;
  using Base::Base;
  ap_ufixed() = default;
  ap_ufixed(const Base& b) : Base(b) {}
};

// --- exact arithmetic ----------------------------------------------------------------------------
template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
inline ap_fixed_base<sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_i + sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_f,
                     sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_i, sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_s,
                     AP_TRN, AP_WRAP, 0>
operator+(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  typedef sdhls_ap::frtype<W1, I1, S1, W2, I2, S2> T;
  typedef ap_fixed_base<T::plus_i + T::plus_f, T::plus_i, T::plus_s, AP_TRN, AP_WRAP, 0> R;
  // Align by multiplying: a left shift of a negative value is undefined in C++14 (the Vitis dialect).
  const sdhls_ap::i128 x = sdhls_ap::i128(a.raw()) * (sdhls_ap::i128(1) << (T::plus_f - T::F1));
  const sdhls_ap::i128 y = sdhls_ap::i128(b.raw()) * (sdhls_ap::i128(1) << (T::plus_f - T::F2));
  return R::from_raw(std::int64_t(x + y));
}

template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
inline ap_fixed_base<sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_i + sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_f,
                     sdhls_ap::frtype<W1, I1, S1, W2, I2, S2>::plus_i, true, AP_TRN, AP_WRAP, 0>
operator-(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  typedef sdhls_ap::frtype<W1, I1, S1, W2, I2, S2> T;
  typedef ap_fixed_base<T::plus_i + T::plus_f, T::plus_i, true, AP_TRN, AP_WRAP, 0> R;
  const sdhls_ap::i128 x = sdhls_ap::i128(a.raw()) * (sdhls_ap::i128(1) << (T::plus_f - T::F1));
  const sdhls_ap::i128 y = sdhls_ap::i128(b.raw()) * (sdhls_ap::i128(1) << (T::plus_f - T::F2));
  return R::from_raw(std::int64_t(x - y));
}

template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
inline ap_fixed_base<W1 + W2, I1 + I2, S1 || S2, AP_TRN, AP_WRAP, 0> operator*(
    const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a, const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  typedef ap_fixed_base<W1 + W2, I1 + I2, S1 || S2, AP_TRN, AP_WRAP, 0> R;
  return R::from_raw(std::int64_t(sdhls_ap::i128(a.raw()) * b.raw()));
}

// Mixed with C integers (an int is ap_fixed<32,32>) and with ap_int (ap_fixed<W,W>).
template <class T>
struct sdhls_fixed_of {
  typedef ap_fixed_base<sdhls_ap::c_int<T>::width, sdhls_ap::c_int<T>::width, sdhls_ap::c_int<T>::sign, AP_TRN,
                        AP_WRAP, 0>
      type;
};
#define SDHLS_FIXED_MIXED(OP)                                                                           \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, class T, sdhls_ap::enable_c_int<T> = 0> \
  inline auto operator OP(const ap_fixed_base<W, I, S, Q, O, N>& a, T b)                                \
      ->decltype(a OP typename sdhls_fixed_of<T>::type(b)) {                                            \
    return a OP typename sdhls_fixed_of<T>::type(b);                                                    \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, class T, sdhls_ap::enable_c_int<T> = 0> \
  inline auto operator OP(T a, const ap_fixed_base<W, I, S, Q, O, N>& b)                                \
      ->decltype(typename sdhls_fixed_of<T>::type(a) OP b) {                                            \
    return typename sdhls_fixed_of<T>::type(a) OP b;                                                    \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, int W2, bool S2>                     \
  inline auto operator OP(const ap_fixed_base<W, I, S, Q, O, N>& a, const ap_int_base<W2, S2>& b)       \
      ->decltype(a OP ap_fixed_base<W2, W2, S2, AP_TRN, AP_WRAP, 0>(b)) {                               \
    return a OP ap_fixed_base<W2, W2, S2, AP_TRN, AP_WRAP, 0>(b);                                       \
  }
SDHLS_FIXED_MIXED(+)
SDHLS_FIXED_MIXED(-)
SDHLS_FIXED_MIXED(*)
#undef SDHLS_FIXED_MIXED

// --- comparisons: exact between fixed types and with integers; with double via to_double() ---------
template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2,
          ap_o_mode O2, int N2>
inline int sdhls_fixed_compare(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a,
                               const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {
  const int F1 = W1 - I1, F2 = W2 - I2, F = F1 > F2 ? F1 : F2;
  const sdhls_ap::i128 x = sdhls_ap::i128(a.raw()) * (sdhls_ap::i128(1) << (F - F1));
  const sdhls_ap::i128 y = sdhls_ap::i128(b.raw()) * (sdhls_ap::i128(1) << (F - F2));
  return x < y ? -1 : (x > y ? 1 : 0);
}
#define SDHLS_FIXED_CMP(OP)                                                                             \
  template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2,       \
            ap_q_mode Q2, ap_o_mode O2, int N2>                                                         \
  inline bool operator OP(const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a,                               \
                          const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b) {                             \
    return sdhls_fixed_compare(a, b) OP 0;                                                              \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, class T, sdhls_ap::enable_c_int<T> = 0> \
  inline bool operator OP(const ap_fixed_base<W, I, S, Q, O, N>& a, T b) {                              \
    return sdhls_fixed_compare(a, typename sdhls_fixed_of<T>::type(b)) OP 0;                            \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N, class T, sdhls_ap::enable_c_int<T> = 0> \
  inline bool operator OP(T a, const ap_fixed_base<W, I, S, Q, O, N>& b) {                              \
    return sdhls_fixed_compare(typename sdhls_fixed_of<T>::type(a), b) OP 0;                            \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                                      \
  inline bool operator OP(const ap_fixed_base<W, I, S, Q, O, N>& a, double b) {                         \
    return a.to_double() OP b;                                                                          \
  }                                                                                                     \
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>                                      \
  inline bool operator OP(double a, const ap_fixed_base<W, I, S, Q, O, N>& b) {                         \
    return a OP b.to_double();                                                                          \
  }
SDHLS_FIXED_CMP(==)
SDHLS_FIXED_CMP(!=)
SDHLS_FIXED_CMP(<)
SDHLS_FIXED_CMP(<=)
SDHLS_FIXED_CMP(>)
SDHLS_FIXED_CMP(>=)
#undef SDHLS_FIXED_CMP

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
std::ostream& operator<<(std::ostream& os, const ap_fixed_base<W, I, S, Q, O, N>& v) {
  return os << v.to_double();
}

#endif  // SDHLS_SIM_AP_FIXED_BODY
#endif  // SDHLS_SIM_AP_FIXED_H
