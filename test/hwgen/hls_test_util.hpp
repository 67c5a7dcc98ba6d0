#pragma once
// Shared helpers of the sdhls module testbenches: raw-integer tensors, stream fill/drain, and direct
// references in plain C++ loops on the fixed-point contract (docs/fixed-point.md).
#include <cstdint>
#include <random>
#include <vector>

#include "sdhls/sdhls.hpp"
#include "sparsedse/common/fixed_point.hpp"

namespace hwtest {

typedef ap_fixed<16, 8, AP_RND, AP_SAT> data_t;
typedef ap_fixed<16, 8> weight_t;
const sparsedse::FixedFormat kData{16, 8, true};

template <class T>
T from_raw(std::int64_t r) {
  return T(T::Base::from_raw(r));
}

// A feature map of raw values, HWC (channels fastest).
struct Tensor {
  int rows = 0, cols = 0, channels = 0;
  std::vector<std::int64_t> raw;
  Tensor() = default;
  Tensor(int r, int c, int ch) : rows(r), cols(c), channels(ch), raw(std::size_t(r) * c * ch, 0) {}
  std::int64_t& at(int r, int c, int ch) { return raw[(std::size_t(r) * cols + c) * channels + ch]; }
  std::int64_t at(int r, int c, int ch) const { return raw[(std::size_t(r) * cols + c) * channels + ch]; }
};

// Random raw values in [lo, hi]; a value is zero with probability `zeros`.
inline Tensor random_tensor(int rows, int cols, int channels, std::mt19937_64& rng, double zeros = 0.0,
                            std::int64_t lo = -32768, std::int64_t hi = 32767) {
  Tensor t(rows, cols, channels);
  std::uniform_int_distribution<std::int64_t> v(lo, hi);
  std::bernoulli_distribution z(zeros);
  for (auto& x : t.raw) x = z(rng) ? 0 : v(rng);
  return t;
}

// Channel c on stream c mod S, each stream in (row, col, c div S) order (hls.md §3.1).
template <class T, int D, std::size_t S>
void push(const Tensor& t, hls::stream<T, D> (&s)[S]) {
  for (int r = 0; r < t.rows; ++r)
    for (int c = 0; c < t.cols; ++c)
      for (int ch = 0; ch < t.channels; ++ch) s[std::size_t(ch) % S].write(from_raw<T>(t.at(r, c, ch)));
}
template <class T, int D, std::size_t S>
Tensor pop(hls::stream<T, D> (&s)[S], int rows, int cols, int channels) {
  Tensor t(rows, cols, channels);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      for (int ch = 0; ch < channels; ++ch) t.at(r, c, ch) = s[std::size_t(ch) % S].read().raw();
  return t;
}
template <class T, int D, std::size_t S>
bool all_empty(hls::stream<T, D> (&s)[S]) {
  for (std::size_t i = 0; i < S; ++i)
    if (!s[i].empty()) return false;
  return true;
}

struct Geometry {
  int kr = 3, kc = 3, sr = 1, sc = 1, pt = 0, pb = 0, pl = 0, pr = 0;
  int out_rows(int h) const { return (h + pt + pb - kr) / sr + 1; }
  int out_cols(int w) const { return (w + pl + pr - kc) / sc + 1; }
};

// Input value at padded position (pr, pc) of channel ch: zero in the padding.
inline std::int64_t padded(const Tensor& in, const Geometry& g, int pr, int pc, int ch) {
  const int r = pr - g.pt, c = pc - g.pl;
  if (r < 0 || r >= in.rows || c < 0 || c >= in.cols) return 0;
  return in.at(r, c, ch);
}

// Convolution reference (G = 1): w[f][c][k] raw at wfmt, bias raw at the accumulator format.
inline Tensor conv_reference(const Tensor& in, sparsedse::FixedFormat in_fmt, const std::vector<std::int64_t>& w,
                             sparsedse::FixedFormat wfmt, const std::vector<std::int64_t>& bias, int filters,
                             const Geometry& g, sparsedse::FixedFormat out_fmt) {
  const int ho = g.out_rows(in.rows), wo = g.out_cols(in.cols), k2 = g.kr * g.kc;
  Tensor out(ho, wo, filters);
  const int acc_frac = in_fmt.frac + wfmt.frac;
  for (int y = 0; y < ho; ++y)
    for (int x = 0; x < wo; ++x)
      for (int f = 0; f < filters; ++f) {
        std::int64_t acc = bias.empty() ? 0 : bias[std::size_t(f)];
        for (int c = 0; c < in.channels; ++c)
          for (int kr = 0; kr < g.kr; ++kr)
            for (int kc = 0; kc < g.kc; ++kc) {
              const std::int64_t v = padded(in, g, y * g.sr + kr, x * g.sc + kc, c);
              acc += v * w[(std::size_t(f) * in.channels + c) * k2 + std::size_t(kr * g.kc + kc)];
            }
        out.at(y, x, f) = sparsedse::requantize(acc, acc_frac, out_fmt);
      }
  return out;
}

}  // namespace hwtest
