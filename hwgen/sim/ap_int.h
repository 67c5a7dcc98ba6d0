// sparsedse C-simulation shim: arbitrary-width integers ap_int<W> / ap_uint<W> (hls.md §11.1).
// Our own implementation of the subset of the Vitis HLS ap_int API that the sdhls library and the
// generated testbenches use: construction, range()/operator[] get and set, the Vitis result-width rules
// for + − * & | ^, shifts (result keeps the operand's type), comparisons and conversions.
// Storage: ceil(W/64) 64-bit words, least significant first; bits above W in the top word always hold the
// sign (ap_int) or zero (ap_uint), so every value has one canonical representation. C++14.
#ifndef SDHLS_SIM_AP_INT_H
#define SDHLS_SIM_AP_INT_H

#include <cmath>
#include <cstdint>
#include <ostream>
#include <type_traits>

template <int W, bool S>
class ap_int_base;
template <int W>
class ap_int;
template <int W>
class ap_uint;

namespace sdhls_ap {

// 128-bit helpers (a GNU extension of g++ and clang; the shim is never synthesised).
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

constexpr int imax(int a, int b) { return a > b ? a : b; }
constexpr int imin(int a, int b) { return a < b ? a : b; }
constexpr int words(int w) { return (w + 63) / 64; }

// Width and signedness of the C integer types when they meet an ap type (Vitis: int is ap_int<32>, ...).
template <class I>
struct c_int {
  static const int width = std::is_same<I, bool>::value ? 1 : int(8 * sizeof(I));
  static const bool sign = std::is_signed<I>::value && !std::is_same<I, bool>::value;
};
template <class I>
using enable_c_int = typename std::enable_if<std::is_integral<I>::value, int>::type;

// Result types of binary operators (Vitis rules; an unsigned operand meeting a signed one gets one bit more).
template <int W1, bool S1, int W2, bool S2>
struct rtype {
  static const int logic_w = imax(W1 + (S2 && !S1), W2 + (S1 && !S2));
  static const bool logic_s = S1 || S2;
  typedef ap_int_base<logic_w + 1, logic_s> plus;
  typedef ap_int_base<logic_w + 1, true> minus;
  typedef ap_int_base<W1 + W2, S1 || S2> mult;
  typedef ap_int_base<logic_w, logic_s> logic;
  typedef ap_int_base<logic_w + 1, true> cmp;  // holds both operands exactly
};

// Multi-word helpers on N little-endian words (two's complement modulo 2^(64N)).
struct wops {
  static void add(std::uint64_t* r, const std::uint64_t* a, const std::uint64_t* b, int n) {
    std::uint64_t carry = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t s = a[i] + carry;
      const std::uint64_t c1 = s < carry;
      r[i] = s + b[i];
      carry = c1 + (r[i] < s);
    }
  }
  static void sub(std::uint64_t* r, const std::uint64_t* a, const std::uint64_t* b, int n) {
    std::uint64_t borrow = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t d = a[i] - b[i];
      const std::uint64_t b1 = a[i] < b[i];
      r[i] = d - borrow;
      borrow = b1 + (d < borrow);
    }
  }
  static void mul(std::uint64_t* r, const std::uint64_t* a, const std::uint64_t* b, int n) {
    for (int i = 0; i < n; ++i) r[i] = 0;
    for (int i = 0; i < n; ++i) {
      u128 carry = 0;
      for (int j = 0; i + j < n; ++j) {
        const u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
        r[i + j] = (std::uint64_t)t;
        carry = t >> 64;
      }
    }
  }
  // Logical shift left by s bits (0 ≤ s), modulo 2^(64n).
  static void shl(std::uint64_t* r, const std::uint64_t* a, long s, int n) {
    const long ws = s / 64, bs = s % 64;
    for (int i = n - 1; i >= 0; --i) {
      const long src = i - ws;
      std::uint64_t v = 0;
      if (src >= 0) {
        v = a[src] << bs;
        if (bs && src >= 1) v |= a[src - 1] >> (64 - bs);
      }
      r[i] = v;
    }
  }
  // Shift right by s bits, filling with `fill` (0 or all ones).
  static void shr(std::uint64_t* r, const std::uint64_t* a, long s, int n, std::uint64_t fill) {
    const long ws = s / 64, bs = s % 64;
    for (int i = 0; i < n; ++i) {
      const long src = i + ws;
      const std::uint64_t lo = src < n ? a[src] : fill;
      const std::uint64_t hi = src + 1 < n ? a[src + 1] : fill;
      r[i] = bs ? ((lo >> bs) | (hi << (64 - bs))) : lo;
    }
  }
};

}  // namespace sdhls_ap

// Proxy for x.range(hi, lo) of any owner that exposes get_bits()/set_bits() as ap_int_base<W, false>.
template <class Owner, int W>
class ap_range_ref {
 public:
  ap_range_ref(Owner* owner, int hi, int lo) : owner_(owner), hi_(hi), lo_(lo) {}
  ap_range_ref(const ap_range_ref&) = default;
  int length() const { return hi_ - lo_ + 1; }
  ap_int_base<W, false> get() const;
  template <class T>
  ap_range_ref& operator=(const T& v) {
    set(ap_int_base<W, false>(v));
    return *this;
  }
  ap_range_ref& operator=(const ap_range_ref& o) {
    set(o.get());
    return *this;
  }
  operator ap_int_base<W, false>() const { return get(); }
  std::uint64_t to_uint64() const;
  unsigned to_uint() const { return (unsigned)to_uint64(); }
  int to_int() const { return (int)to_uint64(); }

 private:
  void set(const ap_int_base<W, false>& v);
  Owner* owner_;
  int hi_, lo_;
};

// Proxy for x[i].
template <class Owner, int W>
class ap_bit_ref {
 public:
  ap_bit_ref(Owner* owner, int index) : owner_(owner), index_(index) {}
  ap_bit_ref(const ap_bit_ref&) = default;
  operator bool() const { return owner_->get_bits().test(index_); }
  ap_bit_ref& operator=(bool b) {
    ap_int_base<W, false> bits = owner_->get_bits();
    bits.set_bit(index_, b);
    owner_->set_bits(bits);
    return *this;
  }
  ap_bit_ref& operator=(const ap_bit_ref& o) { return *this = bool(o); }
  bool to_bool() const { return bool(*this); }

 private:
  Owner* owner_;
  int index_;
};

struct ap_no_conversion {};

template <int W, bool S>
class ap_int_base {
  static_assert(W >= 1, "ap_int width must be at least 1");

 public:
  static const int width = W;
  static const bool sign_flag = S;
  static const int N = sdhls_ap::words(W);
  std::uint64_t w_[N];

  ap_int_base() {
    for (int i = 0; i < N; ++i) w_[i] = 0;
  }
  ap_int_base(const ap_int_base&) = default;
  ap_int_base& operator=(const ap_int_base&) = default;

  template <int W2, bool S2>
  ap_int_base(const ap_int_base<W2, S2>& o) {
    const std::uint64_t fill = (S2 && (o.w_[o.N - 1] >> 63)) ? ~std::uint64_t(0) : 0;
    for (int i = 0; i < N; ++i) w_[i] = i < o.N ? o.w_[i] : fill;
    normalize();
  }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base(I v) {
    const bool neg = sdhls_ap::c_int<I>::sign && v < 0;
    w_[0] = (std::uint64_t)v;
    for (int i = 1; i < N; ++i) w_[i] = neg ? ~std::uint64_t(0) : 0;
    normalize();
  }
  // From a real number: truncation toward zero, then wrap to W bits (as Vitis).
  ap_int_base(double d) {
    for (int i = 0; i < N; ++i) w_[i] = 0;
    if (!std::isfinite(d)) return;
    double m = std::trunc(std::fabs(d));
    for (int i = 0; i < N && m > 0; ++i) {
      const double low = std::fmod(m, 18446744073709551616.0);
      w_[i] = (std::uint64_t)low;
      m = (m - low) / 18446744073709551616.0;
    }
    if (d < 0) negate_in_place();
    normalize();
  }
  ap_int_base(float f) : ap_int_base(double(f)) {}
  template <class O, int W2>
  ap_int_base(const ap_range_ref<O, W2>& r) : ap_int_base(r.get()) {}
  template <class O, int W2>
  ap_int_base(const ap_bit_ref<O, W2>& b) : ap_int_base(int(bool(b))) {}

  // --- bit access -------------------------------------------------------------------------------
  bool test(int i) const { return (w_[i / 64] >> (i % 64)) & 1; }
  void set_bit(int i, bool b) {
    const std::uint64_t m = std::uint64_t(1) << (i % 64);
    w_[i / 64] = b ? (w_[i / 64] | m) : (w_[i / 64] & ~m);
    normalize();
  }
  ap_int_base<W, false> get_bits() const { return ap_int_base<W, false>(*this); }
  void set_bits(const ap_int_base<W, false>& v) { *this = ap_int_base(v); }

  ap_range_ref<ap_int_base, W> range(int hi, int lo) const {
    return ap_range_ref<ap_int_base, W>(const_cast<ap_int_base*>(this), hi, lo);
  }
  ap_range_ref<ap_int_base, W> range() const { return range(W - 1, 0); }
  ap_range_ref<ap_int_base, W> operator()(int hi, int lo) const { return range(hi, lo); }
  ap_bit_ref<ap_int_base, W> operator[](int i) const {
    return ap_bit_ref<ap_int_base, W>(const_cast<ap_int_base*>(this), i);
  }
  template <int W2, bool S2>
  ap_bit_ref<ap_int_base, W> operator[](const ap_int_base<W2, S2>& i) const {
    return (*this)[int(i.to_int64())];
  }

  bool is_neg() const { return S && (w_[N - 1] >> 63); }
  bool iszero() const {
    for (int i = 0; i < N; ++i)
      if (w_[i]) return false;
    return true;
  }
  bool or_reduce() const { return !iszero(); }
  bool and_reduce() const { return ap_int_base<W, false>(*this) == ap_int_base<W, false>(-1); }
  bool xor_reduce() const {
    const ap_int_base<W, false> u(*this);
    int c = 0;
    for (int i = 0; i < N; ++i) c += __builtin_popcountll(u.w_[i]);
    return c & 1;
  }
  int length() const { return W; }

  // --- conversions ------------------------------------------------------------------------------
  std::int64_t to_int64() const { return (std::int64_t)w_[0]; }
  std::uint64_t to_uint64() const { return w_[0]; }
  long long to_long() const { return (long long)w_[0]; }
  unsigned long long to_ulong() const { return w_[0]; }
  int to_int() const { return (int)w_[0]; }
  unsigned to_uint() const { return (unsigned)w_[0]; }
  bool to_bool() const { return !iszero(); }
  double to_double() const {
    if (is_neg()) {
      ap_int_base<W + 1, true> m(*this);
      m.negate_in_place();
      return -m.magnitude_to_double();
    }
    return magnitude_to_double();
  }
  // Implicit conversion to a C integer, as Vitis offers for W ≤ 64.
  typedef typename std::conditional<(W <= 64), typename std::conditional<S, long long, unsigned long long>::type,
                                    ap_no_conversion>::type c_type;
  operator c_type() const { return c_type(w_[0]); }

  // --- arithmetic in place at this width (modulo 2^W) ---------------------------------------------
  void negate_in_place() {
    for (int i = 0; i < N; ++i) w_[i] = ~w_[i];
    std::uint64_t one[N] = {1};
    sdhls_ap::wops::add(w_, w_, one, N);
    normalize();
  }
  template <int W2, bool S2>
  ap_int_base& operator+=(const ap_int_base<W2, S2>& b) { return *this = *this + b; }
  template <int W2, bool S2>
  ap_int_base& operator-=(const ap_int_base<W2, S2>& b) { return *this = *this - b; }
  template <int W2, bool S2>
  ap_int_base& operator*=(const ap_int_base<W2, S2>& b) { return *this = *this * b; }
  template <int W2, bool S2>
  ap_int_base& operator&=(const ap_int_base<W2, S2>& b) { return *this = *this & b; }
  template <int W2, bool S2>
  ap_int_base& operator|=(const ap_int_base<W2, S2>& b) { return *this = *this | b; }
  template <int W2, bool S2>
  ap_int_base& operator^=(const ap_int_base<W2, S2>& b) { return *this = *this ^ b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator+=(I b) { return *this = *this + b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator-=(I b) { return *this = *this - b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator*=(I b) { return *this = *this * b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator&=(I b) { return *this = *this & b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator|=(I b) { return *this = *this | b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator^=(I b) { return *this = *this ^ b; }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator<<=(I s) { return *this = shift_left(long(s)); }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base& operator>>=(I s) { return *this = shift_right(long(s)); }
  ap_int_base& operator++() { return *this += 1; }
  ap_int_base& operator--() { return *this -= 1; }
  ap_int_base operator++(int) {
    ap_int_base old(*this);
    *this += 1;
    return old;
  }
  ap_int_base operator--(int) {
    ap_int_base old(*this);
    *this -= 1;
    return old;
  }

  // Shifts keep the type (Vitis); a negative amount shifts the other way.
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base operator<<(I s) const { return shift_left(long(s)); }
  template <class I, sdhls_ap::enable_c_int<I> = 0>
  ap_int_base operator>>(I s) const { return shift_right(long(s)); }
  ap_int_base shift_left(long s) const {
    if (s < 0) return shift_right(-s);
    ap_int_base r;
    if (s < 64L * N) sdhls_ap::wops::shl(r.w_, w_, s, N);
    r.normalize();
    return r;
  }
  ap_int_base shift_right(long s) const {
    if (s < 0) return shift_left(-s);
    ap_int_base r;
    const std::uint64_t fill = is_neg() ? ~std::uint64_t(0) : 0;
    if (s >= 64L * N) {
      for (int i = 0; i < N; ++i) r.w_[i] = fill;
    } else {
      sdhls_ap::wops::shr(r.w_, w_, s, N, fill);
    }
    r.normalize();
    return r;
  }
  template <int W2, bool S2>
  ap_int_base operator<<(const ap_int_base<W2, S2>& s) const { return shift_left(long(s.to_int64())); }
  template <int W2, bool S2>
  ap_int_base operator>>(const ap_int_base<W2, S2>& s) const { return shift_right(long(s.to_int64())); }

  ap_int_base operator~() const {
    ap_int_base r;
    for (int i = 0; i < N; ++i) r.w_[i] = ~w_[i];
    r.normalize();
    return r;
  }
  ap_int_base<W + 1, true> operator-() const {
    ap_int_base<W + 1, true> r(*this);
    r.negate_in_place();
    return r;
  }
  const ap_int_base& operator+() const { return *this; }
  bool operator!() const { return iszero(); }

  // Sign of (this − o) for a value of the same width and signedness.
  int compare_same(const ap_int_base& o) const {
    const bool na = is_neg(), nb = o.is_neg();
    if (na != nb) return na ? -1 : 1;
    for (int i = N - 1; i >= 0; --i)
      if (w_[i] != o.w_[i]) return w_[i] < o.w_[i] ? -1 : 1;
    return 0;
  }

  void normalize() {
    const int top = W - 64 * (N - 1);  // bits used in the top word, 1..64
    if (top < 64) {
      const std::uint64_t mask = (std::uint64_t(1) << top) - 1;
      if (S && ((w_[N - 1] >> (top - 1)) & 1)) {
        w_[N - 1] |= ~mask;
      } else {
        w_[N - 1] &= mask;
      }
    }
  }

  double magnitude_to_double() const {
    double r = 0;
    for (int i = N - 1; i >= 0; --i) r = r * 18446744073709551616.0 + double(w_[i]);
    return r;
  }
};

template <int W>
class ap_int : public ap_int_base<W, true> {
 public:
  using ap_int_base<W, true>::ap_int_base;
  ap_int() = default;
  ap_int(const ap_int_base<W, true>& b) : ap_int_base<W, true>(b) {}
};

template <int W>
class ap_uint : public ap_int_base<W, false> {
 public:
  using ap_int_base<W, false>::ap_int_base;
  ap_uint() = default;
  ap_uint(const ap_int_base<W, false>& b) : ap_int_base<W, false>(b) {}
};

template <class Owner, int W>
ap_int_base<W, false> ap_range_ref<Owner, W>::get() const {
  const ap_int_base<W, false> bits = owner_->get_bits();
  const int len = hi_ - lo_ + 1;
  ap_int_base<W, false> mask(-1);
  mask = ~(mask << long(len));
  return (bits >> long(lo_)) & mask;
}
template <class Owner, int W>
std::uint64_t ap_range_ref<Owner, W>::to_uint64() const {
  return get().to_uint64();
}
template <class Owner, int W>
void ap_range_ref<Owner, W>::set(const ap_int_base<W, false>& v) {
  const int len = hi_ - lo_ + 1;
  ap_int_base<W, false> field(-1);
  field = ~(field << long(len));
  const ap_int_base<W, false> mask = field << long(lo_);
  const ap_int_base<W, false> bits = owner_->get_bits();
  owner_->set_bits((bits & ~mask) | ((v & field) << long(lo_)));
}

// --- binary operators --------------------------------------------------------------------------------
// Both operands are converted to the exact result type, then combined modulo 2^width.
#define SDHLS_AP_ARITH(OP, KIND, FN)                                                                  \
  template <int W1, bool S1, int W2, bool S2>                                                          \
  inline typename sdhls_ap::rtype<W1, S1, W2, S2>::KIND operator OP(const ap_int_base<W1, S1>& a,       \
                                                                    const ap_int_base<W2, S2>& b) {    \
    typedef typename sdhls_ap::rtype<W1, S1, W2, S2>::KIND R;                                          \
    const R x(a), y(b);                                                                                \
    R r;                                                                                               \
    FN;                                                                                                \
    r.normalize();                                                                                     \
    return r;                                                                                          \
  }                                                                                                    \
  template <int W1, bool S1, class I, sdhls_ap::enable_c_int<I> = 0>                                   \
  inline typename sdhls_ap::rtype<W1, S1, sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign>::KIND   \
  operator OP(const ap_int_base<W1, S1>& a, I b) {                                                     \
    return a OP ap_int_base<sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign>(b);                   \
  }                                                                                                    \
  template <int W2, bool S2, class I, sdhls_ap::enable_c_int<I> = 0>                                   \
  inline typename sdhls_ap::rtype<sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign, W2, S2>::KIND   \
  operator OP(I a, const ap_int_base<W2, S2>& b) {                                                     \
    return ap_int_base<sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign>(a) OP b;                   \
  }

SDHLS_AP_ARITH(+, plus, sdhls_ap::wops::add(r.w_, x.w_, y.w_, R::N))
SDHLS_AP_ARITH(-, minus, sdhls_ap::wops::sub(r.w_, x.w_, y.w_, R::N))
SDHLS_AP_ARITH(*, mult, sdhls_ap::wops::mul(r.w_, x.w_, y.w_, R::N))
SDHLS_AP_ARITH(&, logic, for (int i = 0; i < R::N; ++i) r.w_[i] = x.w_[i] & y.w_[i])
SDHLS_AP_ARITH(|, logic, for (int i = 0; i < R::N; ++i) r.w_[i] = x.w_[i] | y.w_[i])
SDHLS_AP_ARITH(^, logic, for (int i = 0; i < R::N; ++i) r.w_[i] = x.w_[i] ^ y.w_[i])
#undef SDHLS_AP_ARITH

// Comparisons are exact across widths and signedness.
#define SDHLS_AP_CMP(OP)                                                                               \
  template <int W1, bool S1, int W2, bool S2>                                                          \
  inline bool operator OP(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {                \
    typedef typename sdhls_ap::rtype<W1, S1, W2, S2>::cmp R;                                           \
    return R(a).compare_same(R(b)) OP 0;                                                               \
  }                                                                                                    \
  template <int W1, bool S1, class I, sdhls_ap::enable_c_int<I> = 0>                                   \
  inline bool operator OP(const ap_int_base<W1, S1>& a, I b) {                                         \
    return a OP ap_int_base<sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign>(b);                   \
  }                                                                                                    \
  template <int W2, bool S2, class I, sdhls_ap::enable_c_int<I> = 0>                                   \
  inline bool operator OP(I a, const ap_int_base<W2, S2>& b) {                                         \
    return ap_int_base<sdhls_ap::c_int<I>::width, sdhls_ap::c_int<I>::sign>(a) OP b;                   \
  }
SDHLS_AP_CMP(==)
SDHLS_AP_CMP(!=)
SDHLS_AP_CMP(<)
SDHLS_AP_CMP(<=)
SDHLS_AP_CMP(>)
SDHLS_AP_CMP(>=)
#undef SDHLS_AP_CMP

template <int W, bool S>
std::ostream& operator<<(std::ostream& os, const ap_int_base<W, S>& v) {
  if (W <= 64) {
    if (S) return os << (long long)v.to_int64();
    return os << (unsigned long long)v.to_uint64();
  }
  static const char* digits = "0123456789abcdef";
  os << "0x";
  const ap_int_base<W, false> u(v);
  bool started = false;
  for (int i = (W + 3) / 4 - 1; i >= 0; --i) {
    const int d = int(((u >> long(4 * i)).to_uint64()) & 15);
    if (d || started || i == 0) {
      os << digits[d];
      started = true;
    }
  }
  return os;
}

#include "ap_fixed.h"

#endif  // SDHLS_SIM_AP_INT_H
