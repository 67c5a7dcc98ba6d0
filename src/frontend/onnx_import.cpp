// ONNX → graph IR (model.md §3). One Importer holds the state of one import: the constants, the
// liveness and topological order of the nodes, the tensor aliases left by removed nodes, and the IR
// value (layer + tensor rank) of every activation tensor mapped so far.
#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "onnx_tensor.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/memory.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/ir/passes.hpp"

namespace sparsedse::frontend {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;

constexpr int kMinOpset = 9;
constexpr int kMaxOpset = 18;

std::string list_string(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string float_string(double x) {
  std::ostringstream ss;
  ss.precision(9);
  ss << x;
  return ss.str();
}

// Typed access to a node's attributes; a wrong type is an InputError naming the node and attribute.
class Attributes {
 public:
  Attributes(const NodeProto& node, std::string where) : node_(node), where_(std::move(where)) {}

  bool has(const std::string& name) const { return find(name) != nullptr; }

  std::int64_t get_int(const std::string& name, std::int64_t fallback) const {
    const AttributeProto* a = typed(name, AttributeProto::INT);
    return a ? a->i() : fallback;
  }
  float get_float(const std::string& name, float fallback) const {
    const AttributeProto* a = typed(name, AttributeProto::FLOAT);
    return a ? a->f() : fallback;
  }
  std::string get_string(const std::string& name, const std::string& fallback) const {
    const AttributeProto* a = typed(name, AttributeProto::STRING);
    return a ? a->s() : fallback;
  }
  std::optional<std::vector<std::int64_t>> get_ints(const std::string& name) const {
    const AttributeProto* a = typed(name, AttributeProto::INTS);
    if (!a) return std::nullopt;
    return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
  }
  std::optional<std::vector<float>> get_floats(const std::string& name) const {
    const AttributeProto* a = typed(name, AttributeProto::FLOATS);
    if (!a) return std::nullopt;
    return std::vector<float>(a->floats().begin(), a->floats().end());
  }
  const onnx::TensorProto* get_tensor(const std::string& name) const {
    const AttributeProto* a = typed(name, AttributeProto::TENSOR);
    return a ? &a->t() : nullptr;
  }

 private:
  const AttributeProto* find(const std::string& name) const {
    for (const auto& a : node_.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  const AttributeProto* typed(const std::string& name, AttributeProto::AttributeType type) const {
    const AttributeProto* a = find(name);
    // Old exporters may leave `type` unset (UNDEFINED); trust the field then.
    if (a && a->type() != AttributeProto::UNDEFINED && a->type() != type)
      throw InputError(where_, "attribute '" + name + "' has type " + AttributeProto::AttributeType_Name(a->type()) +
                                   ", expected " + AttributeProto::AttributeType_Name(type));
    return a;
  }

  const NodeProto& node_;
  std::string where_;
};

// An activation tensor in the IR: the layer that produces it and its ONNX rank (4 = NCHW, 2 = NC).
struct Value {
  ir::Vertex layer;
  int rank;
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string source, std::ostream& warnings)
      : model_(model), g_(model.graph()), source_(std::move(source)), warn_(warnings) {}

  ir::Graph run() {
    if (!model_.has_graph()) throw InputError(source_, "the model has no graph (empty or truncated file?)");
    read_opset();
    graph_.name = g_.name().empty() ? std::filesystem::path(source_).stem().string() : g_.name();
    if (graph_.name.empty()) graph_.name = "model";
    check_weights_memory();
    collect_constants();
    collect_inputs();
    collect_producers();
    order_live_nodes();
    resolve_removed_nodes();
    add_input_layers();
    for (int i : order_) {
      const NodeProto& n = g_.node(i);
      if (dropped_.count(i) || is_constant_node(n)) continue;
      map_node(n);
    }
    for (const auto& o : outputs_)
      if (!values_.count(o)) throw InputError(source_, "graph output '" + o + "' is not computed by a supported node");
    ir::infer_shapes(graph_);
    ir::insert_splits(graph_);
    ir::validate(graph_);
    return std::move(graph_);
  }

 private:
  // ---- model-level checks and bookkeeping -------------------------------------------------------

  // The initializers' elements as float32, twice (decoded, then in the graph's layers), against the
  // memory budget before anything is decoded. Negative dimensions are left to decode_tensor to report.
  void check_weights_memory() const {
    std::uint64_t elements = 0;
    for (const auto& init : g_.initializer()) {
      std::uint64_t n = 1;
      for (std::int64_t d : init.dims()) n = saturating_mul(n, d < 0 ? 0 : std::uint64_t(d));
      if (n > (std::uint64_t(1) << 31)) continue;  // decode_tensor names the oversized tensor itself
      elements = std::min(elements + n, std::uint64_t(1) << 62);
    }
    check_memory_budget(saturating_mul(elements, 2 * sizeof(float)), source_,
                        "the model's weights (" + std::to_string(elements) + " initializer elements)");
  }

  void read_opset() {
    for (const auto& op : model_.opset_import())
      if (op.domain().empty() || op.domain() == "ai.onnx") opset_ = int(op.version());
    if (opset_ == 0)
      throw InputError(source_, "the model imports no default-domain opset (opset_import is missing; truncated file?)");
    if (opset_ < kMinOpset || opset_ > kMaxOpset)
      throw InputError(source_, "opset " + std::to_string(opset_) + " is not supported; expected " +
                                    std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                                    " (re-export the model with opset 13)");
  }

  static bool is_constant_node(const NodeProto& n) {
    return n.op_type() == "Constant" && (n.domain().empty() || n.domain() == "ai.onnx");
  }

  std::string display_name(const NodeProto& n) const {
    if (!n.name().empty()) return n.name();
    if (n.output_size() > 0 && !n.output(0).empty()) return n.output(0);
    return "<unnamed>";
  }

  std::string where(const NodeProto& n) const {
    return source_ + ": node '" + display_name(n) + "' (" + n.op_type() + ")";
  }

  void add_constant(const std::string& name, const onnx::TensorProto* t, const std::string& where_text) {
    if (name.empty()) throw InputError(where_text, "a constant tensor has no name");
    if (!constants_.emplace(name, t).second)
      throw InputError(where_text, "tensor '" + name + "' is defined twice (initializer or Constant)");
  }

  void collect_constants() {
    for (const auto& init : g_.initializer()) add_constant(init.name(), &init, source_ + ": initializer");
    for (const auto& n : g_.node()) {
      if (!is_constant_node(n)) continue;
      if (n.output_size() < 1 || n.output(0).empty()) throw InputError(where(n), "has no output");
      Attributes a(n, where(n));
      onnx::TensorProto t;
      if (const onnx::TensorProto* value = a.get_tensor("value")) {
        t = *value;
      } else if (a.has("value_float")) {
        t.set_data_type(onnx::TensorProto::FLOAT);
        t.add_float_data(a.get_float("value_float", 0.0f));
      } else if (auto fs = a.get_floats("value_floats")) {
        t.set_data_type(onnx::TensorProto::FLOAT);
        t.add_dims(std::int64_t(fs->size()));
        for (float f : *fs) t.add_float_data(f);
      } else if (a.has("value_int")) {
        t.set_data_type(onnx::TensorProto::INT64);
        t.add_int64_data(a.get_int("value_int", 0));
      } else if (auto is = a.get_ints("value_ints")) {
        t.set_data_type(onnx::TensorProto::INT64);
        t.add_dims(std::int64_t(is->size()));
        for (std::int64_t i : *is) t.add_int64_data(i);
      } else {
        throw InputError(where(n), "expected a 'value', 'value_float(s)' or 'value_int(s)' attribute "
                                   "(sparse and string constants are not supported)");
      }
      t.set_name(n.output(0));
      owned_.push_back(std::move(t));
      add_constant(n.output(0), &owned_.back(), where(n));
    }
  }

  void collect_inputs() {
    for (const auto& vi : g_.input()) {
      if (constants_.count(vi.name())) continue;  // an initializer listed as an input (IR version < 4)
      if (vi.name().empty()) throw InputError(source_, "a graph input has no name");
      if (!inputs_.emplace(vi.name(), &vi).second)
        throw InputError(source_, "graph input '" + vi.name() + "' is declared twice");
      input_order_.push_back(vi.name());
    }
  }

  void collect_producers() {
    for (int i = 0; i < g_.node_size(); ++i) {
      const NodeProto& n = g_.node(i);
      if (is_constant_node(n)) continue;
      for (const auto& out : n.output()) {
        if (out.empty()) continue;
        if (constants_.count(out) || inputs_.count(out))
          throw InputError(where(n), "output '" + out + "' is also a graph input or initializer");
        auto [it, fresh] = producer_.emplace(out, i);
        if (!fresh)
          throw InputError(where(n), "output '" + out + "' is also produced by node '" +
                                         display_name(g_.node(it->second)) + "'");
      }
    }
  }

  // Keep the nodes that some graph output depends on, in topological order (Kahn, file order on ties).
  void order_live_nodes() {
    if (g_.output_size() == 0) throw InputError(source_, "the graph has no outputs");
    std::vector<char> live(std::size_t(g_.node_size()), 0);
    std::vector<int> stack;
    auto require = [&](const std::string& t, const std::string& consumer) {
      if (constants_.count(t) || inputs_.count(t)) return;
      auto it = producer_.find(t);
      if (it == producer_.end())
        throw InputError(consumer, "tensor '" + t + "' is not produced by any node, graph input or initializer "
                                   "(dangling tensor name)");
      stack.push_back(it->second);
    };
    for (const auto& out : g_.output()) {
      if (constants_.count(out.name()))
        throw InputError(source_, "graph output '" + out.name() + "' is a constant");
      require(out.name(), source_ + ": graph output '" + out.name() + "'");
    }
    while (!stack.empty()) {
      int i = stack.back();
      stack.pop_back();
      if (live[std::size_t(i)]) continue;
      live[std::size_t(i)] = 1;
      const NodeProto& n = g_.node(i);
      for (const auto& in : n.input())
        if (!in.empty()) require(in, where(n));
    }
    std::vector<int> indegree(std::size_t(g_.node_size()), 0);
    std::vector<std::vector<int>> consumers(std::size_t(g_.node_size()));
    std::set<int> ready;
    int count = 0;
    for (int i = 0; i < g_.node_size(); ++i) {
      if (!live[std::size_t(i)] || is_constant_node(g_.node(i))) continue;
      ++count;
      for (const auto& in : g_.node(i).input()) {
        auto it = producer_.find(in);
        if (in.empty() || it == producer_.end()) continue;
        consumers[std::size_t(it->second)].push_back(i);
        ++indegree[std::size_t(i)];
      }
      if (indegree[std::size_t(i)] == 0) ready.insert(i);
    }
    while (!ready.empty()) {
      int i = *ready.begin();
      ready.erase(ready.begin());
      order_.push_back(i);
      for (int c : consumers[std::size_t(i)])
        if (--indegree[std::size_t(c)] == 0) ready.insert(c);
    }
    if (int(order_.size()) != count) {
      for (int i = 0; i < g_.node_size(); ++i)
        if (indegree[std::size_t(i)] > 0) throw InputError(where(g_.node(i)), "is part of a cycle");
    }
  }

  std::string resolve(std::string t) const {
    for (auto it = alias_.find(t); it != alias_.end(); it = alias_.find(t)) t = it->second;
    return t;
  }

  // Identity and Dropout forward their input; a Softmax whose output is only a graph output is dropped
  // (it is monotonic, so top-k is unchanged, and the accelerator ends at the logits).
  void resolve_removed_nodes() {
    std::unordered_map<std::string, int> raw_uses;
    for (int i : order_)
      for (const auto& in : g_.node(i).input()) ++raw_uses[in];
    for (const auto& o : g_.output()) ++raw_uses[o.name()];
    for (int i : order_) {
      const NodeProto& n = g_.node(i);
      if (n.op_type() != "Identity" && n.op_type() != "Dropout") continue;
      if (n.input_size() < 1 || n.input(0).empty() || n.output_size() < 1)
        throw InputError(where(n), "expected one input and one output");
      if (n.op_type() == "Dropout" && n.output_size() > 1 && !n.output(1).empty() && raw_uses.count(n.output(1)))
        throw InputError(where(n), "the Dropout mask output '" + n.output(1) + "' is used; only the data output is supported");
      alias_[n.output(0)] = resolve(n.input(0));
      dropped_.insert(i);
    }
    for (int i : order_) {
      if (dropped_.count(i)) continue;
      for (const auto& in : g_.node(i).input())
        if (!in.empty()) ++uses_[resolve(in)];
    }
    for (const auto& o : g_.output()) {
      std::string r = resolve(o.name());
      outputs_.insert(r);
      ++uses_[r];
    }
    for (int i : order_) {
      const NodeProto& n = g_.node(i);
      if (n.op_type() != "Softmax") continue;
      if (n.input_size() < 1 || n.output_size() < 1) throw InputError(where(n), "expected one input and one output");
      const std::string& out = n.output(0);
      if (!outputs_.count(out) || uses_[out] != 1)
        throw InputError(where(n), "Softmax is supported only as the last node of the graph (it is dropped; "
                                   "the accelerator outputs the logits)");
      std::string in = resolve(n.input(0));
      alias_[out] = in;
      outputs_.erase(out);
      outputs_.insert(in);  // the Softmax's use of `in` becomes the graph output's use
      dropped_.insert(i);
      warn_ << "warning: " << where(n) << ": dropped the final Softmax; the model now outputs '" << in << "'\n";
    }
  }

  void add_input_layers() {
    for (const auto& name : input_order_) {
      if (!uses_.count(name) && !outputs_.count(name)) continue;  // unused input
      const onnx::ValueInfoProto& vi = *inputs_.at(name);
      std::string here = source_ + ": graph input '" + name + "'";
      if (!vi.type().has_tensor_type()) throw InputError(here, "is not a tensor");
      const auto& tt = vi.type().tensor_type();
      if (tt.elem_type() != onnx::TensorProto::FLOAT && tt.elem_type() != onnx::TensorProto::FLOAT16)
        throw InputError(here, "has element type " + std::to_string(tt.elem_type()) + "; expected float");
      if (!tt.has_shape()) throw InputError(here, "has no shape; expected [N, C, H, W] or [N, C]");
      const int rank = tt.shape().dim_size();
      if (rank != 4 && rank != 2)
        throw InputError(here, "has rank " + std::to_string(rank) + "; expected [N, C, H, W] or [N, C]");
      std::vector<int> dims;
      for (int d = 1; d < rank; ++d) {  // dim 0 is the batch: set to 1 / ignored, may be symbolic
        const auto& dim = tt.shape().dim(d);
        if (!dim.has_dim_value())
          throw InputError(here, "dimension " + std::to_string(d) + " is " +
                                     (dim.has_dim_param() ? "symbolic ('" + dim.dim_param() + "')" : "unknown") +
                                     "; only the batch dimension may be symbolic");
        if (dim.dim_value() <= 0 || dim.dim_value() > (1 << 24))
          throw InputError(here, "dimension " + std::to_string(d) + " is " + std::to_string(dim.dim_value()) +
                                     "; expected a positive size");
        dims.push_back(int(dim.dim_value()));
      }
      ir::Layer l;
      l.name = name;
      l.kind = ir::LayerKind::Input;
      l.output_tensor = name;
      l.output_shape = rank == 4 ? ir::Shape{dims[0], dims[1], dims[2]} : ir::Shape{dims[0], 1, 1};
      ir::Vertex v = graph_.add_layer(std::move(l));
      values_[name] = {v, rank};
    }
  }

  // ---- inputs of one node -----------------------------------------------------------------------

  static bool has_input(const NodeProto& n, int i) { return i < n.input_size() && !n.input(i).empty(); }

  std::string activation(const NodeProto& n, int i, const std::string& what) const {
    if (!has_input(n, i)) throw InputError(where(n), "missing input " + std::to_string(i) + " (" + what + ")");
    std::string t = resolve(n.input(i));
    if (values_.count(t)) return t;
    if (constants_.count(t))
      throw InputError(where(n), "input '" + t + "' (" + what + ") is a constant; expected a tensor computed "
                                 "from the graph input");
    throw InputError(where(n), "input '" + t + "' (" + what + ") is not computed by a supported node");
  }

  const Value& value(const std::string& resolved) const { return values_.at(resolved); }
  const ir::Shape& shape_of(const std::string& resolved) const {
    return graph_.layer(values_.at(resolved).layer).output_shape;
  }

  bool is_constant(const NodeProto& n, int i) const {
    return has_input(n, i) && constants_.count(resolve(n.input(i))) > 0;
  }

  // A constant input, decoded once. Float constants must be finite (weights, BN statistics, biases).
  const ConstTensor& constant(const NodeProto& n, int i, const std::string& what, bool want_float = true) {
    if (!has_input(n, i)) throw InputError(where(n), "missing input " + std::to_string(i) + " (" + what + ")");
    std::string t = resolve(n.input(i));
    auto c = constants_.find(t);
    if (c == constants_.end())
      throw InputError(where(n), "input '" + t + "' (" + what + ") is computed at run time; expected an "
                                 "initializer or a Constant node");
    auto it = decoded_.find(t);
    if (it == decoded_.end()) {
      ConstTensor decoded = decode_tensor(*c->second, where(n));
      if (decoded.is_float)
        for (float x : decoded.floats)
          if (!std::isfinite(x))
            throw InputError(where(n), "initializer '" + t + "' (" + what + ") contains NaN or Inf");
      it = decoded_.emplace(t, std::move(decoded)).first;
    }
    if (it->second.is_float != want_float)
      throw InputError(where(n), "input '" + t + "' (" + what + ") must be a " +
                                     (want_float ? "floating-point" : "integer") + " tensor");
    return it->second;
  }

  std::int64_t uses(const std::string& resolved) const {
    auto it = uses_.find(resolved);
    return it == uses_.end() ? 0 : it->second;
  }

  void require_rank(const NodeProto& n, const std::string& t, int rank) const {
    if (value(t).rank != rank)
      throw InputError(where(n), "expects a " + std::string(rank == 4 ? "4-D [N, C, H, W]" : "2-D [N, C]") +
                                     " input; '" + t + "' has rank " + std::to_string(value(t).rank));
  }

  // ---- layers -----------------------------------------------------------------------------------

  std::string layer_name(const NodeProto& n) const {
    std::string base = display_name(n);
    std::string name = base;
    for (int k = 2; graph_.contains(name); ++k) name = base + "_" + std::to_string(k);
    return name;
  }

  ir::Vertex emit(const NodeProto& n, ir::Layer layer, const std::vector<std::string>& inputs, int rank) {
    if (n.output_size() < 1 || n.output(0).empty()) throw InputError(where(n), "has no output");
    layer.name = layer_name(n);
    layer.output_tensor = n.output(0);
    layer.input_tensors = inputs;
    for (const auto& t : inputs) layer.input_shapes.push_back(shape_of(t));
    try {
      layer.output_shape = ir::output_shape_of(graph_, layer);
    } catch (const InputError& e) {
      throw InputError(where(n), e.detail());
    }
    ir::Vertex v = graph_.add_layer(std::move(layer));
    for (std::size_t p = 0; p < inputs.size(); ++p) graph_.connect(value(inputs[p]).layer, v, int(p));
    values_[n.output(0)] = {v, rank};
    return v;
  }

  // A fused node (BatchNormalization, bias Add) continues the layer that produces its input.
  void continue_layer(const NodeProto& n, const std::string& input) {
    if (n.output_size() < 1 || n.output(0).empty()) throw InputError(where(n), "has no output");
    Value v = value(input);
    graph_.layer(v.layer).output_tensor = n.output(0);
    values_[n.output(0)] = v;
  }

  void map_node(const NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") unsupported(n);
    if (op == "Conv") return conv(n);
    if (op == "Relu") return relu(n, 0.0f);
    if (op == "ThresholdedRelu") return thresholded_relu(n);
    if (op == "Clip") return clip(n);
    if (op == "MaxPool" || op == "AveragePool") return pool(n);
    if (op == "GlobalAveragePool") return global_average_pool(n);
    if (op == "Gemm") return gemm(n);
    if (op == "MatMul") return matmul(n);
    if (op == "Add") return add(n);
    if (op == "Concat") return concat(n);
    if (op == "Flatten") return flatten(n);
    if (op == "Reshape") return reshape(n);
    if (op == "BatchNormalization") return batch_norm(n);
    unsupported(n);
  }

  [[noreturn]] void unsupported(const NodeProto& n) const {
    std::string op = n.domain().empty() ? n.op_type() : n.domain() + "." + n.op_type();
    throw InputError(where(n), "unsupported op '" + op + "'; supported ops: " + supported_onnx_ops());
  }

  // Kernel geometry of a Conv or pool: strides, dilations (1 only) and pads with auto_pad resolved.
  ir::Window window(const NodeProto& n, const Attributes& a, const ir::Shape& in, int kr, int kc) const {
    ir::Window w;
    w.kernel_rows = kr;
    w.kernel_cols = kc;
    auto strides = a.get_ints("strides").value_or(std::vector<std::int64_t>{1, 1});
    if (strides.size() != 2 || strides[0] <= 0 || strides[1] <= 0)
      throw InputError(where(n), "attribute 'strides' = " + list_string(strides) + "; expected two positive values");
    w.stride_rows = int(strides[0]);
    w.stride_cols = int(strides[1]);
    if (auto d = a.get_ints("dilations"))
      for (std::int64_t x : *d)
        if (x != 1)
          throw InputError(where(n), "attribute 'dilations' = " + list_string(*d) + " is not supported (only 1)");
    auto pads = a.get_ints("pads");
    if (pads && (pads->size() != 4 || std::any_of(pads->begin(), pads->end(), [](auto p) { return p < 0; })))
      throw InputError(where(n), "attribute 'pads' = " + list_string(*pads) + "; expected four non-negative values "
                                 "[top, left, bottom, right]");
    std::string auto_pad = a.get_string("auto_pad", "NOTSET");
    if (auto_pad == "NOTSET") {
      if (pads) {
        w.pad_top = int((*pads)[0]);
        w.pad_left = int((*pads)[1]);
        w.pad_bottom = int((*pads)[2]);
        w.pad_right = int((*pads)[3]);
      }
      return w;
    }
    if (pads && std::any_of(pads->begin(), pads->end(), [](auto p) { return p != 0; }))
      throw InputError(where(n), "attributes 'auto_pad' = " + auto_pad + " and 'pads' are both set");
    if (auto_pad == "VALID") return w;
    if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
      throw InputError(where(n), "attribute 'auto_pad' = '" + auto_pad +
                                     "'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    // SAME: output = ceil(input / stride); the odd pad goes at the end (UPPER) or the beginning (LOWER).
    auto same = [&](int input, int kernel, int stride, int& begin, int& end) {
      int output = (input + stride - 1) / stride;
      int total = std::max(0, (output - 1) * stride + kernel - input);
      int small = total / 2;
      begin = auto_pad == "SAME_UPPER" ? small : total - small;
      end = total - begin;
    };
    same(in.rows, kr, w.stride_rows, w.pad_top, w.pad_bottom);
    same(in.cols, kc, w.stride_cols, w.pad_left, w.pad_right);
    return w;
  }

  void conv(const NodeProto& n) {
    Attributes a(n, where(n));
    std::string x = activation(n, 0, "X");
    require_rank(n, x, 4);
    const ir::Shape& in = shape_of(x);
    const ConstTensor& w = constant(n, 1, "weights");
    if (w.dims.size() != 4)
      throw InputError(where(n), "weights have dims " + w.dims_string() + "; expected [F, C/group, kH, kW]");
    const int filters = int(w.dims[0]), kr = int(w.dims[2]), kc = int(w.dims[3]);
    const std::int64_t group = a.get_int("group", 1);
    if (group <= 0 || w.dims[1] * group != in.channels)
      throw InputError(where(n), "weights have dims " + w.dims_string() + " and group = " + std::to_string(group) +
                                     ", but the input has " + std::to_string(in.channels) + " channels");
    if (auto ks = a.get_ints("kernel_shape"); ks && *ks != std::vector<std::int64_t>{kr, kc})
      throw InputError(where(n), "attribute 'kernel_shape' = " + list_string(*ks) + " does not match the weights " +
                                     w.dims_string());
    ir::Layer l;
    l.kind = ir::LayerKind::Convolution;
    l.window = window(n, a, in, kr, kc);
    l.groups = int(group);
    l.filters = filters;
    l.weights = Eigen::Map<const Eigen::VectorXf>(w.floats.data(), Eigen::Index(w.floats.size()));
    if (has_input(n, 2)) {
      const ConstTensor& b = constant(n, 2, "bias");
      if (b.numel() != filters)
        throw InputError(where(n), "bias has dims " + b.dims_string() + "; expected [" + std::to_string(filters) + "]");
      l.bias = Eigen::Map<const Eigen::VectorXf>(b.floats.data(), Eigen::Index(b.floats.size()));
    }
    if (auto hist = a.get_floats("channel_sparsity_hist")) l.sparsity = sparsity_stats(n, *hist, in.channels, kr, kc);
    emit(n, std::move(l), {x}, 4);
  }

  // `channel_sparsity_hist` (model.md §3.4/§5.1): row-major [c][z], C·(K²+1) fractions, rows sum to 1.
  ir::SparsityStats sparsity_stats(const NodeProto& n, const std::vector<float>& hist, int channels, int kr, int kc) const {
    const std::size_t bins = std::size_t(kr * kc + 1);
    if (hist.size() != std::size_t(channels) * bins)
      throw InputError(where(n), "attribute 'channel_sparsity_hist' has " + std::to_string(hist.size()) +
                                     " values; expected C x (K²+1) = " + std::to_string(std::size_t(channels) * bins));
    ir::SparsityStats s;
    s.kernel_rows = kr;
    s.kernel_cols = kc;
    s.histogram.assign(std::size_t(channels), std::vector<double>(bins));
    for (std::size_t c = 0; c < std::size_t(channels); ++c) {
      double sum = 0.0;
      for (std::size_t z = 0; z < bins; ++z) {
        float f = hist[c * bins + z];
        if (!std::isfinite(f) || f < 0.0f || f > 1.0f)
          throw InputError(where(n), "attribute 'channel_sparsity_hist' holds " + float_string(f) +
                                         "; expected fractions in [0, 1]");
        s.histogram[c][z] = f;
        sum += f;
      }
      if (std::abs(sum - 1.0) > 1e-3)
        throw InputError(where(n), "attribute 'channel_sparsity_hist': the row of channel " + std::to_string(c) +
                                       " sums to " + float_string(sum) + "; expected 1");
    }
    std::vector<double> per_channel = s.channel_sparsity();
    double total = 0.0;
    for (double v : per_channel) total += v;
    s.mean_sparsity = per_channel.empty() ? 0.0 : total / double(per_channel.size());
    return s;
  }

  void relu(const NodeProto& n, float threshold) {
    std::string x = activation(n, 0, "X");
    ir::Layer l;
    l.kind = ir::LayerKind::ReLU;
    l.threshold = threshold;
    emit(n, std::move(l), {x}, value(x).rank);
  }

  void thresholded_relu(const NodeProto& n) {
    float alpha = Attributes(n, where(n)).get_float("alpha", 1.0f);  // ONNX default alpha = 1
    if (!std::isfinite(alpha) || alpha < 0.0f)
      throw InputError(where(n), "attribute 'alpha' = " + float_string(alpha) + "; expected a threshold >= 0");
    relu(n, alpha);
  }

  // Clip(min = 0) without max is a ReLU. min/max are attributes before opset 11 and inputs after.
  void clip(const NodeProto& n) {
    Attributes a(n, where(n));
    std::optional<float> min, max;
    if (a.has("min")) min = a.get_float("min", 0.0f);
    if (a.has("max")) max = a.get_float("max", 0.0f);
    auto scalar = [&](int i, const char* what) -> std::optional<float> {
      if (!has_input(n, i)) return std::nullopt;
      const ConstTensor& t = constant(n, i, what);
      if (t.numel() != 1) throw InputError(where(n), std::string(what) + " must be a scalar; got dims " + t.dims_string());
      return t.floats[0];
    };
    if (auto m = scalar(1, "min")) min = m;
    if (has_input(n, 2)) {
      // constant() rejects Inf, so read max by hand: +Inf means "no upper bound".
      std::string t = resolve(n.input(2));
      auto c = constants_.find(t);
      if (c == constants_.end())
        throw InputError(where(n), "input 'max' is computed at run time; expected an initializer or a Constant node");
      ConstTensor m = decode_tensor(*c->second, where(n));
      if (!m.is_float || m.numel() != 1) throw InputError(where(n), "max must be a float scalar");
      max = m.floats[0];
    }
    if (max && !(std::isinf(*max) && *max > 0))
      throw InputError(where(n), "Clip with max = " + float_string(*max) + " is not supported; only Clip(min = 0) "
                                 "without max (a ReLU)");
    if (!min || *min != 0.0f)
      throw InputError(where(n), std::string("Clip with ") + (min ? "min = " + float_string(*min) : "no min") +
                                     " is not supported; only Clip(min = 0) without max (a ReLU)");
    relu(n, 0.0f);
  }

  void pool(const NodeProto& n) {
    Attributes a(n, where(n));
    const bool average = n.op_type() == "AveragePool";
    std::string x = activation(n, 0, "X");
    require_rank(n, x, 4);
    const ir::Shape& in = shape_of(x);
    auto ks = a.get_ints("kernel_shape");
    if (!ks || ks->size() != 2 || (*ks)[0] <= 0 || (*ks)[1] <= 0)
      throw InputError(where(n), "attribute 'kernel_shape' must hold two positive values");
    if (!average && n.output_size() > 1 && !n.output(1).empty() && (uses(n.output(1)) || outputs_.count(n.output(1))))
      throw InputError(where(n), "the Indices output '" + n.output(1) + "' is used; it is not supported");
    ir::Layer l;
    l.kind = average ? ir::LayerKind::AveragePool : ir::LayerKind::MaxPool;
    l.window = window(n, a, in, int((*ks)[0]), int((*ks)[1]));
    const ir::Window& w = l.window;
    if (a.get_int("ceil_mode", 0) != 0) {
      // Ceil mode is accepted only where it gives the floor-mode output size.
      auto ceil_size = [](int input, int k, int s, int pb, int pe) { return (input + pb + pe - k + s - 1) / s + 1; };
      int fr = ir::window_output_size(in.rows, w.kernel_rows, w.stride_rows, w.pad_top, w.pad_bottom);
      int fc = ir::window_output_size(in.cols, w.kernel_cols, w.stride_cols, w.pad_left, w.pad_right);
      int cr = ceil_size(in.rows, w.kernel_rows, w.stride_rows, w.pad_top, w.pad_bottom);
      int cc = ceil_size(in.cols, w.kernel_cols, w.stride_cols, w.pad_left, w.pad_right);
      if (fr != cr || fc != cc)
        throw InputError(where(n), "attribute 'ceil_mode' = 1 gives a " + std::to_string(cr) + "x" + std::to_string(cc) +
                                       " output where floor mode gives " + std::to_string(fr) + "x" +
                                       std::to_string(fc) + "; only floor mode is supported");
    }
    if (average) {
      l.count_include_pad = a.get_int("count_include_pad", 0) != 0;
      // A pool over the whole unpadded map is a global pool (model.md §3.2 step 4).
      const bool unpadded = w.pad_top == 0 && w.pad_left == 0 && w.pad_bottom == 0 && w.pad_right == 0;
      if (unpadded && w.kernel_rows == in.rows && w.kernel_cols == in.cols) {
        ir::Layer g;
        g.kind = ir::LayerKind::GlobalAveragePool;
        emit(n, std::move(g), {x}, 4);
        return;
      }
    }
    emit(n, std::move(l), {x}, 4);
  }

  void global_average_pool(const NodeProto& n) {
    std::string x = activation(n, 0, "X");
    require_rank(n, x, 4);
    ir::Layer l;
    l.kind = ir::LayerKind::GlobalAveragePool;
    emit(n, std::move(l), {x}, 4);
  }

  // y = x·Bᵀ (or x·B) + C as an InnerProduct with weights [F][K].
  void inner_product(const NodeProto& n, const std::string& x, const ConstTensor& b, bool trans_b, float alpha,
                     const ConstTensor* c, float beta) {
    require_rank(n, x, 2);
    const std::int64_t k = shape_of(x).elements();
    if (b.dims.size() != 2)
      throw InputError(where(n), "weights have dims " + b.dims_string() + "; expected a matrix");
    const std::int64_t b_k = trans_b ? b.dims[1] : b.dims[0];
    const std::int64_t f = trans_b ? b.dims[0] : b.dims[1];
    if (b_k != k)
      throw InputError(where(n), "weights have dims " + b.dims_string() + (trans_b ? " (transB = 1)" : "") +
                                     " but the input has " + std::to_string(k) + " features");
    ir::Layer l;
    l.kind = ir::LayerKind::InnerProduct;
    l.filters = int(f);
    l.weights.resize(Eigen::Index(f * k));
    for (std::int64_t o = 0; o < f; ++o)
      for (std::int64_t i = 0; i < k; ++i)
        l.weights[Eigen::Index(o * k + i)] = alpha * b.floats[std::size_t(trans_b ? o * k + i : i * f + o)];
    if (c) l.bias = bias_vector(n, *c, f) * beta;
    emit(n, std::move(l), {x}, 2);
  }

  // A per-feature bias given as [F], [1, F], or a broadcast scalar ([] or [1]).
  Eigen::VectorXf bias_vector(const NodeProto& n, const ConstTensor& c, std::int64_t f) const {
    std::int64_t outer = 1;
    for (std::size_t d = 0; d + 1 < c.dims.size(); ++d) outer *= c.dims[d];
    const bool scalar = c.numel() == 1;
    if (!scalar && !(c.numel() == f && outer == 1))
      throw InputError(where(n), "bias has dims " + c.dims_string() + "; expected [" + std::to_string(f) + "], [1, " +
                                     std::to_string(f) + "] or a scalar");
    if (scalar) return Eigen::VectorXf::Constant(Eigen::Index(f), c.floats[0]);
    return Eigen::Map<const Eigen::VectorXf>(c.floats.data(), Eigen::Index(f));
  }

  void gemm(const NodeProto& n) {
    Attributes a(n, where(n));
    if (a.get_int("transA", 0) != 0)
      throw InputError(where(n), "attribute 'transA' = 1 is not supported; the activation must be [N, K]");
    std::string x = activation(n, 0, "A");
    const ConstTensor& b = constant(n, 1, "B (weights)");
    const ConstTensor* c = has_input(n, 2) ? &constant(n, 2, "C (bias)") : nullptr;
    inner_product(n, x, b, a.get_int("transB", 0) != 0, a.get_float("alpha", 1.0f), c, a.get_float("beta", 1.0f));
  }

  void matmul(const NodeProto& n) {
    if (is_constant(n, 0))
      throw InputError(where(n), "the first operand is a constant; only x·W with constant W is supported");
    std::string x = activation(n, 0, "A");
    const ConstTensor& b = constant(n, 1, "B (weights)");
    inner_product(n, x, b, false, 1.0f, nullptr, 1.0f);
  }

  void add(const NodeProto& n) {
    if (n.input_size() != 2) throw InputError(where(n), "expected two inputs");
    const bool c0 = is_constant(n, 0), c1 = is_constant(n, 1);
    if (c0 && c1) throw InputError(where(n), "both operands are constants (constant folding is not supported)");
    if (!c0 && !c1) {
      std::string a = activation(n, 0, "A"), b = activation(n, 1, "B");
      if (value(a).rank != value(b).rank)
        throw InputError(where(n), "operands have ranks " + std::to_string(value(a).rank) + " and " +
                                       std::to_string(value(b).rank) + " (broadcasting is not supported)");
      ir::Layer l;
      l.kind = ir::LayerKind::EltwiseAdd;
      emit(n, std::move(l), {a, b}, value(a).rank);
      return;
    }
    // x + constant: the bias of the MatMul/Gemm (or Conv) that produces x, if x has no other use.
    const int xi = c0 ? 1 : 0;
    std::string x = activation(n, xi, "X");
    ir::Layer& producer = graph_.layer(value(x).layer);
    const ConstTensor& c = constant(n, 1 - xi, "bias");
    const bool fusable = (producer.kind == ir::LayerKind::InnerProduct || producer.kind == ir::LayerKind::Convolution) &&
                         uses(x) == 1 && !outputs_.count(x);
    if (!fusable)
      throw InputError(where(n), "adding a constant is supported only as the bias of the MatMul/Gemm/Conv that "
                                 "produces '" + x + "' (and nothing else may read that tensor)");
    Eigen::VectorXf bias;
    if (producer.kind == ir::LayerKind::InnerProduct) {
      bias = bias_vector(n, c, producer.filters);
    } else {
      // Conv bias as [F, 1, 1] or [1, F, 1, 1].
      bool per_channel = c.numel() == producer.filters && c.dims.size() >= 3 && c.dims[c.dims.size() - 1] == 1 &&
                         c.dims[c.dims.size() - 2] == 1;
      if (!per_channel && c.numel() != 1)
        throw InputError(where(n), "a Conv bias must have dims [1, F, 1, 1] or [F, 1, 1]; got " + c.dims_string());
      bias = c.numel() == 1 ? Eigen::VectorXf::Constant(producer.filters, c.floats[0])
                            : Eigen::VectorXf(Eigen::Map<const Eigen::VectorXf>(c.floats.data(), producer.filters));
    }
    if (producer.has_bias())
      producer.bias += bias;
    else
      producer.bias = bias;
    continue_layer(n, x);
  }

  int normalised_axis(const NodeProto& n, std::int64_t axis, int rank) const {
    if (axis < -rank || axis >= rank + (n.op_type() == "Flatten" ? 1 : 0))
      throw InputError(where(n), "attribute 'axis' = " + std::to_string(axis) + " is out of range for rank " +
                                     std::to_string(rank));
    return int(axis < 0 ? axis + rank : axis);
  }

  void concat(const NodeProto& n) {
    Attributes a(n, where(n));
    if (!a.has("axis")) throw InputError(where(n), "attribute 'axis' is required");
    std::vector<std::string> inputs;
    for (int i = 0; i < n.input_size(); ++i) inputs.push_back(activation(n, i, "input " + std::to_string(i)));
    if (inputs.empty()) throw InputError(where(n), "has no inputs");
    const int rank = value(inputs[0]).rank;
    for (const auto& t : inputs)
      if (value(t).rank != rank) throw InputError(where(n), "inputs have different ranks");
    if (normalised_axis(n, a.get_int("axis", 1), rank) != 1)
      throw InputError(where(n), "attribute 'axis' = " + std::to_string(a.get_int("axis", 1)) +
                                     " is not supported; only concatenation along channels (axis 1)");
    ir::Layer l;
    l.kind = ir::LayerKind::Concat;
    emit(n, std::move(l), inputs, rank);
  }

  void flatten(const NodeProto& n) {
    std::string x = activation(n, 0, "input");
    std::int64_t axis = Attributes(n, where(n)).get_int("axis", 1);
    if (normalised_axis(n, axis, value(x).rank) != 1)
      throw InputError(where(n), "attribute 'axis' = " + std::to_string(axis) + " is not supported; only axis 1 "
                                 "(keep the batch, flatten the rest)");
    ir::Layer l;
    l.kind = ir::LayerKind::Flatten;
    emit(n, std::move(l), {x}, 2);
  }

  // Reshape to [N, -1] (or an equivalent explicit shape) is a Flatten; nothing else is supported.
  void reshape(const NodeProto& n) {
    std::string x = activation(n, 0, "data");
    const ConstTensor& s = constant(n, 1, "shape", false);
    const std::int64_t elements = shape_of(x).elements();
    const bool allow_zero = Attributes(n, where(n)).get_int("allowzero", 0) != 0;
    bool ok = s.ints.size() == 2;
    if (ok) {
      std::int64_t batch = s.ints[0], rest = s.ints[1];
      bool batch_ok = batch == 1 || (batch == 0 && !allow_zero) || (batch == -1 && rest == elements);
      ok = batch_ok && (rest == -1 || rest == elements);
    }
    if (!ok)
      throw InputError(where(n), "reshape to " + list_string(s.ints) + " is not supported; only a flatten to [N, -1] "
                                 "(here [N, " + std::to_string(elements) + "])");
    ir::Layer l;
    l.kind = ir::LayerKind::Flatten;
    emit(n, std::move(l), {x}, 2);
  }

  // BN after a Conv/Gemm folds into its weights and bias: w' = w·γ/√(σ²+ε), b' = (b−μ)·γ/√(σ²+ε) + β.
  void batch_norm(const NodeProto& n) {
    Attributes a(n, where(n));
    if (a.get_int("training_mode", 0) != 0)
      throw InputError(where(n), "attribute 'training_mode' = 1 is not supported (export the model in eval mode)");
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && (uses(n.output(i)) || outputs_.count(n.output(i))))
        throw InputError(where(n), "the training output '" + n.output(i) + "' is used");
    std::string x = activation(n, 0, "X");
    ir::Layer& producer = graph_.layer(value(x).layer);
    if ((producer.kind != ir::LayerKind::Convolution && producer.kind != ir::LayerKind::InnerProduct) ||
        uses(x) != 1 || outputs_.count(x))
      throw InputError(where(n), "cannot be folded: its input '" + x + "' comes from layer '" + producer.name + "' (" +
                                     std::string(ir::to_string(producer.kind)) + (uses(x) != 1 ? ", read by other nodes too" : "") +
                                     "); a BatchNormalization must directly follow a Conv or Gemm whose output "
                                     "nothing else reads");
    const int f = producer.filters;
    const char* names[4] = {"scale", "B", "mean", "var"};
    const ConstTensor* p[4];
    for (int i = 0; i < 4; ++i) {
      p[i] = &constant(n, i + 1, names[i]);
      if (p[i]->numel() != f)
        throw InputError(where(n), std::string(names[i]) + " has dims " + p[i]->dims_string() + "; expected [" +
                                       std::to_string(f) + "] (the filters of '" + producer.name + "')");
    }
    const double eps = a.get_float("epsilon", 1e-5f);
    if (!producer.has_bias()) producer.bias = Eigen::VectorXf::Zero(f);
    const Eigen::Index per_filter = producer.weights.size() / f;
    for (int o = 0; o < f; ++o) {
      double var = double(p[3]->floats[std::size_t(o)]) + eps;
      if (!(var > 0.0))
        throw InputError(where(n), "var + epsilon is " + float_string(var) + " for channel " + std::to_string(o) +
                                       "; expected > 0");
      const double scale = double(p[0]->floats[std::size_t(o)]) / std::sqrt(var);
      for (Eigen::Index i = 0; i < per_filter; ++i) {
        float& w = producer.weights[o * per_filter + i];
        w = float(double(w) * scale);
      }
      producer.bias[o] = float((double(producer.bias[o]) - double(p[2]->floats[std::size_t(o)])) * scale +
                               double(p[1]->floats[std::size_t(o)]));
    }
    continue_layer(n, x);
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& g_;
  std::string source_;
  std::ostream& warn_;
  int opset_ = 0;
  ir::Graph graph_;

  std::unordered_map<std::string, const onnx::TensorProto*> constants_;  // initializers and Constant outputs
  std::deque<onnx::TensorProto> owned_;                                  // tensors of Constant nodes
  std::unordered_map<std::string, ConstTensor> decoded_;
  std::unordered_map<std::string, const onnx::ValueInfoProto*> inputs_;  // real graph inputs
  std::vector<std::string> input_order_;
  std::unordered_map<std::string, int> producer_;  // tensor → node index
  std::vector<int> order_;                         // live nodes in topological order
  std::unordered_map<std::string, std::string> alias_;  // output of a removed node → its input
  std::unordered_map<std::string, std::int64_t> uses_;  // readers of each (resolved) tensor
  std::set<std::string> outputs_;                       // resolved graph outputs
  std::unordered_set<int> dropped_;                     // Identity, Dropout, final Softmax
  std::unordered_map<std::string, Value> values_;       // activation tensor → IR value
};

}  // namespace

const std::string& supported_onnx_ops() {
  static const std::string ops =
      "Conv, Relu, ThresholdedRelu, Clip (min = 0, no max), MaxPool, AveragePool, GlobalAveragePool, Gemm, "
      "MatMul (+ Add bias), Add, Concat (channels), Flatten, Reshape (to [N, -1]), BatchNormalization (folded "
      "into the preceding Conv/Gemm), Identity, Dropout, Softmax (final node, dropped), Constant";
  return ops;
}

onnx::ModelProto parse_onnx(const std::string& bytes, const std::string& source) {
  onnx::ModelProto model;
  if (bytes.empty()) throw InputError(source, "the file is empty; expected an ONNX model");
  if (!model.ParseFromString(bytes))
    throw InputError(source, "not a valid ONNX model (protobuf parse failed: malformed or truncated file)");
  return model;
}

ir::Graph import_onnx(const onnx::ModelProto& model, const std::string& source, const OnnxImportOptions& options) {
  return Importer(model, source, options.warnings ? *options.warnings : std::cerr).run();
}

ir::Graph load_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  std::error_code ec;
  if (const std::uintmax_t size = std::filesystem::file_size(path, ec); !ec)  // the bytes + the parsed protobuf
    check_memory_budget(saturating_mul(size, 2), path.string(), "reading the ONNX model (" + format_bytes(size) + " file)");
  onnx::ModelProto model = parse_onnx(read_file(path), path.string());
  return import_onnx(model, path.string(), options);
}

}  // namespace sparsedse::frontend
