#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <omp.h>

namespace sparsedse::engine {

ConvGeometry ConvGeometry::of(const ir::Layer& l) {
  ConvGeometry g;
  const ir::Shape& in = l.input_shape();
  g.filters = l.filters;
  if (l.kind == ir::LayerKind::InnerProduct) {  // a 1×1 conv over a (C·H·W) × 1 × 1 input
    g.channels = int(in.elements());
    g.rows = g.cols = g.out_rows = g.out_cols = 1;
    return g;
  }
  g.channels = in.channels;
  g.rows = in.rows;
  g.cols = in.cols;
  g.groups = l.groups;
  g.out_rows = l.output_shape.rows;
  g.out_cols = l.output_shape.cols;
  g.window = l.window;
  return g;
}

namespace {

// Direct 3×3 path (direct_conv_3x3): accumulator floats per task (filters × columns), which with the
// packed weights of a K block should stay in L2.
constexpr int kDirectAccumulator = 1 << 17;

// Requantisation fast path (AP_RND, AP_SAT) from `shift` > 0 fraction bits more: add half an LSB, floor,
// clamp. Equal to sparsedse::requantize for |raw| < 2^62 (checked by the engine tests).
inline std::int64_t round_saturate(std::int64_t raw, int shift, std::int64_t lo, std::int64_t hi) {
  const std::int64_t q = (raw + (std::int64_t{1} << (shift - 1))) >> shift;
  return q < lo ? lo : (q > hi ? hi : q);
}

// A run of output columns that maps to one contiguous destination range of a packed B panel row:
// one image, one output row (or one whole plane for pointwise convs), within one panel.
struct Segment {
  int image, out_row, out_col, length;
  int panel, lane;  // where column 0 of the segment goes: panel index and lane within the panel
};

// Columns [col0, col0 + ncols) of the (image, output pixel) space, split into segments.
void segments_of(const ConvGeometry& g, bool plane_rows, std::int64_t col0, int ncols, int nr,
                 std::vector<Segment>& out) {
  out.clear();
  const int plane = g.out_rows * g.out_cols;
  const int row_len = plane_rows ? plane : g.out_cols;
  int j = 0;
  while (j < ncols) {
    const std::int64_t col = col0 + j;
    const int image = int(col / plane), pixel = int(col % plane);
    const int oy = plane_rows ? 0 : pixel / g.out_cols, ox = plane_rows ? pixel : pixel % g.out_cols;
    const int len = std::min({row_len - ox, ncols - j, nr - j % nr});
    out.push_back({image, oy, ox, len, j / nr, j % nr});
    j += len;
  }
}

// Per-chunk scratch for im2col: each segment's destination offset within a packed row and, for the
// current (channel, kernel row), the source row it reads (nullptr: a padding row).
struct SegmentRows {
  std::vector<std::size_t> dst_offset;
  std::vector<const float*> src_row;
  std::vector<int> ix0;  // input column of the segment's first output column, before the kernel column
  std::vector<std::int16_t> stage;  // int16: the two rows of a K pair, before interleaving
};

// How pack_columns / pack_vectors write one packed element: float and double take the value; int16 takes
// its code x·2^F (exact: x is on the input grid, |code| ≤ 2^15), stored in the K-pair layout (gemm.hpp).
template <typename T>
struct Element {
  static constexpr int kr = std::is_same_v<T, std::int16_t> ? 2 : 1;
  float scale = 1.0f;  // 2^F for codes
  T operator()(float x) const {
    if constexpr (std::is_integral_v<T>) return T(std::int32_t(x * scale));
    else return T(x);
  }
};

// Zero the pair partner of row `kc` when a K block has an odd depth (int16 layout), in every panel.
template <typename T>
void zero_odd_row(int kc, int panels, int nr, T* out) {
  if (Element<T>::kr == 1 || kc % 2 == 0) return;
  const std::size_t panel_stride = std::size_t(kc + 1) * nr;
  for (int p = 0; p < panels; ++p)
    for (int lane = 0; lane < nr; ++lane) out[p * panel_stride + gemm::panel_index(kc, lane, nr, 2)] = T(0);
}

// im2col straight into the packed-B layout of the GEMM kernel (no intermediate matrix): rows [r0, r1)
// of the K dimension (one K block), for the chunk's segments, as ⌈ncols/nr⌉ panels of (r1 − r0) × nr.
// int16: each row is written to a contiguous staging line (column j at j), and every pair of lines is
// interleaved into the panels' K-pair layout (gemm.hpp), the partner of an odd last row being zero.
template <typename T>
void pack_columns(const ConvGeometry& g, int group, const float* in, int r0, int r1, int ncols, bool pointwise,
                  const gemm::Kernel<T>& k, Element<T> cvt, const std::vector<Segment>& segs, SegmentRows& rows,
                  T* out) {
  constexpr int KR = Element<T>::kr;
  const ir::Window& w = g.window;
  const int nr = k.nr;
  const int padded_cols = gemm::round_up(ncols, nr);
  const std::size_t panel_stride = std::size_t(gemm::round_up(r1 - r0, KR)) * nr;
  const std::size_t line_panel = KR == 1 ? panel_stride : std::size_t(nr);  // panel p of a written line
  const std::size_t image_size = std::size_t(g.channels) * g.rows * g.cols;
  const std::size_t plane_size = std::size_t(g.rows) * g.cols;
  const std::size_t nseg = segs.size();
  rows.dst_offset.resize(nseg);
  rows.src_row.resize(nseg);
  rows.ix0.resize(nseg);
  if constexpr (KR == 2) rows.stage.resize(2 * std::size_t(padded_cols));
  for (std::size_t i = 0; i < nseg; ++i) {
    rows.dst_offset[i] = std::size_t(segs[i].panel) * line_panel + std::size_t(segs[i].lane);
    rows.ix0[i] = segs[i].out_col * w.stride_cols - w.pad_left;
  }
  const int tail = padded_cols - ncols;  // zero lanes of the last panel
  int cached = -1;  // (channel, kernel row) whose source rows are in `rows.src_row`
  for (int r = r0; r < r1; ++r) {
    const int ci = r / w.kernel_size(), kr = (r / w.kernel_cols) % w.kernel_rows, kcol = r % w.kernel_cols;
    const int c = group * g.group_channels() + ci;
    if (ci * w.kernel_rows + kr != cached) {
      cached = ci * w.kernel_rows + kr;
      for (std::size_t i = 0; i < nseg; ++i) {
        const Segment& sg = segs[i];
        const float* plane = in + std::size_t(sg.image) * image_size + std::size_t(c) * plane_size;
        const int iy = sg.out_row * w.stride_rows - w.pad_top + kr;
        rows.src_row[i] = pointwise ? plane : (iy < 0 || iy >= g.rows) ? nullptr : plane + std::size_t(iy) * g.cols;
      }
    }
    T* row_base;
    if constexpr (KR == 1) row_base = out + std::size_t(r - r0) * nr;
    else row_base = rows.stage.data() + std::size_t((r - r0) % 2) * padded_cols;
    for (std::size_t i = 0; i < nseg; ++i) {
      T* dst = row_base + rows.dst_offset[i];
      const int len = segs[i].length;
      const float* src = rows.src_row[i];
      if (!src) {
        std::fill(dst, dst + len, T(0));
        continue;
      }
      const int ix0 = rows.ix0[i] + kcol;
      if (w.stride_cols == 1) {
        if (ix0 >= 0 && ix0 + len <= (pointwise ? int(plane_size) : g.cols)) {  // interior: a straight copy
          for (int j = 0; j < len; ++j) dst[j] = cvt(src[ix0 + j]);
          continue;
        }
        const int lo = std::clamp(-ix0, 0, len), hi = std::clamp(g.cols - ix0, lo, len);
        std::fill(dst, dst + lo, T(0));
        for (int j = lo; j < hi; ++j) dst[j] = cvt(src[ix0 + j]);
        std::fill(dst + hi, dst + len, T(0));
      } else {
        for (int j = 0; j < len; ++j) {
          const int ix = ix0 + j * w.stride_cols;
          dst[j] = (ix >= 0 && ix < g.cols) ? cvt(src[ix]) : T(0);
        }
      }
    }
    if (tail > 0) {
      T* last = row_base + std::size_t(ncols / nr) * line_panel + std::size_t(ncols % nr);
      std::fill(last, last + tail, T(0));
    }
    if constexpr (KR == 2) {
      const int q = (r - r0) / 2;  // the pair this row belongs to
      if ((r - r0) % 2 == 0 && r + 1 < r1) continue;  // its partner comes next
      const T* even = rows.stage.data();
      const T* odd = even + padded_cols;
      if ((r - r0) % 2 == 0) std::fill(rows.stage.begin() + padded_cols, rows.stage.end(), T(0));
      for (int p = 0; p < padded_cols / nr; ++p) {
        T* dst = out + p * panel_stride + std::size_t(q) * 2 * nr;
        const T* e = even + std::size_t(p) * nr;
        const T* o = odd + std::size_t(p) * nr;
        for (int lane = 0; lane < nr; ++lane) {
          dst[2 * lane] = e[lane];
          dst[2 * lane + 1] = o[lane];
        }
      }
    }
  }
}

// Inner product: column j is image col0 + j, row r is input element r; rows [r0, r1) as above.
template <typename T>
void pack_vectors(const ConvGeometry& g, const float* in, std::int64_t col0, int r0, int r1, int ncols,
                  const gemm::Kernel<T>& k, Element<T> cvt, T* out) {
  constexpr int KR = Element<T>::kr;
  const int depth = g.channels, nr = k.nr, kc = r1 - r0;
  const int padded = gemm::round_up(ncols, nr);
  for (int p = 0; p < padded / nr; ++p) {
    T* dst = out + std::size_t(p) * gemm::round_up(kc, KR) * nr;
    for (int lane = 0; lane < nr; ++lane) {
      const int j = p * nr + lane;
      if (j >= ncols) {
        for (int kk = 0; kk < kc; ++kk) dst[gemm::panel_index(kk, lane, nr, KR)] = T(0);
        continue;
      }
      const float* src = in + std::size_t(col0 + j) * depth + r0;
      for (int kk = 0; kk < kc; ++kk) dst[gemm::panel_index(kk, lane, nr, KR)] = cvt(src[kk]);
    }
  }
  zero_odd_row(kc, padded / nr, nr, out);
}

// Column chunk: a multiple of nr, ~256 columns, small enough to give every thread work.
int chunk_columns(std::int64_t total, int groups, int nr, int threads) {
  std::int64_t chunk = 256;
  const std::int64_t per_thread = (total * groups + threads - 1) / std::max(1, threads);
  if (per_thread < chunk) chunk = per_thread;
  chunk = std::max<std::int64_t>(nr, (chunk + nr - 1) / nr * nr);
  return int(std::min<std::int64_t>(chunk, std::max<std::int64_t>(total, 1)));
}

// int32 sums + bias, rounded and clamped (the int16 path's cast in weighted_gemm), in double: branch-free
// and vectorised for the CPU's widest vectors.
[[gnu::target_clones("avx512f", "avx2", "default")]] void cast_row(const std::int32_t* src, int len, double bias_half,
                                                                   double scale, double lo, double hi, float to_value,
                                                                   float* dst) {
  for (int i = 0; i < len; ++i) {
    const double v = std::min(std::max((double(src[i]) + bias_half) * scale, lo), hi);
    std::int32_t r = std::int32_t(v);
    r -= double(r) > v;
    dst[i] = float(r) * to_value;
  }
}

// The GEMM of a weighted layer on T: float values, double grid values (fixed, exact below 2^53) or int16
// codes (fixed, int32 sums exact under the bound of int16_exact).
template <typename T>
void weighted_gemm(const Engine::Prepared& p, const std::vector<gemm::PackedA<T>>& weights, const Tensor& in,
                   Tensor& out, const WeightedEpilogue& e, int threads) {
  using Acc = gemm::acc_t<T>;
  const gemm::Kernel<T>& k = gemm::best_kernel<T>();
  const Element<T> cvt{std::ldexp(1.0f, p.input_format.frac)};
  const ConvGeometry& g = p.geometry;
  const int plane = g.out_rows * g.out_cols;
  const std::int64_t total = std::int64_t(in.batch) * plane;
  const int chunk = chunk_columns(total, g.groups, k.nr, threads);
  const std::int64_t per_group = (total + chunk - 1) / chunk;
  const std::int64_t tasks = per_group * g.groups;
  const int mg = g.group_filters();
  const int acc_frac = p.accumulator.format.frac;
  const double to_acc = std::ldexp(1.0, acc_frac);
  const int shift = acc_frac - e.output_format.frac;
  const std::int64_t lo = min_raw(e.output_format), hi = max_raw(e.output_format);
  const std::int64_t acc_lo = min_raw(p.accumulator.format), acc_hi = max_raw(p.accumulator.format);
  const float to_value = std::ldexp(1.0f, -e.output_format.frac);
  // The int16 path's cast (int32 sums, an uncapped accumulator of at most 48 bits, data below 2^24).
  const bool int_cast = std::is_integral_v<Acc> && !p.accumulator.capped && shift > 0;
  const double half = int_cast ? std::ldexp(1.0, shift - 1) : 0.0, scale = std::ldexp(1.0, -shift);
  const double dlo = double(lo), dhi = double(hi);
  // Pointwise, stride 1, no padding: every image plane is one contiguous run (the direct 1×1 path).
  const ir::Window& w = g.window;
  const bool pointwise = w.kernel_size() == 1 && w.stride_rows == 1 && w.stride_cols == 1 && w.pad_top == 0 &&
                         w.pad_left == 0 && w.pad_bottom == 0 && w.pad_right == 0;

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t t = 0; t < tasks; ++t) {
    static thread_local gemm::AlignedVector<T> packed;
    static thread_local std::vector<Acc> acc;
    static thread_local std::vector<Segment> segs;
    static thread_local SegmentRows seg_rows;
    const int group = int(t / per_group);
    const std::int64_t col0 = (t % per_group) * chunk;
    const int ncols = int(std::min<std::int64_t>(chunk, total - col0));
    const int ldc = gemm::round_up(ncols, k.nr);
    const int depth = g.depth();
    acc.resize(std::size_t(gemm::round_up(mg, k.mr)) * ldc);
    packed.resize(std::size_t(ldc) * gemm::round_up(std::min(depth, gemm::kKc), k.kr));
    if (!p.fully_connected) segments_of(g, pointwise, col0, ncols, k.nr, segs);
    for (int kb = 0; kb * gemm::kKc < depth; ++kb) {  // pack one K block, multiply it while it is in L2
      const int r0 = kb * gemm::kKc, r1 = std::min(depth, r0 + gemm::kKc);
      if (p.fully_connected) pack_vectors<T>(g, in.data.data(), col0, r0, r1, ncols, k, cvt, packed.data());
      else pack_columns<T>(g, group, in.data.data(), r0, r1, ncols, pointwise, k, cvt, segs, seg_rows, packed.data());
      gemm::multiply_block(weights[std::size_t(group)], kb, packed.data(), ncols, acc.data(), ldc, k, kb > 0);
    }
    // Scatter the filter rows back to NCHW, applying bias and (fixed) the single output cast.
    for (int f = 0; f < mg; ++f) {
      const int filter = group * mg + f;
      const Acc* src = acc.data() + std::size_t(f) * ldc;
      for (int j = 0; j < ncols;) {
        const std::int64_t col = col0 + j;
        const int image = int(col / plane), pixel = int(col % plane);
        const int len = std::min(plane - pixel, ncols - j);
        float* dst = out.data.data() + (std::size_t(image) * g.filters + filter) * plane + pixel;
        if (!e.fixed) {
          const float b = p.bias_f32[std::size_t(filter)];
          for (int i = 0; i < len; ++i) dst[i] = float(src[j + i]) + b;
        } else if (int_cast) {
          // (sum + bias) rounded at `shift` bits and clamped, branch-free in double: sum + bias + half is an
          // integer below 2^49, scaling by 2^-shift is exact, and clamping to integer bounds commutes with
          // the floor (done as truncation, minus one below a negative non-integer).
          if constexpr (std::is_integral_v<Acc>)
            cast_row(src + j, len, double(p.bias_raw[std::size_t(filter)]) + half, scale, dlo, dhi, to_value, dst);
        } else {
          const std::int64_t b = p.bias_raw[std::size_t(filter)];
          for (int i = 0; i < len; ++i) {
            // The accumulator code (F_d + F_w fraction bits), exact.
            const std::int64_t sum = std::is_integral_v<Acc> ? std::int64_t(src[j + i])
                                                              : std::int64_t(double(src[j + i]) * to_acc);
            std::int64_t a = sum + b;
            if (p.accumulator.capped) a = std::clamp(a, acc_lo, acc_hi);
            const std::int64_t r = shift > 0 ? round_saturate(a, shift, lo, hi)
                                             : requantize(a, acc_frac, e.output_format, Rounding::rnd, Overflow::sat);
            dst[i] = float(r) * to_value;
          }
        }
        j += len;
      }
    }
  }
}

// Direct 3×3 convolution, stride 1, padding 1 (float): no im2col. A task (a strip) takes rows
// [row0, row0 + rows) of `images` consecutive images, side by side: buffer row r holds input row
// row0 − 1 + r of every image (zeros above and below the image), pitch = images · W, so output pixel
// (y, image i, x) is column q = y·pitch + i·W + x and tap row ky of it is element q + ky·pitch. Each
// channel has three copies of its rows, one per kernel column kx, shifted by kx − 1 with the column that
// wraps into the neighbouring image zeroed (the left or right padding), so B row (c, ky, kx) of the GEMM
// is the contiguous run at copy (c, kx) + ky·pitch (gemm block_table): nothing is packed, no column is
// wasted, and with 64-byte aligned copies and pitch a multiple of 16 the kernel's loads are aligned.
bool direct_3x3(const ConvGeometry& g) {
  const ir::Window& w = g.window;
  return w.kernel_rows == 3 && w.kernel_cols == 3 && w.stride_rows == 1 && w.stride_cols == 1 && w.pad_top == 1 &&
         w.pad_left == 1 && w.pad_bottom == 1 && w.pad_right == 1;
}

struct DirectStrips {
  int images = 1, rows = 1;  // per strip
  int per_group = 1;         // strips per group: ⌈batch / images⌉ · ⌈H / rows⌉
};

// Strip shape: about kDirectAccumulator / filters output columns (whole images side by side when they
// are small, rows of one image when large), halved while some thread would get fewer than 4 tasks.
DirectStrips direct_strips(const ConvGeometry& g, int batch, int threads, int nr) {
  const int plane = g.out_rows * g.out_cols;
  const int target = std::clamp(kDirectAccumulator / std::max(1, g.group_filters()), 4 * nr, 1024);
  int images = 1, rows = g.out_rows;
  if (plane <= target) {
    images = std::min(batch, target / plane);
  } else {
    const int parts = (plane + target - 1) / target;
    rows = (g.out_rows + parts - 1) / parts;
  }
  const auto per_group = [&] { return ((batch + images - 1) / images) * ((g.out_rows + rows - 1) / rows); };
  while (std::int64_t(per_group()) * g.groups < 4 * threads && (images > 1 || rows > 1)) {
    if (images > 1) images = (images + 1) / 2;
    else rows = (rows + 1) / 2;
  }
  return {images, rows, per_group()};
}

// Buffer geometry of one strip: each copy is `lead` zeros (what x − 1 reads at the first column), the
// (rows + 2) · pitch data, and at least one zero, rounded up to 64 bytes.
struct StripLayout {
  static constexpr int lead = 16;
  int images = 0, rows = 0, pitch = 0;
  std::size_t copy = 0;  // floats per copy
  StripLayout(int images_, int rows_, int cols)
      : images(images_), rows(rows_), pitch(images_ * cols),
        copy(std::size_t(gemm::round_up(lead + (rows_ + 2) * pitch + 1, 16))) {}
  std::ptrdiff_t row(int c, int ky, int kx) const {  // start of B row (c, ky, kx)
    return std::ptrdiff_t(3 * c + kx) * std::ptrdiff_t(copy) + lead + ky * pitch;
  }
};

// Fills the three copies of channels [c0, c1) of a strip (layout above). `first` is the group's first
// channel of the strip's first image.
void pad_strip(const ConvGeometry& g, const float* first, int row0, const StripLayout& l, int c0, int c1,
               float* buf) {
  const std::size_t in_plane = std::size_t(g.rows) * g.cols, image_size = std::size_t(g.channels) * in_plane;
  const std::size_t data = std::size_t(l.rows + 2) * l.pitch;
  for (int c = c0; c < c1; ++c) {
    float* left = buf + l.row(c, 0, 0) - l.lead;  // copy kx = 0: element x holds input x − 1
    float* mid = left + l.copy;                   // kx = 1: input x
    float* right = mid + l.copy;                  // kx = 2: input x + 1
    std::fill(mid, mid + l.lead, 0.0f);
    float* dst = mid + l.lead;
    for (int r = 0; r < l.rows + 2; ++r) {
      const int iy = row0 - 1 + r;
      for (int i = 0; i < l.images; ++i, dst += g.cols) {
        if (iy < 0 || iy >= g.rows) {
          std::fill(dst, dst + g.cols, 0.0f);
          continue;
        }
        const float* src = first + i * image_size + std::size_t(c) * in_plane + std::size_t(iy) * g.cols;
        for (int x = 0; x < g.cols; ++x) dst[x] = src[x];  // short rows: an inline loop, not memmove
      }
    }
    std::fill(dst, mid + l.copy, 0.0f);
    std::copy(mid + l.lead - 1, mid + l.lead - 1 + data, left + l.lead);
    std::copy(mid + l.lead + 1, mid + l.lead + 1 + data, right + l.lead);
    for (std::size_t x0 = l.lead; x0 < l.lead + data; x0 += std::size_t(g.cols)) {  // each image row
      left[x0] = 0.0f;
      right[x0 + std::size_t(g.cols) - 1] = 0.0f;
    }
  }
}

void direct_conv_3x3(const Engine::Prepared& p, const Tensor& in, Tensor& out, int threads) {
  const gemm::Kernel<float>& k = gemm::best_kernel<float>();
  const ConvGeometry& g = p.geometry;
  const int cg = g.group_channels(), mg = g.group_filters(), depth = g.depth();
  const DirectStrips s = direct_strips(g, in.batch, threads, k.nr);
  const int row_strips = (g.out_rows + s.rows - 1) / s.rows;
  const std::int64_t tasks = std::int64_t(s.per_group) * g.groups;
  const std::size_t in_plane = std::size_t(g.rows) * g.cols, out_plane = std::size_t(g.out_rows) * g.out_cols;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t t = 0; t < tasks; ++t) {
    static thread_local gemm::AlignedVector<float> buf;
    static thread_local std::vector<float> acc;
    static thread_local std::vector<std::ptrdiff_t> row_table;
    const int group = int(t / s.per_group), strip = int(t % s.per_group);
    const int image0 = strip / row_strips * s.images, row0 = strip % row_strips * s.rows;
    const StripLayout l(std::min(s.images, in.batch - image0), std::min(s.rows, g.out_rows - row0), g.cols);
    const int cols = l.rows * l.pitch;
    const int ldc = gemm::round_up(cols, k.nr);  // whole micro-panels: the last one may run past the strip
    // The columns past the strip read up to ldc − cols floats beyond the last copy.
    buf.resize(std::size_t(cg) * 3 * l.copy + std::size_t(ldc - cols));
    acc.resize(std::size_t(gemm::round_up(mg, k.mr)) * ldc);
    row_table.resize(std::size_t(depth));
    for (int r = 0; r < depth; ++r) row_table[std::size_t(r)] = l.row(r / 9, r % 9 / 3, r % 3);  // weight order
    const float* first = in.image(image0) + std::size_t(group) * cg * in_plane;
    int padded = 0;  // channels filled so far: each K block fills the ones it starts to read, while warm
    for (int kb = 0; kb * gemm::kKc < depth; ++kb) {
      const int r0 = kb * gemm::kKc, r1 = std::min(depth, r0 + gemm::kKc);
      const int need = (r1 + 8) / 9;
      pad_strip(g, first, row0, l, padded, need, buf.data());
      padded = need;
      gemm::multiply_block_table(p.weights_f32[std::size_t(group)], kb, buf.data(), row_table.data() + r0, ldc,
                                 acc.data(), ldc, k, kb > 0);
    }
    // Each filter's W outputs per (row, image) to NCHW, with the bias.
    for (int f = 0; f < mg; ++f) {
      const int filter = group * mg + f;
      const float b = p.bias_f32[std::size_t(filter)];
      for (int i = 0; i < l.images; ++i) {
        float* dst = out.data.data() + (std::size_t(image0 + i) * g.filters + filter) * out_plane +
                     std::size_t(row0) * g.cols;
        const float* src = acc.data() + std::size_t(f) * ldc + std::size_t(i) * g.cols;
        for (int y = 0; y < l.rows; ++y, dst += g.cols, src += l.pitch)
          for (int x = 0; x < g.cols; ++x) dst[x] = src[x] + b;
      }
    }
  }
}

// Exact integer fallback for formats so wide that double could round (never for ≤ 16-bit operands).
void weighted_int64(const Engine::Prepared& p, const Tensor& in, Tensor& out, const WeightedEpilogue& e,
                    int threads) {
  const ConvGeometry& g = p.geometry;
  const ir::Window& w = g.window;
  const int cg = g.group_channels(), mg = g.group_filters();
  const int in_frac = p.input_format.frac;
  const int acc_frac = p.accumulator.format.frac;
  const std::int64_t acc_lo = min_raw(p.accumulator.format), acc_hi = max_raw(p.accumulator.format);
  const std::int64_t planes = std::int64_t(in.batch) * g.filters;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t nf = 0; nf < planes; ++nf) {
    const int n = int(nf / g.filters), f = int(nf % g.filters), group = f / mg;
    const float* image = in.image(n);
    const std::int64_t* wf = p.weights_raw.data() + std::size_t(f) * cg * w.kernel_size();
    for (int oy = 0; oy < g.out_rows; ++oy)
      for (int ox = 0; ox < g.out_cols; ++ox) {
        std::int64_t a = 0;
        for (int ci = 0; ci < cg; ++ci) {
          const float* plane = image + std::size_t(group * cg + ci) * g.rows * g.cols;
          for (int kr = 0; kr < w.kernel_rows; ++kr) {
            const int iy = oy * w.stride_rows - w.pad_top + kr;
            if (iy < 0 || iy >= g.rows) continue;
            for (int kc = 0; kc < w.kernel_cols; ++kc) {
              const int ix = ox * w.stride_cols - w.pad_left + kc;
              if (ix < 0 || ix >= g.cols) continue;
              const auto x = std::int64_t(std::ldexp(double(plane[iy * g.cols + ix]), in_frac));
              a += x * wf[(ci * w.kernel_rows + kr) * w.kernel_cols + kc];
            }
          }
        }
        a += p.bias_raw[std::size_t(f)];
        if (p.accumulator.capped) a = std::clamp(a, acc_lo, acc_hi);
        const std::int64_t r = requantize(a, acc_frac, e.output_format, Rounding::rnd, Overflow::sat);
        out.data[(std::size_t(n) * g.filters + f) * g.out_rows * g.out_cols + std::size_t(oy) * g.out_cols + ox] =
            float(std::ldexp(double(r), -e.output_format.frac));
      }
  }
}

}  // namespace

bool int16_exact(const Engine::Prepared& p, const Tensor& in, int threads) {
  if (p.weights_i16.empty()) return false;
  if (p.int16_always) return true;
  float max_abs = 0.0f;  // the input's largest |value|, a grid value: its code is exact in double
  const float* x = in.data.data();
  const std::int64_t n = std::int64_t(in.data.size());
#pragma omp parallel for schedule(static) reduction(max : max_abs) num_threads(threads)
  for (std::int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::abs(x[i]));
  return double(p.max_filter_l1) * std::ldexp(double(max_abs), p.input_format.frac) < 2147483648.0;
}

void convolution(const Engine::Prepared& p, const Tensor& in, Tensor& out, const WeightedEpilogue& e, int threads) {
  if (!e.fixed && !p.fully_connected && direct_3x3(p.geometry)) direct_conv_3x3(p, in, out, threads);
  else if (!e.fixed) weighted_gemm<float>(p, p.weights_f32, in, out, e, threads);
  else if (int16_exact(p, in, threads)) weighted_gemm<std::int16_t>(p, p.weights_i16, in, out, e, threads);
  else if (p.exact_in_double) weighted_gemm<double>(p, p.weights_f64, in, out, e, threads);
  else weighted_int64(p, in, out, e, threads);
}

void relu(const Tensor& in, Tensor& out, float threshold, int threads) {
  const std::int64_t n = std::int64_t(in.data.size());
  const float* x = in.data.data();
  float* y = out.data.data();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < n; ++i) y[i] = x[i] > threshold ? x[i] : 0.0f;  // model.md §8.1
}

void max_pool(const ir::Layer& l, const Tensor& in, Tensor& out, bool zero_padding, int threads) {
  const ir::Window& w = l.window;
  const ir::Shape& s = in.shape;
  const int ho = out.shape.rows, wo = out.shape.cols;
  const std::int64_t planes = std::int64_t(in.batch) * s.channels;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const float* x = in.data.data() + std::size_t(pl) * s.rows * s.cols;
    float* y = out.data.data() + std::size_t(pl) * ho * wo;
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        // Float: padded positions are ignored (ONNX). Fixed: the hardware's sliding window injects
        // zeros (docs/fixed-point.md), the same for non-negative inputs.
        float m = -std::numeric_limits<float>::infinity();
        for (int kr = 0; kr < w.kernel_rows; ++kr) {
          const int iy = oy * w.stride_rows - w.pad_top + kr;
          for (int kc = 0; kc < w.kernel_cols; ++kc) {
            const int ix = ox * w.stride_cols - w.pad_left + kc;
            if (iy >= 0 && iy < s.rows && ix >= 0 && ix < s.cols) m = std::max(m, x[iy * s.cols + ix]);
            else if (zero_padding) m = std::max(m, 0.0f);
          }
        }
        y[oy * wo + ox] = m;
      }
  }
}

void average_pool(const ir::Layer& l, const Tensor& in, Tensor& out, bool fixed, FixedFormat in_format,
                  FixedFormat out_format, int threads) {
  const ir::Window& w = l.window;
  const ir::Shape& s = in.shape;
  const int ho = out.shape.rows, wo = out.shape.cols;
  const std::int64_t planes = std::int64_t(in.batch) * s.channels;
  const float to_value = std::ldexp(1.0f, -out_format.frac);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const float* x = in.data.data() + std::size_t(pl) * s.rows * s.cols;
    float* y = out.data.data() + std::size_t(pl) * ho * wo;
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        double sum = 0.0;  // exact in fixed mode: grid values, at most 2^30 of them below 2^24
        int covered = 0;
        for (int kr = 0; kr < w.kernel_rows; ++kr) {
          const int iy = oy * w.stride_rows - w.pad_top + kr;
          if (iy < 0 || iy >= s.rows) continue;
          for (int kc = 0; kc < w.kernel_cols; ++kc) {
            const int ix = ox * w.stride_cols - w.pad_left + kc;
            if (ix < 0 || ix >= s.cols) continue;
            sum += x[iy * s.cols + ix];
            ++covered;
          }
        }
        // ONNX count_include_pad: divide by the whole window (padding counts as zeros) or by the
        // input elements the window covers (the default).
        const int terms = l.count_include_pad ? w.kernel_size() : covered;
        if (!fixed) {
          y[oy * wo + ox] = float(sum / terms);
        } else {
          const auto raw = std::int64_t(std::ldexp(sum, in_format.frac));
          y[oy * wo + ox] = float(average_raw(raw, in_format, terms, out_format)) * to_value;
        }
      }
  }
}

void global_average_pool(const Tensor& in, Tensor& out, bool fixed, FixedFormat in_format, FixedFormat out_format,
                         int threads) {
  const std::int64_t plane = in.shape.rows * std::int64_t(in.shape.cols);
  const std::int64_t planes = std::int64_t(in.batch) * in.shape.channels;
  const float to_value = std::ldexp(1.0f, -out_format.frac);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t pl = 0; pl < planes; ++pl) {
    const float* x = in.data.data() + std::size_t(pl * plane);
    double sum = 0.0;
    for (std::int64_t i = 0; i < plane; ++i) sum += x[i];
    if (!fixed) {
      out.data[std::size_t(pl)] = float(sum / double(plane));
    } else {
      const auto raw = std::int64_t(std::ldexp(sum, in_format.frac));
      out.data[std::size_t(pl)] = float(average_raw(raw, in_format, plane, out_format)) * to_value;
    }
  }
}

void eltwise_add(const std::vector<const Tensor*>& in, Tensor& out, bool fixed,
                 const std::vector<FixedFormat>& in_formats, FixedFormat out_format, int threads) {
  const std::int64_t n = std::int64_t(out.data.size());
  // The residual add, vectorised: a + b in float equals the double sum below cast to float (two terms).
  if (!fixed && in.size() == 2) {
    const float *a = in[0]->data.data(), *b = in[1]->data.data();
    float* y = out.data.data();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
    return;
  }
  int frac = 0;  // the exact sum's fraction bits: the finest input grid
  for (const FixedFormat& f : in_formats) frac = std::max(frac, f.frac);
  const double to_raw = std::ldexp(1.0, frac);
  const float to_value = std::ldexp(1.0f, -out_format.frac);
  const std::int64_t lo = min_raw(out_format), hi = max_raw(out_format);
  // The residual add of two inputs on the output's grid: their float sum is exact (below 2^24 units), so
  // the cast is only the saturation, done in float (vectorised).
  const auto magnitude = [](const FixedFormat& f) { return f.is_signed ? f.width - 1 : f.width; };
  if (fixed && in.size() == 2 && in_formats[0].frac == out_format.frac && in_formats[1].frac == out_format.frac &&
      std::max(magnitude(in_formats[0]), magnitude(in_formats[1])) + 1 < 24) {
    const float *a = in[0]->data.data(), *b = in[1]->data.data();
    const float vlo = float(lo) * to_value, vhi = float(hi) * to_value;
    float* y = out.data.data();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(a[i] + b[i], vlo), vhi);
    return;
  }
  const int shift = frac - out_format.frac;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t i = 0; i < n; ++i) {
    double sum = 0.0;  // exact: a handful of grid values below 2^24 units each
    for (const Tensor* t : in) sum += t->data[std::size_t(i)];
    if (!fixed) {
      out.data[std::size_t(i)] = float(sum);
    } else {
      const auto raw = std::int64_t(sum * to_raw);
      const std::int64_t r = shift > 0 ? round_saturate(raw, shift, lo, hi)
                                       : requantize(raw, frac, out_format, Rounding::rnd, Overflow::sat);
      out.data[std::size_t(i)] = float(r) * to_value;
    }
  }
}

void concat(const std::vector<const Tensor*>& in, Tensor& out) {
  const std::size_t plane = std::size_t(out.shape.rows) * out.shape.cols;
  for (int n = 0; n < out.batch; ++n) {
    float* dst = out.image(n);
    for (const Tensor* t : in) {
      const std::size_t size = std::size_t(t->shape.channels) * plane;
      std::memcpy(dst, t->image(n), size * sizeof(float));
      dst += size;
    }
  }
}

void cast_in_place(float* data, std::size_t n, FixedFormat from, FixedFormat to) {
  if (from == to) return;
  const double to_raw = std::ldexp(1.0, from.frac);
  const float to_value = std::ldexp(1.0f, -to.frac);
  for (std::size_t i = 0; i < n; ++i)
    data[i] = float(requantize(std::int64_t(double(data[i]) * to_raw), from.frac, to, Rounding::rnd, Overflow::sat)) *
              to_value;
}

void quantize_in_place(float* data, std::size_t n, FixedFormat to) {
  const float to_value = std::ldexp(1.0f, -to.frac);
  for (std::size_t i = 0; i < n; ++i) data[i] = float(quantize_data(double(data[i]), to)) * to_value;
}

}  // namespace sparsedse::engine
