#include "sparsedse/sparsity/profiler.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"
#include "sparsedse/sparsity/window_histogram.hpp"

namespace sparsedse::sparsity {

namespace {

std::size_t tensor_bytes(const ir::Shape& shape, std::int64_t images) {
  return std::size_t(shape.elements()) * std::size_t(images) * sizeof(float);
}

}  // namespace

struct Profiler::Impl {
  engine::Engine engine;
  const data::Dataset& data;
  ProfilerOptions options;

  std::vector<ir::Vertex> order;                 // topological
  std::vector<ir::Vertex> root;                  // a Split resolves to its producer's root
  std::vector<std::vector<ir::Vertex>> sources;  // per vertex and port: root of the producer
  ir::Vertex input = 0, output = 0;
  std::int64_t images = 0;
  int batches = 0;

  std::vector<bool> kept;                          // cache plan, per vertex
  std::vector<std::vector<engine::Tensor>> cache;  // [vertex][batch], kept vertices only
  std::size_t cache_used = 0;

  std::vector<std::optional<WindowZeroHistogram>> hist;  // Convolution / InnerProduct
  std::vector<WeightZeroMasks> weight_masks;  // hist_source = products only: per Convolution / InnerProduct
  std::vector<std::int64_t> relu_zeros;                   // ReLU output zeros over all images
  std::vector<ir::Vertex> zero_counter;  // per ReLU: the conv whose window count also counts its zeros
  std::vector<float> applied;                             // ReLU thresholds in the engine
  std::vector<std::uint8_t> hit1, hit5;                   // per image
  ProfileResult result;
  ProfileWork work;
  bool valid = false;  // false until a pass completes (and after a failed one)

  Impl(const ir::Graph& g, engine::Numerics numerics, const data::Dataset& calibration, ProfilerOptions opt)
      : engine(g, std::move(numerics), opt.threads), data(calibration), options(opt) {
    const ir::Graph& graph = engine.graph();
    if (options.batch < 1) throw InputError("profiler", "batch must be >= 1");
    images = data.size();
    if (images < 1) throw InputError(data.spec().source.string(), "the calibration set is empty");
    batches = int((images + options.batch - 1) / options.batch);
    input = engine.input_vertex();  // the engine checked: one input, one output
    output = engine.output_vertex();
    const data::ImageShape image = data.shape();
    const ir::Shape& in = graph.layer(input).output_shape;
    if (image.channels != in.channels || image.rows != in.rows || image.cols != in.cols)
      throw InputError(data.spec().source.string(), "images are " + data::to_string(image) + " but model '" +
                                                        graph.name + "' expects " + ir::to_string(in));

    const std::size_t n = graph.size();
    order = graph.topological_order();
    root.resize(n);
    sources.resize(n);
    hist.resize(n);
    relu_zeros.assign(n, 0);
    applied.assign(n, -1.0f);
    for (ir::Vertex v : order) {
      const ir::Layer& l = graph.layer(v);
      for (ir::Vertex p : graph.predecessors(v)) sources[v].push_back(root[p]);
      root[v] = l.kind == ir::LayerKind::Split ? sources[v].at(0) : v;
      if (has_window_statistics(l)) hist[v] = WindowZeroHistogram::for_layer(l);
    }
    if (options.hist_source == HistSource::products) {
      weight_masks.resize(n);
      for (ir::Vertex v : order)
        if (hist[v]) weight_masks[v] = weight_zero_masks(engine, v);
    }
    // A ReLU feeding a conv has its zeros counted with that conv's windows: one pass less over the tensor.
    zero_counter.assign(n, kNone);
    for (ir::Vertex v : order)
      if (hist[v] && graph.layer(sources[v][0]).kind == ir::LayerKind::ReLU && zero_counter[sources[v][0]] == kNone)
        zero_counter[sources[v][0]] = v;
    plan_cache();
  }

  static constexpr ir::Vertex kNone = ~ir::Vertex{0};

  const ir::Graph& graph() const { return engine.graph(); }

  // Window count of conv/IP v on its input, with the producing ReLU's zeros when v counts them.
  void count_windows(ir::Vertex v, const engine::Tensor& in) {
    const ir::Vertex src = sources[v][0];
    std::int64_t* zeros = zero_counter[src] == v ? &relu_zeros[src] : nullptr;
    count_layer_windows(graph().layer(v), in, *hist[v], options.threads, zeros,
                        weight_masks.empty() ? nullptr : &weight_masks[v]);
  }
  bool is_alias(ir::Vertex v) const { return root[v] != v; }

  void plan_cache() {
    kept.assign(graph().size(), false);
    cache.assign(graph().size(), {});
    kept[input] = true;  // the root of every recomputation
    std::size_t used = tensor_bytes(graph().layer(input).output_shape, images);
    check_memory_budget(used, data.spec().source.empty() ? "profiler" : data.spec().source.string(),
                        "the profiler's copy of the " + std::to_string(images) + " calibration images");
    // The cache takes at most half the memory budget: the rest is for the model, the dataset and the
    // engine's batch activations.
    const std::uint64_t limit = std::min<std::uint64_t>(options.cache_bytes, memory_budget() / 2);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const ir::Vertex v = *it;
      if (v == input || v == output || is_alias(v)) continue;
      const std::size_t bytes = tensor_bytes(graph().layer(v).output_shape, images);
      if (used + bytes > limit) continue;
      kept[v] = true;
      used += bytes;
    }
    for (ir::Vertex v : order)
      if (kept[v]) cache[v].resize(std::size_t(batches));
    cache_used = used;
  }

  std::int64_t batch_first(int b) const { return std::int64_t(b) * options.batch; }
  int batch_size(int b) const { return int(std::min<std::int64_t>(options.batch, images - batch_first(b))); }

  void score(int b, const engine::Tensor& logits) {
    for (int n = 0; n < logits.batch; ++n) {
      const std::int64_t i = batch_first(b) + n;
      const int label = data.label(i);
      hit1[std::size_t(i)] = engine::argmax_class(logits, n) == label;
      hit5[std::size_t(i)] = engine::in_top_k(logits, n, label, 5);
    }
  }

  // A finished layer output of batch b: count it if it is a ReLU's, keep it if planned.
  void absorb(ir::Vertex v, int b, const engine::Tensor& t) {
    if (graph().layer(v).kind == ir::LayerKind::ReLU && zero_counter[v] == kNone)
      relu_zeros[v] += count_zeros(t, options.threads);
    if (kept[v]) cache[v][std::size_t(b)] = t;
  }

  // Counts windows on layer inputs; takes layer outputs (and the quantised network input) as they complete.
  struct PassObserver final : engine::ActivationObserver {
    Impl& p;
    int b;
    std::vector<char> seen;
    PassObserver(Impl& impl, int batch) : p(impl), b(batch), seen(impl.graph().size(), 0) {}
    void take(ir::Vertex v, const engine::Tensor& t) {
      if (p.is_alias(v) || seen[v]) return;
      seen[v] = 1;
      p.absorb(v, b, t);
    }
    void observe(const ir::Layer& layer, int port, const engine::Tensor& input) override {
      const ir::Vertex v = p.graph().vertex(layer.name);
      if (port == 0 && p.hist[v]) p.count_windows(v, input);
      if (p.sources[v].at(std::size_t(port)) == p.input) take(p.input, input);
    }
    void observe_output(const ir::Layer& layer, const engine::Tensor& output) override {
      take(p.graph().vertex(layer.name), output);
    }
  };

  void full_pass() {
    for (auto& h : hist)
      if (h) h->clear();
    std::fill(relu_zeros.begin(), relu_zeros.end(), 0);
    std::int64_t runs = 0;
    for (ir::Vertex v : order) runs += !is_alias(v) && v != input;
    for (int b = 0; b < batches; ++b) {
      engine::Tensor x(batch_size(b), graph().layer(input).output_shape);
      data.fill(batch_first(b), x.batch, x.data.data());
      PassObserver observer(*this, b);
      const engine::Tensor logits = engine.run(x, &observer);
      observer.take(output, logits);
      score(b, logits);
      for (ir::Vertex v : order)
        if (!is_alias(v) && !observer.seen[v])
          throw std::logic_error("profiler: the engine never showed the output of layer '" + graph().layer(v).name +
                                 "' to the observer");
    }
    work = {};
    work.full_pass = true;
    work.layer_runs = runs * batches;
    for (ir::Vertex v : order)
      if (hist[v]) work.recounted.push_back(graph().layer(v).name);
  }

  // Re-run the layers downstream of `changed` ReLUs (model.md §8.1: only downstream histograms move).
  void incremental_pass(const std::vector<ir::Vertex>& changed) {
    const std::size_t n = graph().size();
    std::vector<char> dirty(n, 0);
    for (ir::Vertex v : changed) dirty[v] = 1;
    for (ir::Vertex v : order)  // topological: a vertex is dirty if any source is
      for (ir::Vertex s : sources[v])
        if (dirty[s]) dirty[root[v]] = 1;

    // Clean layers whose outputs some step reads but the cache does not hold: recompute them too.
    std::vector<char> step(n, 0);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const ir::Vertex v = *it;
      if (is_alias(v) || !(dirty[v] || step[v])) continue;
      step[v] = 1;
      for (ir::Vertex s : sources[v])
        if (!dirty[s] && !kept[s]) step[s] = 1;  // input is always kept, so this terminates
    }
    std::vector<ir::Vertex> steps;
    std::vector<int> readers(n, 0);  // how many steps read each vertex's output
    for (ir::Vertex v : order)
      if (step[v]) {
        steps.push_back(v);
        for (ir::Vertex s : sources[v]) ++readers[s];
      }

    for (ir::Vertex v : order) {
      if (!dirty[v]) continue;
      if (hist[v]) hist[v]->clear();
      relu_zeros[v] = 0;
    }
    work = {};
    for (int b = 0; b < batches; ++b) {
      std::vector<engine::Tensor> temp(n);  // outputs of this batch that are not kept
      std::vector<int> pending = readers;
      auto tensor = [&](ir::Vertex v) -> const engine::Tensor& {
        return kept[v] ? cache[v][std::size_t(b)] : temp[v];
      };
      for (ir::Vertex v : steps) {
        std::vector<const engine::Tensor*> inputs;
        for (ir::Vertex s : sources[v]) inputs.push_back(&tensor(s));
        const ir::Layer& layer = graph().layer(v);
        if (dirty[v] && hist[v]) count_windows(v, *inputs.at(0));
        engine::Tensor out = engine.run_layer(v, inputs);
        ++work.layer_runs;
        if (!dirty[v]) ++work.recomputed_runs;
        for (ir::Vertex s : sources[v])
          if (--pending[s] == 0 && !kept[s]) temp[s] = {};  // last reader done
        if (v == output) score(b, out);
        if (dirty[v] && layer.kind == ir::LayerKind::ReLU && zero_counter[v] == kNone)
          relu_zeros[v] += count_zeros(out, options.threads);
        if (dirty[v] && kept[v])
          cache[v][std::size_t(b)] = std::move(out);
        else if (pending[v] > 0)
          temp[v] = std::move(out);
      }
    }
    for (ir::Vertex v : steps)
      if (dirty[v] && hist[v]) work.recounted.push_back(graph().layer(v).name);
  }

  void collect() {
    result.images = images;
    std::int64_t top1 = 0, top5 = 0;
    for (std::size_t i = 0; i < hit1.size(); ++i) {
      top1 += hit1[i];
      top5 += hit5[i];
    }
    result.top1 = double(top1) / double(images);
    result.top5 = double(top5) / double(images);
    result.top1_hits = hit1;
    result.layers.clear();
    result.relu_zero_fraction.clear();
    for (ir::Vertex v : order) {
      const ir::Layer& l = graph().layer(v);
      if (hist[v]) result.layers[l.name] = hist[v]->stats();
      if (l.kind == ir::LayerKind::ReLU)
        result.relu_zero_fraction[l.name] =
            double(relu_zeros[v]) / (double(l.output_shape.elements()) * double(images));
    }
  }

  ProfileResult profile(const engine::Thresholds& t) {
    for (const auto& [name, value] : t.per_relu) {
      if (!graph().contains(name) || graph().layer(name).kind != ir::LayerKind::ReLU)
        throw InputError("thresholds: /relu/" + name, "model '" + graph().name + "' has no ReLU of that name");
      if (!(value >= 0.0f)) throw InputError("thresholds: /relu/" + name, "expected a threshold >= 0");
    }
    if (!(t.default_threshold >= 0.0f)) throw InputError("thresholds: /default", "expected a threshold >= 0");

    std::vector<ir::Vertex> changed;
    for (ir::Vertex v : order) {
      const ir::Layer& l = graph().layer(v);
      if (l.kind != ir::LayerKind::ReLU) continue;
      const float value = t.at(l.name);
      if (value != applied[v]) changed.push_back(v);
    }
    if (valid && changed.empty()) {
      work = {};
      return result;
    }
    const bool first = !valid;
    valid = false;
    for (ir::Vertex v : changed) {
      const std::string& name = graph().layer(v).name;
      engine.set_threshold(name, t.at(name));
      applied[v] = t.at(name);
    }
    if (first) {
      hit1.assign(std::size_t(images), 0);
      hit5.assign(std::size_t(images), 0);
      full_pass();
    } else {
      incremental_pass(changed);
    }
    collect();
    valid = true;
    return result;
  }
};

Profiler::Profiler(const ir::Graph& graph, engine::Numerics numerics, const data::Dataset& calibration,
                   ProfilerOptions options)
    : impl_(std::make_unique<Impl>(graph, std::move(numerics), calibration, options)) {}

Profiler::~Profiler() = default;

ProfileResult Profiler::profile(const engine::Thresholds& thresholds) { return impl_->profile(thresholds); }
const ProfileWork& Profiler::last_work() const { return impl_->work; }
std::size_t Profiler::cache_bytes_used() const { return impl_->cache_used; }
const engine::Engine& Profiler::engine() const { return impl_->engine; }

std::vector<std::string> Profiler::cached_layers() const {
  std::vector<std::string> names;
  for (ir::Vertex v : impl_->order)
    if (impl_->kept[v]) names.push_back(impl_->graph().layer(v).name);
  return names;
}

}  // namespace sparsedse::sparsity
