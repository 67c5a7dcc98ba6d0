#include "conformance.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "sparsedse/common/error.hpp"
#include "sparsedse/frontend/onnx.hpp"

namespace test_engine {

namespace fs = std::filesystem;
using sparsedse::InputError;
using sparsedse::engine::Engine;
using sparsedse::engine::Numerics;
using sparsedse::engine::Tensor;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

onnx::TensorProto read_proto(const fs::path& path) {
  onnx::TensorProto t;
  if (!t.ParseFromString(slurp(path))) throw std::runtime_error(path.string() + ": not a TensorProto");
  return t;
}

// Rank 1 → 2 and rank 3 → 4 by a leading dimension of 1 (element-wise ops only: same data, same order).
void lift_rank(onnx::ValueInfoProto& vi) {
  auto* shape = vi.mutable_type()->mutable_tensor_type()->mutable_shape();
  if (shape->dim_size() != 1 && shape->dim_size() != 3) return;
  onnx::TensorShapeProto lifted;
  lifted.add_dim()->set_dim_value(1);
  for (const auto& d : shape->dim()) *lifted.add_dim() = d;
  *shape = lifted;
}

}  // namespace

OnnxTensor read_tensor_pb(const fs::path& path) {
  const onnx::TensorProto t = read_proto(path);
  OnnxTensor out;
  out.name = t.name();
  out.dims.assign(t.dims().begin(), t.dims().end());
  std::int64_t n = 1;
  for (auto d : out.dims) n *= d;
  if (t.data_type() != onnx::TensorProto::FLOAT) return out;  // non-float vectors are rejected at import
  if (t.float_data_size() > 0) {
    out.values.assign(t.float_data().begin(), t.float_data().end());
  } else {
    out.values.resize(std::size_t(n));
    if (t.raw_data().size() != std::size_t(n) * 4) throw std::runtime_error(path.string() + ": bad raw_data size");
    if (n > 0) std::memcpy(out.values.data(), t.raw_data().data(), t.raw_data().size());  // little-endian host
  }
  return out;
}

ConformanceOutcome run_node_test(const std::string& test_name) {
  const fs::path dir = kNodeTests / test_name;
  onnx::ModelProto model;
  if (!model.ParseFromString(slurp(dir / "model.onnx"))) throw std::runtime_error(test_name + ": bad model.onnx");
  onnx::GraphProto& g = *model.mutable_graph();
  const fs::path data = dir / "test_data_set_0";

  std::set<std::string> ops;
  for (const auto& n : g.node()) ops.insert(n.op_type());
  const bool parameters_as_inputs =
      ops.count("Conv") || ops.count("Gemm") || ops.count("MatMul") || ops.count("BatchNormalization") ||
      ops.count("Clip");
  const bool elementwise = ops.count("Relu") || ops.count("ThresholdedRelu") || ops.count("Add") ||
                           ops.count("Clip") || ops.count("Dropout") || ops.count("Identity");
  // GlobalAveragePool / GlobalMaxPool are unchanged since opset 1; their vectors are stamped opset 1.
  if (ops.count("GlobalAveragePool") || ops.count("GlobalMaxPool"))
    for (auto& op : *model.mutable_opset_import())
      if (op.domain().empty() && op.version() < 9) op.set_version(13);

  // Inputs: the activations stay graph inputs, parameters become initializers.
  std::vector<OnnxTensor> activations;
  onnx::GraphProto rebuilt_inputs;
  for (int i = 0; i < g.input_size(); ++i) {
    const fs::path pb = data / ("input_" + std::to_string(i) + ".pb");
    onnx::TensorProto t = read_proto(pb);
    t.set_name(g.input(i).name());
    if (i > 0 && parameters_as_inputs) {
      *g.add_initializer() = t;
      continue;
    }
    *rebuilt_inputs.add_input() = g.input(i);
    OnnxTensor a = read_tensor_pb(pb);
    a.name = g.input(i).name();
    activations.push_back(a);
  }
  g.clear_input();
  for (auto& vi : *rebuilt_inputs.mutable_input()) *g.add_input() = vi;
  if (elementwise) {
    for (auto& vi : *g.mutable_input()) lift_rank(vi);
    for (auto& vi : *g.mutable_output()) lift_rank(vi);
    for (auto& a : activations)
      if (a.dims.size() == 1 || a.dims.size() == 3) a.dims.insert(a.dims.begin(), 1);
  }
  if (ops.count("BatchNormalization") && g.node_size() == 1 && g.input_size() == 1) {
    // x -> identity 1×1 Conv -> BN: the BN folds into the conv, the expected output is unchanged.
    const auto& x = g.input(0).type().tensor_type().shape();
    if (x.dim_size() == 4) {
      const std::int64_t c = x.dim(1).dim_value();
      onnx::TensorProto w;
      w.set_name("identity_w");
      w.set_data_type(onnx::TensorProto::FLOAT);
      for (std::int64_t d : {c, c, std::int64_t(1), std::int64_t(1)}) w.add_dims(d);
      for (std::int64_t o = 0; o < c; ++o)
        for (std::int64_t i = 0; i < c; ++i) w.add_float_data(o == i ? 1.0f : 0.0f);
      *g.add_initializer() = w;
      onnx::NodeProto conv;
      conv.set_op_type("Conv");
      conv.set_name("identity_conv");
      conv.add_input(g.input(0).name());
      conv.add_input("identity_w");
      conv.add_output("identity_out");
      onnx::NodeProto bn = g.node(0);
      bn.set_input(0, "identity_out");
      g.clear_node();
      *g.add_node() = conv;
      *g.add_node() = bn;
    }
  }

  ConformanceOutcome outcome;
  sparsedse::ir::Graph graph;
  try {
    std::ostringstream warnings;
    sparsedse::frontend::OnnxImportOptions options;
    options.warnings = &warnings;
    graph = sparsedse::frontend::import_onnx(model, test_name, options);
  } catch (const InputError& e) {
    outcome.error = e.what();
    return outcome;
  }
  outcome.imported = true;

  Numerics numerics;
  numerics.mode = Numerics::Mode::Float;
  Tensor out;
  try {
    Engine engine(graph, numerics, 2);
    std::vector<Tensor> tensors;
    for (sparsedse::ir::Vertex v : engine.input_vertices()) {
      const auto& layer = graph.layer(v);
      const OnnxTensor* a = nullptr;
      for (const auto& t : activations)
        if (t.name == layer.name) a = &t;
      if (!a) throw std::runtime_error("no test data for input " + layer.name);
      Tensor t(int(a->dims.at(0)), layer.output_shape);
      if (a->values.size() != t.data.size()) throw std::runtime_error("input size mismatch for " + layer.name);
      t.data = a->values;
      tensors.push_back(std::move(t));
    }
    std::vector<const Tensor*> ptrs;
    for (const auto& t : tensors) ptrs.push_back(&t);
    out = engine.run(ptrs);
  } catch (const InputError& e) {
    outcome.error = e.what();
    return outcome;
  }
  const OnnxTensor expected = read_tensor_pb(data / "output_0.pb");
  if (expected.values.size() != out.data.size()) {
    outcome.error = "output has " + std::to_string(out.data.size()) + " elements, expected " +
                    std::to_string(expected.values.size());
    return outcome;
  }
  outcome.within_tolerance = true;
  for (std::size_t i = 0; i < out.data.size(); ++i) {
    const double got = out.data[i], want = expected.values[i];
    const double err = std::abs(got - want);
    outcome.max_error = std::max(outcome.max_error, err / (std::abs(want) + 0.1));
    if (!(err <= 1e-4 * std::abs(want) + 1e-5)) outcome.within_tolerance = false;
  }
  outcome.compared = out.data.size();
  return outcome;
}

}  // namespace test_engine
