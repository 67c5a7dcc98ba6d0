// sdhls: sparsedse HLS module library — shared types and helpers (hls.md §4, §9.1). Our own code.
// Every module is a function template taking a config struct (hls4ml style); token counts are per
// image, and every module loops over `batch` images. C++14, Vitis HLS pragma forms only (hls.md §6).
#ifndef SDHLS_COMMON_HPP
#define SDHLS_COMMON_HPP

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"

// Batch loop bound for LOOP_TRIPCOUNT (an s_axilite scalar at run time).
#ifndef SDHLS_MAX_BATCH
#define SDHLS_MAX_BATCH 256
#endif

#define SDHLS_PRAGMA_(x) _Pragma(#x)

// FIFO depth of an inter-module stream (hls.md §7). The simulation shim defines its own version that
// also records the depth and the name; with vendor headers this is the pragma only.
#ifndef SDHLS_STREAM
#define SDHLS_STREAM(v_, n_) SDHLS_PRAGMA_(HLS STREAM variable=v_ depth=n_)
#endif

// A DATAFLOW process call (hls.md §11.3): a plain call under synthesis and with vendor headers.
#ifndef SDHLS_DATAFLOW
#define SDHLS_DATAFLOW(f, ...) f(__VA_ARGS__)
#define SDHLS_DATAFLOW_END()
#endif

namespace sdhls {

// ⌈log2 n⌉, and the bits needed to hold 0..n−1 (at least 1, so ap_uint<> is never empty).
constexpr unsigned clog2(unsigned long long n) {
  for (unsigned b = 0; b < 64; ++b)
    if ((1ULL << b) >= n) return b;
  return 64;
}
constexpr unsigned index_bits(unsigned long long n) { return clog2(n) == 0 ? 1 : clog2(n); }
constexpr unsigned umax(unsigned a, unsigned b) { return a > b ? a : b; }

// A Kr×Kc window of one channel, row-major: v[kr·Kc + kc], kr = 0 is the oldest (top) row.
template <class T, unsigned Kr, unsigned Kc>
struct window {
  T v[Kr * Kc];
};

// Element k of a vector-dot input token: a window, or a single word on the 1×1 / InnerProduct path.
template <class T, unsigned Kr, unsigned Kc>
inline T window_elem(const window<T, Kr, Kc>& w, unsigned k) {
  return w.v[k];
}
template <class T>
inline T window_elem(const T& x, unsigned) {
  return x;
}

// Sparse window token (hls.md §9.1). `ch` is the channel index within the stream: nz_check drops
// all-zero windows, so sparse_vdot cannot count channels and addresses its weights with `ch`.
template <class T, unsigned K2, unsigned Channels>
struct sp_token {
  T v[K2];
  ap_uint<K2> mask;  // mask[k] = (v[k] != 0)
  ap_uint<index_bits(Channels)> ch;
  bool eop;     // last channel of the output pixel
  bool marker;  // carries no window: stands in for a dropped last-channel window
};

// Tagged partial sum of one (window, filter) pair (hls.md §9.1).
template <class AccT, unsigned Filters>
struct psum_token {
  AccT sum;
  ap_uint<index_bits(Filters)> fo;
  bool valid;
  bool eop;
};

enum pool_op { pool_max = 0, pool_avg = 1 };
enum eltwise_op { eltwise_add = 0, eltwise_mul = 1 };

// Average pooling types (docs/fixed-point.md): the exact sum of N values of data type T, and the
// reciprocal constant 1/N as ap_ufixed<25,1> rounded (AP_RND) — one product, then one cast to out_t.
template <class T, unsigned long long N>
struct avg_types {
  typedef ap_fixed<T::width + clog2(N), T::iwidth + clog2(N)> sum_t;
  typedef ap_ufixed<25, 1, AP_RND, AP_SAT> recip_t;
};

}  // namespace sdhls

#ifndef __SYNTHESIS__
namespace sdhls {
// C-simulation instrumentation of sparse_vdot (hls.md §9.3): one call per issue-loop iteration.
// `token` counts the tokens read by the instance (0-based, over the whole call), `marker` says
// whether the current token is a marker. Not part of the synthesised design.
struct issue_observer {
  virtual ~issue_observer() {}
  virtual void on_iteration(unsigned long token, bool marker) = 0;
};
}  // namespace sdhls
#endif

#endif  // SDHLS_COMMON_HPP
