#pragma once
// A small writer of ONNX models: graph inputs/outputs, float32 initializers and nodes with attributes.
// Used by the model zoo, the ONNX exporter and tests that build models in memory.
#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace sparsedse::frontend {

class OnnxBuilder {
 public:
  // A model with one graph `graph_name`, importing the default ONNX domain at `opset`.
  explicit OnnxBuilder(const std::string& graph_name, int opset = 13);

  // A float32 graph input or output; a dim of -1 is symbolic (named "N", for the batch dimension).
  void input(const std::string& name, const std::vector<std::int64_t>& dims);
  void output(const std::string& name, const std::vector<std::int64_t>& dims);

  // A float32 initializer stored in the typed `float_data` field (raw = false) or in `raw_data`.
  onnx::TensorProto& initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                 const std::vector<float>& values, bool raw = false);
  onnx::TensorProto& initializer_int64(const std::string& name, const std::vector<std::int64_t>& dims,
                                       const std::vector<std::int64_t>& values);

  // A node in the default domain; add attributes with the set_attribute overloads below.
  onnx::NodeProto& node(const std::string& op_type, const std::string& name, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs);

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

 private:
  onnx::ModelProto model_;
};

// Attribute setters (replace an existing attribute of the same name).
void set_attribute(onnx::NodeProto& node, const std::string& name, std::int64_t value);
void set_attribute(onnx::NodeProto& node, const std::string& name, float value);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& values);
void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<float>& values);
void set_attribute(onnx::NodeProto& node, const std::string& name, const onnx::TensorProto& value);

// A float32 tensor proto (for Constant nodes and test vectors).
onnx::TensorProto make_tensor(const std::string& name, const std::vector<std::int64_t>& dims,
                              const std::vector<float>& values, bool raw = false);

}  // namespace sparsedse::frontend
