#include "sparsedse/frontend/onnx_builder.hpp"

#include <bit>

namespace sparsedse::frontend {

namespace {

// ONNX IR version that introduced each opset range we write (onnx/docs/Versioning.md).
std::int64_t ir_version_for(int opset) {
  if (opset <= 9) return 4;
  if (opset == 10) return 5;
  if (opset == 11) return 6;
  if (opset <= 14) return 7;
  return 8;
}

void set_value_info(onnx::ValueInfoProto& info, const std::string& name, const std::vector<std::int64_t>& dims) {
  info.set_name(name);
  auto* tensor = info.mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  for (std::int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

onnx::AttributeProto& attribute(onnx::NodeProto& node, const std::string& name, onnx::AttributeProto::AttributeType type) {
  for (auto& a : *node.mutable_attribute())
    if (a.name() == name) {
      a.Clear();
      a.set_name(name);
      a.set_type(type);
      return a;
    }
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(type);
  return *a;
}

}  // namespace

OnnxBuilder::OnnxBuilder(const std::string& graph_name, int opset) {
  model_.set_ir_version(ir_version_for(opset));
  model_.set_producer_name("sparsedse");
  model_.set_producer_version(SPARSEDSE_VERSION);
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name(graph_name);
}

void OnnxBuilder::input(const std::string& name, const std::vector<std::int64_t>& dims) {
  set_value_info(*graph().add_input(), name, dims);
}

void OnnxBuilder::output(const std::string& name, const std::vector<std::int64_t>& dims) {
  set_value_info(*graph().add_output(), name, dims);
}

onnx::TensorProto& OnnxBuilder::initializer(const std::string& name, const std::vector<std::int64_t>& dims,
                                            const std::vector<float>& values, bool raw) {
  auto* t = graph().add_initializer();
  *t = make_tensor(name, dims, values, raw);
  return *t;
}

onnx::TensorProto& OnnxBuilder::initializer_int64(const std::string& name, const std::vector<std::int64_t>& dims,
                                                  const std::vector<std::int64_t>& values) {
  auto* t = graph().add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (std::int64_t d : dims) t->add_dims(d);
  for (std::int64_t v : values) t->add_int64_data(v);
  return *t;
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op_type, const std::string& name,
                                   const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  auto* n = graph().add_node();
  n->set_op_type(op_type);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

void set_attribute(onnx::NodeProto& node, const std::string& name, std::int64_t value) {
  attribute(node, name, onnx::AttributeProto::INT).set_i(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, float value) {
  attribute(node, name, onnx::AttributeProto::FLOAT).set_f(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  attribute(node, name, onnx::AttributeProto::STRING).set_s(value);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<std::int64_t>& values) {
  auto& a = attribute(node, name, onnx::AttributeProto::INTS);
  for (std::int64_t v : values) a.add_ints(v);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const std::vector<float>& values) {
  auto& a = attribute(node, name, onnx::AttributeProto::FLOATS);
  a.mutable_floats()->Reserve(int(values.size()));
  for (float v : values) a.add_floats(v);
}

void set_attribute(onnx::NodeProto& node, const std::string& name, const onnx::TensorProto& value) {
  *attribute(node, name, onnx::AttributeProto::TENSOR).mutable_t() = value;
}

onnx::TensorProto make_tensor(const std::string& name, const std::vector<std::int64_t>& dims,
                              const std::vector<float>& values, bool raw) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (std::int64_t d : dims) t.add_dims(d);
  if (raw) {
    // raw_data is little-endian by the ONNX spec.
    std::string bytes(values.size() * sizeof(float), '\0');
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::uint32_t u = std::bit_cast<std::uint32_t>(values[i]);
      for (int b = 0; b < 4; ++b) bytes[4 * i + b] = char((u >> (8 * b)) & 0xffu);
    }
    t.set_raw_data(std::move(bytes));
  } else {
    t.mutable_float_data()->Reserve(int(values.size()));
    for (float v : values) t.add_float_data(v);
  }
  return t;
}

}  // namespace sparsedse::frontend
