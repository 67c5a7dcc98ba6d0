// Graph IR → ONNX (opset 13), for the thresholding loop (model.md §3.5, §8.2) and `convert`.
#include <unordered_set>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/frontend/onnx_builder.hpp"

namespace sparsedse::frontend {

namespace {

std::vector<float> to_vector(const Eigen::VectorXf& v) { return std::vector<float>(v.data(), v.data() + v.size()); }

std::vector<std::int64_t> pads_of(const ir::Window& w) {
  return {w.pad_top, w.pad_left, w.pad_bottom, w.pad_right};  // ONNX order: begins, then ends
}

class Exporter {
 public:
  explicit Exporter(const ir::Graph& graph) : graph_(graph), b_(graph.name.empty() ? "model" : graph.name, 13) {}

  onnx::ModelProto run() {
    tensor_.resize(graph_.size());
    rank_.resize(graph_.size());
    for (ir::Vertex v : graph_.topological_order()) write_layer(v);
    for (ir::Vertex v : graph_.outputs()) {
      const ir::Shape& s = graph_.layer(v).output_shape;
      if (rank_[v] == 4)
        b_.output(tensor_[v], {-1, s.channels, s.rows, s.cols});
      else
        b_.output(tensor_[v], {-1, s.channels});
    }
    return std::move(b_.model());
  }

 private:
  std::string where(const ir::Layer& l) const { return graph_.name + ": layer '" + l.name + "'"; }

  // A name not used yet by any tensor or initializer of the exported model.
  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int k = 2; !names_.insert(name).second; ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  void write_layer(ir::Vertex v) {
    const ir::Layer& l = graph_.layer(v);
    std::vector<ir::Vertex> preds = graph_.predecessors(v);
    std::vector<std::string> inputs;
    for (ir::Vertex p : preds) inputs.push_back(tensor_[p]);
    const int in_rank = preds.empty() ? 4 : rank_[preds[0]];
    rank_[v] = in_rank;
    if (l.kind == ir::LayerKind::Split) {  // no node: consumers read the forked tensor itself
      tensor_[v] = tensor_[preds.at(0)];
      return;
    }
    tensor_[v] = fresh(l.output_tensor.empty() ? l.name : l.output_tensor);
    const std::string& out = tensor_[v];
    const ir::Window& w = l.window;
    switch (l.kind) {
      case ir::LayerKind::Input: {
        const ir::Shape& s = l.output_shape;
        b_.input(out, {-1, s.channels, s.rows, s.cols});
        break;
      }
      case ir::LayerKind::Convolution: {
        require_rank(l, in_rank, 4);
        const ir::Shape& in = l.input_shape();
        std::string weight = fresh(l.name + ".weight");
        b_.initializer(weight, {l.filters, in.channels / l.groups, w.kernel_rows, w.kernel_cols}, to_vector(l.weights),
                       true);
        inputs.push_back(weight);
        if (l.has_bias()) {
          std::string bias = fresh(l.name + ".bias");
          b_.initializer(bias, {l.filters}, to_vector(l.bias), true);
          inputs.push_back(bias);
        }
        auto& n = b_.node("Conv", l.name, inputs, {out});
        set_attribute(n, "kernel_shape", std::vector<std::int64_t>{w.kernel_rows, w.kernel_cols});
        set_attribute(n, "strides", std::vector<std::int64_t>{w.stride_rows, w.stride_cols});
        set_attribute(n, "pads", pads_of(w));
        set_attribute(n, "group", std::int64_t(l.groups));
        if (l.sparsity) {  // model.md §3.4: FLOATS, row-major [c][z]
          std::vector<float> hist;
          for (const auto& row : l.sparsity->histogram)
            for (double h : row) hist.push_back(float(h));
          set_attribute(n, "channel_sparsity_hist", hist);
        }
        break;
      }
      case ir::LayerKind::InnerProduct: {
        if (in_rank != 2) {  // ONNX Gemm wants [N, K]: flatten first
          std::string flat = fresh(l.name + "_flatten");
          auto& f = b_.node("Flatten", flat, inputs, {flat});
          set_attribute(f, "axis", std::int64_t(1));
          inputs = {flat};
        }
        std::string weight = fresh(l.name + ".weight");
        b_.initializer(weight, {l.filters, l.input_shape().elements()}, to_vector(l.weights), true);
        inputs.push_back(weight);
        if (l.has_bias()) {
          std::string bias = fresh(l.name + ".bias");
          b_.initializer(bias, {l.filters}, to_vector(l.bias), true);
          inputs.push_back(bias);
        }
        auto& n = b_.node("Gemm", l.name, inputs, {out});
        set_attribute(n, "transB", std::int64_t(1));
        rank_[v] = 2;
        break;
      }
      case ir::LayerKind::ReLU:
        if (l.threshold > 0.0f) {  // model.md §8.1
          auto& n = b_.node("ThresholdedRelu", l.name, inputs, {out});
          set_attribute(n, "alpha", l.threshold);
        } else {
          b_.node("Relu", l.name, inputs, {out});
        }
        break;
      case ir::LayerKind::MaxPool:
      case ir::LayerKind::AveragePool: {
        require_rank(l, in_rank, 4);
        const bool average = l.kind == ir::LayerKind::AveragePool;
        auto& n = b_.node(average ? "AveragePool" : "MaxPool", l.name, inputs, {out});
        set_attribute(n, "kernel_shape", std::vector<std::int64_t>{w.kernel_rows, w.kernel_cols});
        set_attribute(n, "strides", std::vector<std::int64_t>{w.stride_rows, w.stride_cols});
        set_attribute(n, "pads", pads_of(w));
        if (average) set_attribute(n, "count_include_pad", std::int64_t(l.count_include_pad ? 1 : 0));
        break;
      }
      case ir::LayerKind::GlobalAveragePool:
        require_rank(l, in_rank, 4);
        b_.node("GlobalAveragePool", l.name, inputs, {out});
        break;
      case ir::LayerKind::EltwiseAdd:
        if (inputs.size() != 2)
          throw InputError(where(l), "an eltwise add of " + std::to_string(inputs.size()) +
                                         " inputs cannot be written as one ONNX Add (expected 2)");
        b_.node("Add", l.name, inputs, {out});
        break;
      case ir::LayerKind::Concat: {
        auto& n = b_.node("Concat", l.name, inputs, {out});
        set_attribute(n, "axis", std::int64_t(1));
        break;
      }
      case ir::LayerKind::Flatten: {
        auto& n = b_.node("Flatten", l.name, inputs, {out});
        set_attribute(n, "axis", std::int64_t(1));
        rank_[v] = 2;
        break;
      }
      case ir::LayerKind::Split:
        break;
    }
  }

  void require_rank(const ir::Layer& l, int rank, int expected) const {
    if (rank != expected)
      throw InputError(where(l), "its input is a flat vector; a " + std::string(ir::to_string(l.kind)) +
                                     " needs a [C, H, W] tensor in ONNX");
  }

  const ir::Graph& graph_;
  OnnxBuilder b_;
  std::vector<std::string> tensor_;  // per vertex: the ONNX tensor carrying its output
  std::vector<int> rank_;            // per vertex: rank of that tensor (4 or 2)
  std::unordered_set<std::string> names_;
};

}  // namespace

onnx::ModelProto export_onnx(const ir::Graph& graph) { return Exporter(graph).run(); }

void save_onnx(const ir::Graph& graph, const std::filesystem::path& path) {
  onnx::ModelProto model = export_onnx(graph);
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw InputError(path.string(), "cannot serialize the ONNX model (larger than 2 GiB?)");
  write_file_atomic(path, bytes);
}

}  // namespace sparsedse::frontend
