#pragma once
// Reference inference engine: executes the graph IR on CPU in float32 or in the hardware's fixed-point
// arithmetic (docs/fixed-point.md), batched, with OpenMP. Thresholded ReLU: y = x if x > t else 0.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::engine {

// A batch of activations, NCHW, contiguous (batch outermost).
struct Tensor {
  int batch = 0;
  ir::Shape shape;
  std::vector<float> data;

  Tensor() = default;
  Tensor(int n, ir::Shape s) : batch(n), shape(s), data(std::size_t(n) * std::size_t(s.elements()), 0.0f) {}
  std::int64_t image_size() const { return shape.elements(); }
  float* image(int n) { return data.data() + std::size_t(n) * std::size_t(image_size()); }
  const float* image(int n) const { return data.data() + std::size_t(n) * std::size_t(image_size()); }
};

// Signed fixed-point format: `width` bits in all, `frac` of them fractional (ap_fixed<width, width-frac>).
struct FixedFormat {
  int width = 16;
  int frac = 8;
  bool operator==(const FixedFormat&) const = default;
};

struct Numerics {
  enum class Mode { Float, Fixed };
  Mode mode = Mode::Fixed;
  FixedFormat data{16, 8};     // activations (inputs and outputs of every layer)
  FixedFormat weights{16, 8};  // conv / inner-product weights and biases
  std::map<std::string, FixedFormat> layer_data;  // per-layer override of the output data format

  // Parse "float", "fixed" or "fixed:W.F" (e.g. fixed:16.8); throws InputError naming `where`.
  static Numerics parse(const std::string& text, const std::string& where = "--numerics");
  std::string to_string() const;
};

// Read-only view of every layer's input during execution (the sparsity profiler counts zeros here).
// Called on the calling thread once per layer input port, after the input tensor is complete.
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  virtual void observe(const ir::Layer& layer, int port, const Tensor& input) = 0;
};

// Per-ReLU thresholds: {"default": t0, "relu": {"<node name>": t}} (thresholds JSON file format).
struct Thresholds {
  float default_threshold = 0.0f;
  std::map<std::string, float> per_relu;
  float at(const std::string& relu_name) const;
  static Thresholds read(const std::string& path);  // validates: finite, >= 0, names must exist when applied
};
// Set every ReLU's threshold in `graph` from `t`; unknown ReLU names are an InputError.
void apply_thresholds(ir::Graph& graph, const Thresholds& t);

class Engine {
 public:
  // Prepares the graph (weight quantisation, GEMM layouts). `threads` <= 0 means all cores.
  Engine(const ir::Graph& graph, Numerics numerics = {}, int threads = 0);

  const ir::Graph& graph() const { return graph_; }
  const Numerics& numerics() const { return numerics_; }
  void set_threshold(const std::string& relu_name, float threshold);  // InputError if not a ReLU

  // Runs the whole graph; returns the output layer's tensor (logits, batch x classes x 1 x 1).
  // `input` is in float; in fixed mode it is quantised to the data format first.
  Tensor run(const Tensor& input, ActivationObserver* observer = nullptr) const;

  // Runs one layer on given inputs (one per port, in port order); used for incremental re-evaluation.
  Tensor run_layer(ir::Vertex v, const std::vector<const Tensor*>& inputs) const;

 private:
  ir::Graph graph_;
  Numerics numerics_;
  int threads_;
  struct Prepared;
  std::vector<std::shared_ptr<const Prepared>> prepared_;  // per vertex (weights in GEMM layout etc.)
};

// Top-k accuracy helpers over logits (batch x classes).
int argmax_class(const Tensor& logits, int n);
bool in_top_k(const Tensor& logits, int n, int label, int k);

}  // namespace sparsedse::engine
