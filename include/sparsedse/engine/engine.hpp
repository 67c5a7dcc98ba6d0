#pragma once
// Reference inference engine: executes the graph IR on CPU in float32 or in the hardware's fixed-point
// arithmetic (docs/fixed-point.md), batched, with OpenMP. Thresholded ReLU: y = x if x > t else 0.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sparsedse/common/fixed_point.hpp"
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::engine {

// A batch of activations, NCHW, contiguous (batch outermost). In fixed mode every value is exactly a
// point of its layer's fixed-point grid (formats are at most 24 bits wide, so float32 holds them exactly).
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

struct Numerics {
  enum class Mode { Float, Fixed };
  Mode mode = Mode::Fixed;
  FixedFormat data = kDefaultData;       // activations: the output of every layer and the network input
  FixedFormat weights = kDefaultWeight;  // conv / inner-product weights
  std::map<std::string, FixedFormat> layer_data;     // per-layer override of the output data format
  std::map<std::string, FixedFormat> layer_weights;  // per-layer override of the weight format

  FixedFormat data_format(const std::string& layer) const;
  FixedFormat weight_format(const std::string& layer) const;

  // Parse "float", "fixed" or "fixed:W.F" (data and weights ap_fixed<W, W−F>, e.g. fixed:16.8);
  // throws InputError naming `where`.
  static Numerics parse(const std::string& text, const std::string& where = "--numerics");
  std::string to_string() const;  // "float" or "fixed:16.8" (per-layer overrides are not shown)
};

// Read-only view of every layer's input during execution (the sparsity profiler counts zeros here).
// Called on the calling thread once per layer input port, after the input tensor is complete.
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  virtual void observe(const ir::Layer& layer, int port, const Tensor& input) = 0;
  // Every non-Input layer's output, once complete (default: ignored). Used for ReLU sparsity.
  virtual void observe_output(const ir::Layer& /*layer*/, const Tensor& /*output*/) {}
};

// Per-ReLU thresholds: {"default": t0, "relu": {"<node name>": t}} (thresholds JSON file format).
struct Thresholds {
  float default_threshold = 0.0f;
  std::map<std::string, float> per_relu;
  float at(const std::string& relu_name) const;
  static Thresholds read(const std::string& path);  // validates: finite, >= 0, known keys only
  static Thresholds uniform(float t);               // every ReLU gets t
};
// Set every ReLU's threshold in `graph` from `t`; names in `t` that are not ReLU layers are an InputError.
void apply_thresholds(ir::Graph& graph, const Thresholds& t);

class Engine {
 public:
  // Prepares the graph (weight quantisation, GEMM layouts). `threads` <= 0 means all cores.
  // The graph needs exactly one Input layer and one output layer (the logits).
  // Copies share the prepared (immutable) weights.
  Engine(const ir::Graph& graph, Numerics numerics = {}, int threads = 0);

  const ir::Graph& graph() const { return graph_; }
  const Numerics& numerics() const { return numerics_; }
  int threads() const { return threads_; }
  // Peak bytes of the activation tensors alive at once while run() executes one image (liveness in
  // topological order); a batch of N needs N times this. run() checks it against the memory budget.
  std::int64_t activation_bytes_per_image() const { return activation_bytes_per_image_; }
  void set_threshold(const std::string& relu_name, float threshold);  // InputError if not a ReLU

  ir::Vertex input_vertex() const { return inputs_.at(0); }
  const std::vector<ir::Vertex>& input_vertices() const { return inputs_; }  // Input layers sorted by name
  ir::Vertex output_vertex() const { return output_; }
  const ir::Shape& input_shape() const { return graph_.layer(inputs_.at(0)).output_shape; }

  // Runs the whole graph; returns the output layer's tensor (logits, batch x classes x 1 x 1), which the
  // caller owns. `input` is in float; in fixed mode it is quantised to the input layer's data format first.
  // The graph must have exactly one Input layer. The engine keeps its activation buffers between runs;
  // concurrent runs on one Engine are safe (all but one then use buffers of their own).
  Tensor run(const Tensor& input, ActivationObserver* observer = nullptr) const;
  // A graph with several Input layers: one tensor per input_vertices() entry, same batch size.
  Tensor run(const std::vector<const Tensor*>& inputs, ActivationObserver* observer = nullptr) const;

  // Runs one layer on given inputs (one per port, in port order); used for incremental re-evaluation.
  // In fixed mode the inputs must be on their producers' grids (as run() and run_layer() produce them).
  // For an Input layer it quantises (fixed) or copies (float) inputs[0].
  Tensor run_layer(ir::Vertex v, const std::vector<const Tensor*>& inputs) const;

  // The fixed-point contract per layer (docs/fixed-point.md), for the HLS generator and the tests.
  FixedFormat output_format(ir::Vertex v) const;       // data format of the layer's output
  FixedFormat weight_format(ir::Vertex v) const;       // Convolution / InnerProduct
  AccumulatorFormat accumulator_format(ir::Vertex v) const;  // Convolution / InnerProduct
  std::vector<std::int64_t> quantized_weights(ir::Vertex v) const;  // raw codes, IR weight order
  std::vector<std::int64_t> quantized_bias(ir::Vertex v) const;     // raw codes at the accumulator's frac
  std::int64_t quantized_threshold(ir::Vertex v) const;             // ReLU: t_q on its input's grid

  struct Prepared;  // per-vertex prepared state (src/engine)

 private:
  ir::Graph graph_;
  Numerics numerics_;
  int threads_;
  std::vector<ir::Vertex> inputs_;
  ir::Vertex output_ = 0;
  std::vector<ir::Vertex> order_;                          // topological
  std::vector<std::vector<ir::Vertex>> producers_;         // per vertex, by port
  std::vector<FixedFormat> out_format_;                    // per vertex (fixed mode)
  std::vector<std::shared_ptr<const Prepared>> prepared_;  // per vertex (weights in GEMM layout etc.)
  std::int64_t activation_bytes_per_image_ = 0;

  // Activation buffers kept between run() calls, so repeated runs write to memory that is already
  // mapped (no page faults, no zero fill). Keyed by floats per image: buffers grow to the largest batch
  // seen and serve smaller ones too. A copy of the Engine starts with an empty pool.
  struct BufferPool {
    std::mutex mutex;
    std::multimap<std::int64_t, std::vector<float>> buffers;
    BufferPool() = default;
    BufferPool(const BufferPool&) {}
    BufferPool& operator=(const BufferPool&) { return *this; }
  };
  mutable BufferPool pool_;

  // `storage` (any contents, may be empty) becomes the output's buffer.
  Tensor compute(ir::Vertex v, const std::vector<const Tensor*>& inputs, std::vector<float> storage) const;
};

// Top-k accuracy helpers over logits (batch x classes). Ties go to the lower class index.
int argmax_class(const Tensor& logits, int n);
bool in_top_k(const Tensor& logits, int n, int label, int k);

}  // namespace sparsedse::engine
