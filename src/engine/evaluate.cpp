#include "sparsedse/engine/evaluate.hpp"

#include <algorithm>

#include "sparsedse/common/error.hpp"

namespace sparsedse::engine {

void check_input_shape(const Engine& engine, const data::Dataset& dataset) {
  const ir::Shape& m = engine.input_shape();
  const data::ImageShape d = dataset.shape();
  if (m.channels != d.channels || m.rows != d.rows || m.cols != d.cols) {
    const std::string model = engine.graph().name.empty() ? std::string("the model") : engine.graph().name;
    throw InputError(dataset.spec().source.empty() ? std::string("dataset") : dataset.spec().source.string(),
                     "the dataset's images are " + data::to_string(d) + " (after padding and channel replication) but " +
                         model + " expects " + ir::to_string(m) + " (CxHxW)");
  }
}

Tensor load_batch(const data::Dataset& dataset, std::int64_t first, int count) {
  const data::ImageShape s = dataset.shape();
  Tensor t(count, ir::Shape{s.channels, s.rows, s.cols});
  dataset.fill(first, count, t.data.data());
  return t;
}

void ReluSparsityCounter::observe_output(const ir::Layer& layer, const Tensor& output) {
  if (layer.kind != ir::LayerKind::ReLU) return;
  const auto zeros = std::count(output.data.begin(), output.data.end(), 0.0f);
  auto& c = counts_[layer.name];
  c.first += zeros;
  c.second += std::int64_t(output.data.size());
}

std::map<std::string, double> ReluSparsityCounter::fractions() const {
  std::map<std::string, double> out;
  for (const auto& [name, c] : counts_) out[name] = c.second ? double(c.first) / double(c.second) : 0.0;
  return out;
}

namespace {
// Forwards to the sparsity counter and the caller's observer.
class Both : public ActivationObserver {
 public:
  Both(ActivationObserver& a, ActivationObserver* b) : a_(a), b_(b) {}
  void observe(const ir::Layer& l, int port, const Tensor& t) override {
    a_.observe(l, port, t);
    if (b_) b_->observe(l, port, t);
  }
  void observe_output(const ir::Layer& l, const Tensor& t) override {
    a_.observe_output(l, t);
    if (b_) b_->observe_output(l, t);
  }
 private:
  ActivationObserver& a_;
  ActivationObserver* b_;
};
}  // namespace

EvalResult evaluate(const Engine& engine, const data::Dataset& dataset, const EvalOptions& options) {
  check_input_shape(engine, dataset);
  if (options.batch <= 0) throw InputError("evaluate", "batch size must be positive");
  EvalResult r;
  ReluSparsityCounter counter;
  Both observer(counter, options.observer);
  const std::int64_t total = dataset.size();
  for (std::int64_t first = 0; first < total; first += options.batch) {
    const int count = int(std::min<std::int64_t>(options.batch, total - first));
    Tensor logits = engine.run(load_batch(dataset, first, count), &observer);
    r.classes = int(logits.image_size());
    for (int n = 0; n < count; ++n) {
      const int label = dataset.label(first + n);
      if (label >= r.classes)
        throw InputError(dataset.spec().source.string(), "image " + std::to_string(dataset.offset() + first + n) +
                                                             " has label " + std::to_string(label) + " but the model has " +
                                                             std::to_string(r.classes) + " classes");
      const int predicted = argmax_class(logits, n);
      r.predictions.push_back(predicted);
      r.top1_correct += predicted == label;
      r.top5_correct += in_top_k(logits, n, label, 5);
    }
    if (options.keep_logits) r.logits.insert(r.logits.end(), logits.data.begin(), logits.data.end());
    if (options.progress) options.progress(first + count, total);
  }
  r.images = total;
  r.top1 = total ? double(r.top1_correct) / double(total) : 0.0;
  r.top5 = total ? double(r.top5_correct) / double(total) : 0.0;
  r.relu_sparsity = counter.fractions();
  return r;
}

}  // namespace sparsedse::engine
