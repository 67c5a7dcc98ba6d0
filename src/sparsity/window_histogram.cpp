#include "sparsedse/sparsity/window_histogram.hpp"

#include <algorithm>
#include <bit>
#include <map>
#include <stdexcept>
#include <string>

#include <omp.h>

namespace sparsedse::sparsity {

namespace {

constexpr std::int64_t kParallelElements = 1 << 17;  // below this a thread team costs more than it saves

// Byte stores may alias anything; __restrict lets the compiler vectorise the compare-and-pack.
void mark_zeros(const float* __restrict in, std::uint8_t* __restrict out, int n) {
  for (int i = 0; i < n; ++i) out[i] = in[i] == 0.0f;
}

// 32-bit partial counts in blocks vectorise far better than one 64-bit accumulator.
std::int64_t zeros_in(const float* __restrict p, std::int64_t n) {
  std::int64_t total = 0;
  for (std::int64_t i = 0; i < n; i += 1 << 16) {
    const int m = int(std::min<std::int64_t>(1 << 16, n - i));
    std::int32_t z = 0;
    for (int k = 0; k < m; ++k) z += p[i + k] == 0.0f;
    total += z;
  }
  return total;
}

// Zero indicators of the part of the zero-padded plane that some window touches (padding = 1).
void mark_padded_zeros(const float* plane, int rows, int cols, const ir::Window& w, int padded_rows, int padded_cols,
                       std::vector<std::uint8_t>& zeros) {
  zeros.resize(std::size_t(padded_rows) * padded_cols);
  for (int r = 0; r < padded_rows; ++r) {
    std::uint8_t* z = zeros.data() + std::size_t(r) * padded_cols;
    const int src = r - w.pad_top;
    if (src < 0 || src >= rows) {
      std::fill(z, z + padded_cols, std::uint8_t(1));
      continue;
    }
    const float* line = plane + std::size_t(src) * cols;
    const int c0 = std::min(w.pad_left, padded_cols), c1 = std::clamp(w.pad_left + cols, c0, padded_cols);
    std::fill(z, z + c0, std::uint8_t(1));
    mark_zeros(line + (c0 - w.pad_left), z + c0, c1 - c0);
    std::fill(z + c1, z + padded_cols, std::uint8_t(1));
  }
}

}  // namespace

std::string_view to_string(HistSource source) {
  return source == HistSource::products ? "products" : "activations";
}

std::optional<HistSource> hist_source_from_string(std::string_view name) {
  if (name == "activations") return HistSource::activations;
  if (name == "products") return HistSource::products;
  return std::nullopt;
}

WeightZeroMasks weight_zero_masks(const engine::Engine& engine, ir::Vertex v) {
  const ir::Layer& l = engine.graph().layer(v);
  if (!has_window_statistics(l)) throw std::invalid_argument("layer '" + l.name + "' has no window statistics");
  const bool fixed = engine.numerics().mode == engine::Numerics::Mode::Fixed;
  const std::vector<std::int64_t> raw = fixed ? engine.quantized_weights(v) : std::vector<std::int64_t>{};
  auto is_zero = [&](std::size_t i) { return fixed ? raw[i] == 0 : l.weights[Eigen::Index(i)] == 0.0f; };
  const bool conv = l.kind == ir::LayerKind::Convolution;
  const int channels = conv ? l.input_shape().channels : int(l.input_shape().elements());
  const int groups = conv ? l.groups : 1, k2 = conv ? l.window.kernel_size() : 1;
  if (k2 > 64) throw std::invalid_argument("layer '" + l.name + "': products statistics need windows of at most 64");
  const int group_channels = channels / groups, group_filters = l.filters / groups;
  WeightZeroMasks masks(static_cast<std::size_t>(channels));
  for (int c = 0; c < channels; ++c) {
    const int g = c / group_channels, local = c % group_channels;
    std::map<std::uint64_t, std::int64_t> count;
    for (int f = g * group_filters; f < (g + 1) * group_filters; ++f) {
      const std::size_t base = (std::size_t(f) * group_channels + std::size_t(local)) * std::size_t(k2);
      std::uint64_t m = 0;
      for (int k = 0; k < k2; ++k)
        if (is_zero(base + std::size_t(k))) m |= std::uint64_t{1} << k;
      ++count[m];
    }
    masks[std::size_t(c)].assign(count.begin(), count.end());
  }
  return masks;
}

WindowZeroHistogram::WindowZeroHistogram(int channels, int kernel_rows, int kernel_cols)
    : channels_(channels), kernel_rows_(kernel_rows), kernel_cols_(kernel_cols) {
  if (channels < 0 || kernel_rows < 1 || kernel_cols < 1)
    throw std::invalid_argument("WindowZeroHistogram: bad shape");
  counts_.assign(std::size_t(channels) * std::size_t(bins()), 0);
}

bool has_window_statistics(const ir::Layer& layer) {
  return layer.kind == ir::LayerKind::Convolution || layer.kind == ir::LayerKind::InnerProduct;
}

WindowZeroHistogram WindowZeroHistogram::for_layer(const ir::Layer& layer) {
  if (layer.kind == ir::LayerKind::Convolution)
    return WindowZeroHistogram(layer.input_shape().channels, layer.window.kernel_rows, layer.window.kernel_cols);
  if (layer.kind == ir::LayerKind::InnerProduct)
    return WindowZeroHistogram(int(layer.input_shape().elements()), 1, 1);
  throw std::invalid_argument("layer '" + layer.name + "' has no window statistics");
}

std::int64_t WindowZeroHistogram::windows() const {
  if (channels_ == 0) return 0;
  std::int64_t n = 0;
  for (std::int64_t v : row(0)) n += v;
  return n;
}

void WindowZeroHistogram::add(const WindowZeroHistogram& other) {
  if (other.channels_ != channels_ || other.kernel_rows_ != kernel_rows_ || other.kernel_cols_ != kernel_cols_)
    throw std::invalid_argument("WindowZeroHistogram::add: shape mismatch");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
}

void WindowZeroHistogram::clear() { std::fill(counts_.begin(), counts_.end(), 0); }

ir::SparsityStats WindowZeroHistogram::stats() const {
  ir::SparsityStats s;
  s.kernel_rows = kernel_rows_;
  s.kernel_cols = kernel_cols_;
  s.windows = windows();
  if (s.windows <= 0) throw std::logic_error("WindowZeroHistogram::stats: no window counted");
  s.histogram.assign(channels_, std::vector<double>(bins(), 0.0));
  s.counts.assign(channels_, std::vector<std::int64_t>(bins(), 0));
  for (int c = 0; c < channels_; ++c) {
    auto r = row(c);
    for (int z = 0; z < bins(); ++z) {
      s.counts[c][z] = r[z];
      s.histogram[c][z] = double(r[z]) / double(s.windows);
    }
  }
  const auto per_channel = s.channel_sparsity();
  double sum = 0.0;
  for (double v : per_channel) sum += v;
  s.mean_sparsity = per_channel.empty() ? 0.0 : sum / double(per_channel.size());
  return s;
}

// Separable window sums (model.md §5.1 windows over the zero-padded input): zero indicators of the
// padded plane, then per output row the column sums over Kr rows, then sums of Kc columns at the
// column stride. The inner loops are plain byte/short adds the compiler vectorises; four partial
// histograms break the store-to-load chain when neighbouring windows fall in the same bin.
void count_plane_windows(const float* plane, int rows, int cols, const ir::Window& w, std::span<std::int64_t> row,
                         WindowScratch& s) {
  const int kr = w.kernel_rows, kc = w.kernel_cols, sr = w.stride_rows, sc = w.stride_cols;
  const int out_rows = ir::window_output_size(rows, kr, sr, w.pad_top, w.pad_bottom);
  const int out_cols = ir::window_output_size(cols, kc, sc, w.pad_left, w.pad_right);
  if (out_rows <= 0 || out_cols <= 0) return;

  if (kr * kc == 1) {  // 1×1: each window is one element or one padding zero
    const int j0 = std::clamp((w.pad_left + sc - 1) / sc, 0, out_cols);  // first in-bounds column
    const int j1 = std::clamp((cols - 1 + w.pad_left) / sc + 1, j0, out_cols);
    std::int64_t zeros = 0;
    for (int i = 0; i < out_rows; ++i) {
      const int r = i * sr - w.pad_top;
      if (r < 0 || r >= rows) {
        zeros += out_cols;
        continue;
      }
      const float* line = plane + std::size_t(r) * cols + (std::ptrdiff_t(j0) * sc - w.pad_left);
      std::int64_t z = out_cols - (j1 - j0);
      if (sc == 1)
        z += zeros_in(line, j1 - j0);
      else
        for (int j = 0; j < j1 - j0; ++j) z += line[std::size_t(j) * sc] == 0.0f;
      zeros += z;
    }
    row[1] += zeros;
    row[0] += std::int64_t(out_rows) * out_cols - zeros;
    return;
  }

  const int padded_rows = (out_rows - 1) * sr + kr;  // rows and columns some window touches
  const int padded_cols = (out_cols - 1) * sc + kc;
  mark_padded_zeros(plane, rows, cols, w, padded_rows, padded_cols, s.zeros);

  const int bins = kr * kc + 1;
  s.column_zeros.resize(std::size_t(padded_cols));
  s.window_zeros.resize(std::size_t(out_cols));
  s.bins.assign(4 * std::size_t(bins), 0);
  std::uint16_t* col = s.column_zeros.data();
  std::uint16_t* win = s.window_zeros.data();
  std::uint32_t* part = s.bins.data();
  for (int i = 0; i < out_rows; ++i) {
    const std::uint8_t* top = s.zeros.data() + std::size_t(i) * sr * padded_cols;
    for (int c = 0; c < padded_cols; ++c) col[c] = top[c];
    for (int k = 1; k < kr; ++k) {
      const std::uint8_t* z = top + std::size_t(k) * padded_cols;
      for (int c = 0; c < padded_cols; ++c) col[c] = std::uint16_t(col[c] + z[c]);
    }
    if (sc == 1) {
      for (int j = 0; j < out_cols; ++j) win[j] = col[j];
      for (int k = 1; k < kc; ++k)
        for (int j = 0; j < out_cols; ++j) win[j] = std::uint16_t(win[j] + col[j + k]);
    } else {
      for (int j = 0; j < out_cols; ++j) {
        unsigned sum = 0;
        for (int k = 0; k < kc; ++k) sum += col[j * sc + k];
        win[j] = std::uint16_t(sum);
      }
    }
    int j = 0;
    for (; j + 4 <= out_cols; j += 4) {
      ++part[win[j]];
      ++part[bins + win[j + 1]];
      ++part[2 * bins + win[j + 2]];
      ++part[3 * bins + win[j + 3]];
    }
    for (; j < out_cols; ++j) ++part[win[j]];
  }
  for (int z = 0; z < bins; ++z)
    row[z] += std::int64_t(part[z]) + part[bins + z] + part[2 * bins + z] + part[3 * bins + z];
}

void count_plane_product_windows(const float* plane, int rows, int cols, const ir::Window& w,
                                 std::span<const std::pair<std::uint64_t, std::int64_t>> masks,
                                 std::span<std::int64_t> row, WindowScratch& s) {
  // Trained weights are seldom exactly zero: with one all-nonzero mask this is the activation
  // statistic, each window counted once per filter.
  if (masks.size() == 1 && masks[0].first == 0) {
    s.once.assign(row.size(), 0);
    count_plane_windows(plane, rows, cols, w, s.once, s);
    for (std::size_t z = 0; z < row.size(); ++z) row[z] += s.once[z] * masks[0].second;
    return;
  }
  const int kr = w.kernel_rows, kc = w.kernel_cols, sr = w.stride_rows, sc = w.stride_cols;
  const int out_rows = ir::window_output_size(rows, kr, sr, w.pad_top, w.pad_bottom);
  const int out_cols = ir::window_output_size(cols, kc, sc, w.pad_left, w.pad_right);
  if (out_rows <= 0 || out_cols <= 0) return;
  const int padded_rows = (out_rows - 1) * sr + kr, padded_cols = (out_cols - 1) * sc + kc;
  mark_padded_zeros(plane, rows, cols, w, padded_rows, padded_cols, s.zeros);
  for (int i = 0; i < out_rows; ++i)
    for (int j = 0; j < out_cols; ++j) {
      std::uint64_t a = 0;  // the window's zero activations, bit k = position k
      for (int y = 0; y < kr; ++y) {
        const std::uint8_t* z = s.zeros.data() + std::size_t(i * sr + y) * padded_cols + std::size_t(j) * sc;
        for (int x = 0; x < kc; ++x) a |= std::uint64_t(z[x]) << (y * kc + x);
      }
      for (const auto& [m, filters] : masks) row[std::size_t(std::popcount(a | m))] += filters;
    }
}

void count_layer_windows(const ir::Layer& layer, const engine::Tensor& input, WindowZeroHistogram& hist,
                         int threads, std::int64_t* input_zeros, const WeightZeroMasks* masks) {
  const std::int64_t image_size = input.image_size();
  if (image_size != layer.input_shape().elements() || std::int64_t(input.data.size()) != image_size * input.batch)
    throw std::invalid_argument("count_layer_windows: input of '" + layer.name + "' is " +
                                ir::to_string(input.shape) + ", expected " + ir::to_string(layer.input_shape()));
  const int batch = input.batch;
  const int team = threads > 0 ? threads : omp_get_max_threads();
  if (masks && std::int64_t(masks->size()) != hist.channels())
    throw std::invalid_argument("count_layer_windows: weight masks of '" + layer.name + "' do not match its channels");

  if (layer.kind == ir::LayerKind::InnerProduct) {  // each element is a 1×1 window; rows are disjoint
    if (hist.channels() != image_size || hist.kernel_size() != 1)
      throw std::invalid_argument("count_layer_windows: histogram shape mismatch for '" + layer.name + "'");
    std::int64_t total = 0;
#pragma omp parallel for num_threads(team) schedule(static) reduction(+ : total) \
    if (image_size * batch >= kParallelElements)
    for (std::int64_t e = 0; e < image_size; ++e) {
      std::int64_t zeros = 0;
      for (int n = 0; n < batch; ++n) zeros += input.image(n)[e] == 0.0f;
      auto r = hist.row(int(e));
      if (masks) {  // a zero input zeroes every product; a non-zero one only those of zero weights
        for (const auto& [m, filters] : (*masks)[std::size_t(e)]) {
          r[1] += zeros * filters + (m ? (batch - zeros) * filters : 0);
          r[0] += m ? 0 : (batch - zeros) * filters;
        }
      } else {
        r[1] += zeros;
        r[0] += batch - zeros;
      }
      total += zeros;
    }
    if (input_zeros) *input_zeros += total;
    return;
  }
  if (layer.kind != ir::LayerKind::Convolution) throw std::invalid_argument("count_layer_windows: not a conv");

  const ir::Shape& s = layer.input_shape();
  if (hist.channels() != s.channels || hist.kernel_rows() != layer.window.kernel_rows ||
      hist.kernel_cols() != layer.window.kernel_cols)
    throw std::invalid_argument("count_layer_windows: histogram shape mismatch for '" + layer.name + "'");
  const std::size_t plane = std::size_t(s.rows) * std::size_t(s.cols);
  const std::size_t table = std::size_t(s.channels) * std::size_t(hist.bins());
  const std::int64_t items = std::int64_t(batch) * s.channels;
  const bool parallel = std::int64_t(input.data.size()) >= kParallelElements;
  const int used = parallel ? int(std::min<std::int64_t>(team, std::max<std::int64_t>(items, 1))) : 1;
  std::vector<std::int64_t> local(std::size_t(used) * table, 0);  // per-thread tables, merged in order
  std::int64_t total = 0;

#pragma omp parallel num_threads(used) reduction(+ : total) if (parallel)
  {
    const std::size_t t = std::size_t(omp_get_thread_num());
    WindowScratch scratch;
    std::int64_t* mine = local.data() + t * table;
#pragma omp for schedule(dynamic)  // a preempted thread holds back one plane, not half
    for (std::int64_t item = 0; item < items; ++item) {
      const int n = int(item / s.channels), c = int(item % s.channels);
      const float* p = input.image(n) + std::size_t(c) * plane;
      const std::span<std::int64_t> row{mine + std::size_t(c) * hist.bins(), std::size_t(hist.bins())};
      if (masks)
        count_plane_product_windows(p, s.rows, s.cols, layer.window, (*masks)[std::size_t(c)], row, scratch);
      else
        count_plane_windows(p, s.rows, s.cols, layer.window, row, scratch);
      if (input_zeros) total += zeros_in(p, std::int64_t(plane));  // the plane is still in cache
    }
  }
  if (input_zeros) *input_zeros += total;
  for (int t = 0; t < used; ++t)
    for (int c = 0; c < s.channels; ++c) {
      auto r = hist.row(c);
      const std::int64_t* src = local.data() + std::size_t(t) * table + std::size_t(c) * hist.bins();
      for (int z = 0; z < hist.bins(); ++z) r[z] += src[z];
    }
}

std::int64_t count_zeros(const engine::Tensor& tensor, int threads) {
  const std::int64_t n = std::int64_t(tensor.data.size());
  const int team = threads > 0 ? threads : omp_get_max_threads();
  const std::int64_t chunk = 1 << 16;
  std::int64_t zeros = 0;
#pragma omp parallel for num_threads(team) reduction(+ : zeros) schedule(dynamic) if (n >= kParallelElements)
  for (std::int64_t i = 0; i < n; i += chunk) zeros += zeros_in(tensor.data.data() + i, std::min(chunk, n - i));
  return zeros;
}

}  // namespace sparsedse::sparsity
