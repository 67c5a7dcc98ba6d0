#pragma once
// ONNX import and export (model.md §3). Import maps the v1 op list onto the graph IR, folds
// BatchNormalization and MatMul+Add, removes Identity/Dropout and a final Softmax, resolves auto_pad,
// then inserts Split layers and validates. Anything outside that list is an InputError naming the op,
// the node and the supported list.
#include <filesystem>
#include <iosfwd>
#include <string>

#include <onnx/onnx_pb.h>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::frontend {

struct OnnxImportOptions {
  std::ostream* warnings = nullptr;  // where warnings go (dropped Softmax, ...); nullptr = std::cerr
};

// The ops import accepts, for help texts and error messages.
const std::string& supported_onnx_ops();

// Parse serialized ONNX; a malformed or truncated buffer is an InputError naming `source`.
onnx::ModelProto parse_onnx(const std::string& bytes, const std::string& source);

// Import a model. `source` names it in errors and is the graph name when the ONNX graph has none.
ir::Graph import_onnx(const onnx::ModelProto& model, const std::string& source, const OnnxImportOptions& options = {});
ir::Graph load_onnx(const std::filesystem::path& path, const OnnxImportOptions& options = {});

// Export (opset 13): ReLUs with threshold t > 0 become ThresholdedRelu(alpha = t) (model.md §8.1); a
// Convolution with sparsity statistics carries `channel_sparsity_hist` (FLOATS, row-major [c][z],
// model.md §3.4/§5.1). Split layers are not written: their consumers read the split's input tensor.
// Importing the result gives back an identical graph (for graphs that came from ONNX).
onnx::ModelProto export_onnx(const ir::Graph& graph);
void save_onnx(const ir::Graph& graph, const std::filesystem::path& path);

}  // namespace sparsedse::frontend
