#pragma once
// Accuracy and ReLU sparsity of a model on a labelled dataset (the `sparsedse eval` command, the
// thresholding loop). Images run in batches in dataset order, so results are deterministic.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sparsedse/data/dataset.hpp"
#include "sparsedse/engine/engine.hpp"

namespace sparsedse::engine {

struct EvalOptions {
  int batch = 64;
  ActivationObserver* observer = nullptr;  // also sees every layer input (e.g. the sparsity profiler)
  std::function<void(std::int64_t done, std::int64_t total)> progress;  // after every batch
  bool keep_logits = false;                                              // fill EvalResult::logits
};

struct EvalResult {
  std::int64_t images = 0;
  std::int64_t top1_correct = 0, top5_correct = 0;
  double top1 = 0.0, top5 = 0.0;                // fractions in [0, 1]
  std::map<std::string, double> relu_sparsity;  // per ReLU layer: fraction of zeros at its output
  std::vector<int> predictions;                 // argmax class per image
  std::vector<float> logits;                    // images × classes, when keep_logits
  int classes = 0;
};

// Check that the dataset's (preprocessed) image shape is the model's input shape; the error names both.
void check_input_shape(const Engine& engine, const data::Dataset& dataset);

// Images [first, first + count) of the dataset as one batch tensor.
Tensor load_batch(const data::Dataset& dataset, std::int64_t first, int count);

EvalResult evaluate(const Engine& engine, const data::Dataset& dataset, const EvalOptions& options = {});

// Zero counting of every ReLU output (an observer; usable alongside others via a composite).
class ReluSparsityCounter : public ActivationObserver {
 public:
  void observe(const ir::Layer&, int, const Tensor&) override {}
  void observe_output(const ir::Layer& layer, const Tensor& output) override;
  std::map<std::string, double> fractions() const;
 private:
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> counts_;  // zeros, elements
};

}  // namespace sparsedse::engine
