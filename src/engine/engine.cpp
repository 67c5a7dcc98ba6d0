#include "sparsedse/engine/engine.hpp"

#include <algorithm>
#include <cmath>

#include <omp.h>

#include "kernels.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"

namespace sparsedse::engine {

using ir::LayerKind;
using ir::Vertex;

namespace {

std::string where(const ir::Graph& g, const ir::Layer& l) {
  return (g.name.empty() ? std::string("model") : g.name) + ": layer '" + l.name + "'";
}

// Tensors are float32: a grid value needs at most 24 significant bits to be held exactly.
void check_data_format(const FixedFormat& f, const std::string& at) {
  const int magnitude = f.is_signed ? f.width - 1 : f.width;
  if (f.width < 2 || magnitude > 24 || f.frac < -32 || f.frac > 64)
    throw InputError(at, "data format ap_fixed<" + std::to_string(f.width) + ", " + std::to_string(f.integer_bits()) +
                             "> is not supported by the engine (width 2..24 bits, fraction bits -32..64)");
}

void check_weight_format(const FixedFormat& f, const std::string& at) {
  if (f.width < 2 || f.width > 32 || f.frac < -32 || f.frac > 64)
    throw InputError(at, "weight format ap_fixed<" + std::to_string(f.width) + ", " +
                             std::to_string(f.integer_bits()) + "> is not supported (width 2..32, fraction bits -32..64)");
}

// A buffer last used for outputs of `image_size` floats per image (any batch), or an empty one.
std::vector<float> take_buffer(std::multimap<std::int64_t, std::vector<float>>& buffers, std::int64_t image_size) {
  std::vector<float> b;
  if (auto it = buffers.find(image_size); it != buffers.end()) {
    b = std::move(it->second);
    buffers.erase(it);
  }
  return b;
}

}  // namespace

Engine::Engine(const ir::Graph& graph, Numerics numerics, int threads)
    : graph_(graph), numerics_(std::move(numerics)), threads_(threads > 0 ? threads : omp_get_num_procs()) {
  const std::size_t n = graph_.size();
  order_ = graph_.topological_order();
  inputs_ = graph_.inputs();
  std::vector<Vertex> outputs = graph_.outputs();
  const std::string model = graph_.name.empty() ? std::string("model") : graph_.name;
  if (inputs_.empty()) throw InputError(model, "the model has no input layer");
  if (outputs.size() != 1)
    throw InputError(model, "the engine runs graphs with exactly one output layer, this one has " +
                                std::to_string(outputs.size()));
  std::sort(inputs_.begin(), inputs_.end(),
            [&](Vertex a, Vertex b) { return graph_.layer(a).name < graph_.layer(b).name; });
  output_ = outputs[0];
  producers_.resize(n);
  for (Vertex v : order_) producers_[v] = graph_.predecessors(v);

  // Peak live activations of one image, freeing tensors after their last consumer as run() does (a Split
  // shares its producer's tensor: counted as a copy, an overestimate by at most that tensor).
  {
    std::vector<int> pending(n, 0);
    for (Vertex v : order_)
      for (Vertex p : producers_[v]) ++pending[p];
    std::int64_t live = 0;
    for (Vertex v : order_) {
      const ir::Layer& l = graph_.layer(v);
      live += l.output_shape.elements() * std::int64_t(sizeof(float));
      activation_bytes_per_image_ = std::max(activation_bytes_per_image_, live);
      for (Vertex p : producers_[v])
        if (--pending[p] == 0)
          live -= graph_.layer(p).output_shape.elements() * std::int64_t(sizeof(float));
    }
  }

  const bool fixed = numerics_.mode == Numerics::Mode::Fixed;
  for (const auto& [name, f] : numerics_.layer_data) {
    if (!graph_.contains(name)) throw InputError("numerics", "per-layer data format for unknown layer '" + name + "'");
    const LayerKind k = graph_.layer(name).kind;
    if (k == LayerKind::ReLU || k == LayerKind::Split || k == LayerKind::Flatten)
      throw InputError("numerics", "'" + name + "' is a " + std::string(ir::to_string(k)) +
                                       ", which keeps its input's format (no cast in hardware)");
  }
  for (const auto& [name, f] : numerics_.layer_weights)
    if (!graph_.contains(name) || !graph_.layer(name).is_weighted())
      throw InputError("numerics", "per-layer weight format for '" + name + "', which is not a Convolution or InnerProduct");

  // Output data formats: ReLU, Split and Flatten forward their producer's grid (no arithmetic, no cast,
  // docs/fixed-point.md); every other layer casts to its own.
  out_format_.assign(n, numerics_.data);
  for (Vertex v : order_) {
    const ir::Layer& l = graph_.layer(v);
    if (l.kind == LayerKind::ReLU || l.kind == LayerKind::Split || l.kind == LayerKind::Flatten)
      out_format_[v] = out_format_[producers_[v].at(0)];
    else out_format_[v] = numerics_.data_format(l.name);
    if (fixed) check_data_format(out_format_[v], where(graph_, l));
  }

  prepared_.assign(n, nullptr);
  for (Vertex v : order_) {
    const ir::Layer& l = graph_.layer(v);
    if (!l.is_weighted()) continue;
    auto p = std::make_shared<Prepared>();
    p->geometry = ConvGeometry::of(l);
    p->fully_connected = l.kind == LayerKind::InnerProduct;
    const ConvGeometry& g = p->geometry;
    const int mg = g.group_filters(), depth = g.depth();
    if (std::int64_t(l.weights.size()) != std::int64_t(g.filters) * depth)
      throw InputError(where(graph_, l), "weights have " + std::to_string(l.weights.size()) + " values, expected " +
                                             std::to_string(std::int64_t(g.filters) * depth) + " (run shape inference)");
    if (!fixed) {
      const auto& k = gemm::best_kernel<float>();
      for (int grp = 0; grp < g.groups; ++grp)
        p->weights_f32.push_back(gemm::pack_a(l.weights.data() + std::size_t(grp) * mg * depth, mg, depth, depth, k));
      p->bias_f32.assign(std::size_t(g.filters), 0.0f);
      for (int f = 0; f < g.filters && l.has_bias(); ++f) p->bias_f32[std::size_t(f)] = l.bias[f];
    } else {
      p->input_format = out_format_[producers_[v].at(0)];
      p->weight_format = numerics_.weight_format(l.name);
      check_weight_format(p->weight_format, where(graph_, l));
      p->accumulator = sparsedse::accumulator_format(p->input_format, p->weight_format, depth);
      p->weights_raw.resize(std::size_t(l.weights.size()));
      std::vector<double> grid(p->weights_raw.size());
      for (std::size_t i = 0; i < grid.size(); ++i) {
        p->weights_raw[i] = quantize_data(double(l.weights[Eigen::Index(i)]), p->weight_format);
        grid[i] = to_double(p->weights_raw[i], p->weight_format);
      }
      // The bias is added in the accumulator (hls.md §4 `bias`), so it is quantised to its grid.
      p->bias_raw.assign(std::size_t(g.filters), 0);
      for (int f = 0; f < g.filters && l.has_bias(); ++f)
        p->bias_raw[std::size_t(f)] = quantize(double(l.bias[f]), p->accumulator.format, Rounding::rnd, Overflow::sat);
      // Double sums of grid products are exact while Σ|x·w| < 2^53 (docs/fixed-point.md).
      const auto magnitude = [](const FixedFormat& f) { return f.is_signed ? f.width - 1 : f.width; };
      p->exact_in_double =
          ceil_log2(depth) + magnitude(p->input_format) + magnitude(p->weight_format) <= 52;
      // int16 codes, int32 sums: every partial sum of filter f is at most Σ|w_code| · max|x_code| in
      // magnitude, so with the largest such L1 times the largest input code below 2^31 none overflows
      // (and vpdpwssd / vpmaddwd, which wrap, give the exact sum). Else the bound is checked per call
      // with the input's actual largest code (int16_exact).
      const auto fits_int16 = [&](const FixedFormat& f) { return magnitude(f) <= 15; };
      if (fits_int16(p->input_format) && fits_int16(p->weight_format)) {
        std::vector<std::int16_t> codes(p->weights_raw.begin(), p->weights_raw.end());
        for (int f = 0; f < g.filters; ++f) {
          std::int64_t l1 = 0;
          for (int i = 0; i < depth; ++i) l1 += std::abs(p->weights_raw[std::size_t(f) * depth + i]);
          p->max_filter_l1 = std::max(p->max_filter_l1, l1);
        }
        const std::int64_t max_code = std::int64_t{1} << magnitude(p->input_format);  // −2^15 for signed 16
        p->int16_always = p->max_filter_l1 * max_code < (std::int64_t{1} << 31);
        const auto& k = gemm::best_kernel<std::int16_t>();
        for (int grp = 0; grp < g.groups; ++grp)
          p->weights_i16.push_back(gemm::pack_a(codes.data() + std::size_t(grp) * mg * depth, mg, depth, depth, k));
      }
      if (p->exact_in_double && !p->int16_always) {
        const auto& k = gemm::best_kernel<double>();
        for (int grp = 0; grp < g.groups; ++grp)
          p->weights_f64.push_back(gemm::pack_a(grid.data() + std::size_t(grp) * mg * depth, mg, depth, depth, k));
      }
    }
    prepared_[v] = std::move(p);
  }
}

void Engine::set_threshold(const std::string& relu_name, float threshold) {
  ir::Layer& l = graph_.layer(relu_name);  // InputError if unknown
  if (l.kind != LayerKind::ReLU) throw InputError(relu_name, "is a " + std::string(ir::to_string(l.kind)) + ", not a ReLU");
  if (!(std::isfinite(threshold) && threshold >= 0.0f))
    throw InputError(relu_name, "threshold must be a finite number >= 0");
  l.threshold = threshold;
}

FixedFormat Engine::output_format(Vertex v) const { return out_format_.at(v); }

FixedFormat Engine::weight_format(Vertex v) const {
  const ir::Layer& l = graph_.layer(v);
  if (!l.is_weighted()) throw InputError(l.name, "has no weights");
  return numerics_.weight_format(l.name);
}

AccumulatorFormat Engine::accumulator_format(Vertex v) const {
  const ir::Layer& l = graph_.layer(v);
  if (!l.is_weighted()) throw InputError(l.name, "has no weights");
  return sparsedse::accumulator_format(out_format_.at(producers_.at(v).at(0)), weight_format(v),
                                       ConvGeometry::of(l).depth());
}

std::vector<std::int64_t> Engine::quantized_weights(Vertex v) const {
  const ir::Layer& l = graph_.layer(v);
  const FixedFormat f = weight_format(v);
  std::vector<std::int64_t> out(std::size_t(l.weights.size()));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = quantize_data(double(l.weights[Eigen::Index(i)]), f);
  return out;
}

std::vector<std::int64_t> Engine::quantized_bias(Vertex v) const {
  const ir::Layer& l = graph_.layer(v);
  const FixedFormat acc = accumulator_format(v).format;
  std::vector<std::int64_t> out(std::size_t(l.filters), 0);
  for (int f = 0; f < l.filters && l.has_bias(); ++f)
    out[std::size_t(f)] = quantize(double(l.bias[f]), acc, Rounding::rnd, Overflow::sat);
  return out;
}

std::int64_t Engine::quantized_threshold(Vertex v) const {
  const ir::Layer& l = graph_.layer(v);
  if (l.kind != LayerKind::ReLU) throw InputError(l.name, "is not a ReLU");
  return quantize_threshold(double(l.threshold), out_format_.at(producers_.at(v).at(0)));
}

Tensor Engine::compute(Vertex v, const std::vector<const Tensor*>& in, std::vector<float> storage) const {
  const ir::Layer& l = graph_.layer(v);
  const bool fixed = numerics_.mode == Numerics::Mode::Fixed;
  const std::vector<Vertex>& prods = producers_.at(v);
  const std::size_t ports = l.kind == LayerKind::Input ? 1 : prods.size();
  if (in.size() != ports)
    throw InputError(where(graph_, l), "expects " + std::to_string(ports) + " input tensors, got " +
                                           std::to_string(in.size()));
  const int batch = in.at(0)->batch;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const ir::Shape& expected = l.kind == LayerKind::Input ? l.output_shape : l.input_shapes.at(i);
    if (!(in[i]->shape == expected) || in[i]->batch != batch ||
        in[i]->data.size() != std::size_t(batch) * std::size_t(expected.elements()))
      throw InputError(where(graph_, l), "input " + std::to_string(i) + " is " + std::to_string(in[i]->batch) + "x" +
                                             ir::to_string(in[i]->shape) + ", expected a batch of " +
                                             ir::to_string(expected));
  }
  const FixedFormat out_fmt = out_format_.at(v);
  const FixedFormat in_fmt = prods.empty() ? out_fmt : out_format_.at(prods[0]);
  // Every kernel writes all of its output, so recycled storage needs no clearing.
  Tensor out;
  out.batch = batch;
  out.shape = l.output_shape;
  out.data = std::move(storage);
  out.data.resize(std::size_t(batch) * std::size_t(l.output_shape.elements()));
  switch (l.kind) {
    case LayerKind::Input:
      out.data = in[0]->data;
      if (fixed) quantize_in_place(out.data.data(), out.data.size(), out_fmt);  // hls.md §8 narrowing point (1)
      break;
    case LayerKind::Convolution:
    case LayerKind::InnerProduct:
      convolution(*prepared_.at(v), *in[0], out, WeightedEpilogue{fixed, prepared_.at(v).get(), out_fmt}, threads_);
      break;
    case LayerKind::ReLU: {
      float t = l.threshold;
      // Compare on the input grid with the floor-quantised threshold: x > t_q ⇔ x > t (hls.md §8).
      if (fixed) t = float(to_double(quantize_threshold(double(l.threshold), in_fmt), in_fmt));
      relu(*in[0], out, t, threads_);
      break;
    }
    case LayerKind::MaxPool:
      max_pool(l, *in[0], out, fixed, threads_);
      if (fixed) cast_in_place(out.data.data(), out.data.size(), in_fmt, out_fmt);
      break;
    case LayerKind::AveragePool:
      average_pool(l, *in[0], out, fixed, in_fmt, out_fmt, threads_);
      break;
    case LayerKind::GlobalAveragePool:
      global_average_pool(*in[0], out, fixed, in_fmt, out_fmt, threads_);
      break;
    case LayerKind::EltwiseAdd: {
      std::vector<FixedFormat> fmts;
      for (Vertex p : prods) fmts.push_back(out_format_.at(p));
      eltwise_add(in, out, fixed, fmts, out_fmt, threads_);
      break;
    }
    case LayerKind::Concat: {
      concat(in, out);
      if (fixed) {
        const std::size_t plane = std::size_t(l.output_shape.rows) * l.output_shape.cols;
        for (int n = 0; n < batch; ++n) {
          float* dst = out.image(n);
          for (std::size_t i = 0; i < in.size(); ++i) {
            const std::size_t size = std::size_t(in[i]->shape.channels) * plane;
            cast_in_place(dst, size, out_format_.at(prods[i]), out_fmt);
            dst += size;
          }
        }
      }
      break;
    }
    case LayerKind::Flatten:
    case LayerKind::Split:
      out.data = in[0]->data;  // the same values; Flatten only renames the shape
      break;
  }
  return out;
}

Tensor Engine::run_layer(Vertex v, const std::vector<const Tensor*>& inputs) const {
  // The caller keeps the result, so a pooled buffer leaves the pool: memory run() left behind serves
  // incremental re-evaluation instead of sitting next to it.
  std::vector<float> storage;
  {
    std::lock_guard<std::mutex> lock(pool_.mutex);
    storage = take_buffer(pool_.buffers, graph_.layer(v).output_shape.elements());
  }
  return compute(v, inputs, std::move(storage));
}

Tensor Engine::run(const Tensor& input, ActivationObserver* observer) const {
  if (inputs_.size() != 1)
    throw InputError(graph_.name.empty() ? "model" : graph_.name,
                     "the model has " + std::to_string(inputs_.size()) + " inputs; pass one tensor per input");
  return run(std::vector<const Tensor*>{&input}, observer);
}

Tensor Engine::run(const std::vector<const Tensor*>& inputs, ActivationObserver* observer) const {
  const std::string model = graph_.name.empty() ? "model" : graph_.name;
  if (inputs.size() != inputs_.size())
    throw InputError(model, "expects " + std::to_string(inputs_.size()) + " input tensors, got " +
                                std::to_string(inputs.size()));
  std::vector<const Tensor*> given(graph_.size(), nullptr);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ir::Layer& l = graph_.layer(inputs_[i]);
    if (!(inputs[i]->shape == l.output_shape))
      throw InputError(model, "the input is " + ir::to_string(inputs[i]->shape) + " but the model expects " +
                                  ir::to_string(l.output_shape) + (inputs_.size() > 1 ? " at '" + l.name + "'" : ""));
    if (inputs[i]->batch <= 0 || inputs[i]->batch != inputs[0]->batch)
      throw InputError(model, "input batches must be non-empty and of equal size");
    given[inputs_[i]] = inputs[i];
  }
  check_memory_budget(saturating_mul(std::uint64_t(inputs[0]->batch), std::uint64_t(activation_bytes_per_image_)),
                      model, "running a batch of " + std::to_string(inputs[0]->batch) + " images (activations)");
  // Tensors live until their last consumer has run; a Split forwards its producer's tensor unchanged.
  // Freed storage goes back to `spare` for later outputs of the same image size. This run takes the
  // engine's pool whole and returns it at the end: a concurrent run finds it empty and allocates.
  std::multimap<std::int64_t, std::vector<float>> spare;
  {
    std::lock_guard<std::mutex> lock(pool_.mutex);
    spare.swap(pool_.buffers);
  }
  const auto recycle = [&](std::shared_ptr<Tensor>& t) {
    if (t.use_count() == 1) spare.emplace(t->image_size(), std::move(t->data));
    t.reset();
  };
  std::vector<std::shared_ptr<Tensor>> values(graph_.size());
  std::vector<int> pending(graph_.size(), 0);
  for (Vertex v : order_)
    for (Vertex p : producers_[v]) ++pending[p];
  for (Vertex v : order_) {
    const ir::Layer& l = graph_.layer(v);
    std::vector<const Tensor*> in;
    if (l.kind == LayerKind::Input) {
      in.push_back(given[v]);
    } else {
      for (Vertex p : producers_[v]) in.push_back(values[p].get());
      if (observer)
        for (std::size_t port = 0; port < in.size(); ++port) observer->observe(l, int(port), *in[port]);
    }
    if (l.kind == LayerKind::Split) {
      values[v] = values[producers_[v][0]];
    } else {
      values[v] = std::make_shared<Tensor>(compute(v, in, take_buffer(spare, l.output_shape.elements())));
    }
    if (observer && l.kind != LayerKind::Input) observer->observe_output(l, *values[v]);
    for (Vertex p : producers_[v])
      if (--pending[p] == 0) recycle(values[p]);
  }
  Tensor logits = *values[output_];  // a copy (small): the caller's result never shares pooled storage
  recycle(values[output_]);
  {
    std::lock_guard<std::mutex> lock(pool_.mutex);
    if (pool_.buffers.empty()) pool_.buffers.swap(spare);  // else a concurrent run's pool is kept: drop ours
  }
  return logits;
}

int argmax_class(const Tensor& logits, int n) {
  const float* x = logits.image(n);
  const std::int64_t classes = logits.image_size();
  return int(std::max_element(x, x + classes) - x);  // the first maximum
}

bool in_top_k(const Tensor& logits, int n, int label, int k) {
  const float* x = logits.image(n);
  const std::int64_t classes = logits.image_size();
  if (label < 0 || label >= classes) return false;
  // Rank of the label with ties broken toward the lower index (consistent with argmax_class).
  std::int64_t ahead = 0;
  for (std::int64_t c = 0; c < classes; ++c)
    if (x[c] > x[label] || (x[c] == x[label] && c < label)) ++ahead;
  return ahead < k;
}

}  // namespace sparsedse::engine
