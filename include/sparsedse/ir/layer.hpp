#pragma once
// Layer data of the graph IR: kinds, attributes, shapes, weights and the sparsity slot.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

namespace sparsedse::ir {

enum class LayerKind {
  Input,              // the network input tensor (no computation)
  Convolution,        // grouped, strided, padded; dilation 1
  InnerProduct,       // fully connected over the flattened input
  ReLU,               // y = x if x > threshold else 0 (threshold 0 = plain ReLU)
  MaxPool,
  AveragePool,
  GlobalAveragePool,
  EltwiseAdd,
  Concat,             // along channels
  Flatten,            // shape only (also ONNX Reshape to [N, -1])
  Split,              // explicit fork: one tensor to several consumers
};

std::string_view to_string(LayerKind kind);
std::optional<LayerKind> layer_kind_from_string(std::string_view name);

// Tensor shape without the batch dimension, NCHW order. A flat vector is {C, 1, 1}.
struct Shape {
  int channels = 0;
  int rows = 0;
  int cols = 0;
  std::int64_t elements() const { return std::int64_t(channels) * rows * cols; }
  bool operator==(const Shape&) const = default;
};

std::string to_string(const Shape& shape);  // "CxHxW"

// Kernel geometry shared by convolution and pooling. Pads are ONNX order-independent named fields.
struct Window {
  int kernel_rows = 1, kernel_cols = 1;
  int stride_rows = 1, stride_cols = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int kernel_size() const { return kernel_rows * kernel_cols; }
  bool operator==(const Window&) const = default;
};

// Output spatial size of a window over an input, floor mode (ONNX default, ceil_mode = 0).
int window_output_size(int input, int kernel, int stride, int pad_begin, int pad_end);

// Per-channel window zero histograms of a layer's input (model.md §5.1), attached by the profiler.
// histogram[c][z] is the fraction of the windows of input channel c holding exactly z zeros, z = 0..K².
struct SparsityStats {
  int kernel_rows = 1, kernel_cols = 1;
  std::int64_t windows = 0;                        // windows per channel, over all calibration images
  std::vector<std::vector<double>> histogram;      // C x (K²+1), rows sum to 1
  std::vector<std::vector<std::int64_t>> counts;   // C x (K²+1), raw counts (may be empty if imported)
  double mean_sparsity = 0.0;                      // mean zero fraction over channels
  std::vector<double> channel_sparsity() const;    // per-channel mean zero fraction Σ_z h[z]·z/K²
  bool operator==(const SparsityStats&) const = default;
};

struct Layer {
  std::string name;        // the ONNX node name (or its first output's name when unnamed)
  LayerKind kind = LayerKind::Input;
  std::string output_tensor;             // ONNX tensor this layer produces
  std::vector<std::string> input_tensors;  // ONNX tensors it consumes, in port order

  std::vector<Shape> input_shapes;  // one per input port (empty for Input)
  Shape output_shape;

  // Convolution / pooling geometry.
  Window window;
  int groups = 1;       // convolution
  int filters = 0;      // convolution / inner product: output channels / features

  float threshold = 0.0f;  // ReLU: y = x if x > threshold else 0

  // AveragePool: divide by the whole window including padding (ONNX count_include_pad = 1) instead of
  // by the number of input elements it covers (ONNX default, count_include_pad = 0).
  bool count_include_pad = false;

  // Convolution: weights [F][C/G][Kr][Kc] row-major (ONNX OIHW); inner product: [F][C·H·W].
  Eigen::VectorXf weights;
  Eigen::VectorXf bias;  // empty = no bias
  bool has_bias() const { return bias.size() > 0; }

  std::optional<SparsityStats> sparsity;  // input-window statistics (Convolution, InnerProduct)

  const Shape& input_shape() const { return input_shapes.at(0); }
  bool is_weighted() const { return kind == LayerKind::Convolution || kind == LayerKind::InnerProduct; }
  std::int64_t macs() const;    // multiply-accumulates per image (conv: Ho·Wo·F·(C/G)·K²; IP: C·H·W·F)
  std::int64_t params() const;  // weights + biases
};

// Connection: the producer's output feeds input port `port` of the consumer.
struct Edge {
  int port = 0;
  Shape shape;
};

}  // namespace sparsedse::ir
