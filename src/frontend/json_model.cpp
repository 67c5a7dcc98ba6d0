// The JSON IR (docs/ir-json.md): graph structure in JSON, weights in a float32 little-endian sidecar.
#include <array>
#include <bit>
#include <cstdio>
#include <map>

#include <zlib.h>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/memory.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/onnx.hpp"
#include "sparsedse/ir/passes.hpp"

namespace sparsedse::frontend {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;
using nlohmann::json;

namespace {

constexpr const char* kFormat = "sparsedse-graph";
constexpr int kVersion = 1;

std::string crc32_hex(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed the buffer in chunks.
  for (std::size_t at = 0; at < bytes.size();) {
    std::size_t n = std::min<std::size_t>(bytes.size() - at, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), uInt(n));
    at += n;
  }
  char text[9];
  std::snprintf(text, sizeof text, "%08lx", static_cast<unsigned long>(crc & 0xffffffffUL));
  return text;
}

ojson shape_json(const ir::Shape& s) { return ojson::array({s.channels, s.rows, s.cols}); }

// Appends `values` to the sidecar as little-endian float32; returns {offset in bytes, count}.
ojson append_floats(std::string& blob, const Eigen::VectorXf& values) {
  ojson ref = {{"offset", blob.size()}, {"count", values.size()}};
  const std::size_t at = blob.size();
  blob.resize(at + 4 * std::size_t(values.size()));
  for (Eigen::Index i = 0; i < values.size(); ++i) {
    std::uint32_t u = std::bit_cast<std::uint32_t>(values[i]);
    for (int b = 0; b < 4; ++b) blob[at + 4 * std::size_t(i) + std::size_t(b)] = char((u >> (8 * b)) & 0xffu);
  }
  return ref;
}

ojson sparsity_json(const ir::SparsityStats& s) {
  return {{"kernel", {s.kernel_rows, s.kernel_cols}},
          {"windows", s.windows},
          {"histogram", s.histogram},
          {"counts", s.counts},
          {"mean_sparsity", s.mean_sparsity}};
}

// The header fields indented, then one layer per line: readable and diffable.
std::string document_text(const ojson& header, const ojson& layers) {
  std::string text = "{\n";
  for (const auto& [key, value] : header.items()) text += "  " + ojson(key).dump() + ": " + value.dump() + ",\n";
  text += "  \"layers\": [\n";
  for (std::size_t i = 0; i < layers.size(); ++i) text += "    " + layers[i].dump() + (i + 1 < layers.size() ? ",\n" : "\n");
  return text + "  ]\n}\n";
}

bool has_window(ir::LayerKind k) {
  return k == ir::LayerKind::Convolution || k == ir::LayerKind::MaxPool || k == ir::LayerKind::AveragePool;
}

// ---- reading -------------------------------------------------------------------------------------

// Field access with errors that name the file and the JSON path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw InputError(file_ + ": " + path, what);
  }
  const json& field(const json& obj, const std::string& path, const char* key) const {
    if (!obj.is_object()) fail(path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(json_path(path, key), "missing field");
    return *it;
  }
  std::int64_t integer(const json& v, const std::string& path, std::int64_t lo, std::int64_t hi) const {
    if (!v.is_number_integer()) fail(path, "expected an integer");
    std::int64_t x = v.get<std::int64_t>();
    if (x < lo || x > hi) fail(path, "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return x;
  }
  int small_int(const json& obj, const std::string& path, const char* key, int lo) const {
    return int(integer(field(obj, path, key), json_path(path, key), lo, 1 << 30));
  }
  double number(const json& v, const std::string& path) const {
    if (!v.is_number()) fail(path, "expected a number");
    return v.get<double>();
  }
  std::string string(const json& obj, const std::string& path, const char* key) const {
    const json& v = field(obj, path, key);
    if (!v.is_string()) fail(json_path(path, key), "expected a string");
    return v.get<std::string>();
  }
  const json& array(const json& obj, const std::string& path, const char* key, std::size_t size = 0) const {
    const json& v = field(obj, path, key);
    if (!v.is_array()) fail(json_path(path, key), "expected an array");
    if (size && v.size() != size) fail(json_path(path, key), "expected " + std::to_string(size) + " elements");
    return v;
  }
  ir::Shape shape(const json& v, const std::string& path) const {
    if (!v.is_array() || v.size() != 3) fail(path, "expected a shape [C, H, W]");
    return {int(integer(v[0], json_path(path, 0), 1, 1 << 30)), int(integer(v[1], json_path(path, 1), 1, 1 << 30)),
            int(integer(v[2], json_path(path, 2), 1, 1 << 30))};
  }
  std::array<int, 2> pair(const json& obj, const std::string& path, const char* key, int lo) const {
    const json& v = array(obj, path, key, 2);
    std::string p = json_path(path, key);
    return {int(integer(v[0], json_path(p, 0), lo, 1 << 20)), int(integer(v[1], json_path(p, 1), lo, 1 << 20))};
  }

 private:
  std::string file_;
};

class JsonModelReader {
 public:
  explicit JsonModelReader(const fs::path& path) : path_(path), r_(path.string()) {}

  ir::Graph run() {
    json doc = read_json(path_);
    if (!doc.is_object()) r_.fail("", "expected a JSON object");
    if (r_.string(doc, "", "format") != kFormat)
      r_.fail("/format", std::string("expected \"") + kFormat + "\" (is this a sparsedse model file?)");
    if (r_.integer(r_.field(doc, "", "version"), "/version", 0, 1 << 20) != kVersion)
      r_.fail("/version", "unsupported version; expected " + std::to_string(kVersion));
    read_weights(r_.field(doc, "", "weights"));
    ir::Graph g;
    g.name = r_.string(doc, "", "name");
    const json& layers = r_.array(doc, "", "layers");
    std::vector<std::vector<std::string>> producers;
    std::map<std::string, std::pair<std::vector<ir::Shape>, ir::Shape>> stored_shapes;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      std::string p = json_path("/layers", i);
      ir::Layer l = read_layer(layers[i], p);
      std::vector<std::string> inputs;
      const json& in = r_.array(layers[i], p, "inputs");
      for (std::size_t k = 0; k < in.size(); ++k) {
        if (!in[k].is_string()) r_.fail(json_path(json_path(p, "inputs"), k), "expected a layer name");
        inputs.push_back(in[k].get<std::string>());
      }
      stored_shapes[l.name] = {l.input_shapes, l.output_shape};
      if (g.contains(l.name)) r_.fail(json_path(p, "name"), "duplicate layer name '" + l.name + "'");
      g.add_layer(std::move(l));
      producers.push_back(std::move(inputs));
    }
    for (std::size_t i = 0; i < layers.size(); ++i) {
      ir::Vertex v = g.vertex(layers[i]["name"].get<std::string>());
      for (std::size_t port = 0; port < producers[i].size(); ++port) {
        if (!g.contains(producers[i][port]))
          r_.fail(json_path(json_path(json_path("/layers", i), "inputs"), port),
                  "no layer named '" + producers[i][port] + "'");
        g.connect(g.vertex(producers[i][port]), v, int(port));
      }
    }
    try {
      ir::infer_shapes(g);
      ir::validate(g);
    } catch (const InputError& e) {
      throw InputError(path_.string(), e.what());
    }
    // The stored shapes are redundant; a mismatch means the file was edited inconsistently.
    for (ir::Vertex v = 0; v < g.size(); ++v) {
      const ir::Layer& l = g.layer(v);
      const auto& [ins, out] = stored_shapes.at(l.name);
      if (!(out == l.output_shape) || (l.kind != ir::LayerKind::Input && ins != l.input_shapes))
        throw InputError(path_.string() + ": layer '" + l.name + "'",
                         "stored shapes do not match the shapes inferred from the graph (output " +
                             ir::to_string(out) + " stored, " + ir::to_string(l.output_shape) + " inferred)");
    }
    return g;
  }

 private:
  void read_weights(const json& w) {
    const std::string p = "/weights";
    std::string file = r_.string(w, p, "file");
    if (file.empty() || fs::path(file).has_parent_path())
      r_.fail(json_path(p, "file"), "expected a file name in the model's directory");
    const std::int64_t bytes = r_.integer(r_.field(w, p, "bytes"), json_path(p, "bytes"), 0, std::int64_t(1) << 40);
    const std::string crc = r_.string(w, p, "crc32");
    fs::path bin = path_.parent_path() / file;
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(bin, ec);
    if (!ec && size != std::uintmax_t(bytes))
      throw InputError(bin.string(), "has " + std::to_string(size) + " bytes; " + path_.string() + " expects " +
                                         std::to_string(bytes) + " (truncated, or from another save?)");
    // The sidecar's bytes and the weights decoded from them.
    check_memory_budget(saturating_mul(std::uint64_t(bytes), 2), bin.string(), "the model's weights");
    blob_ = read_file(bin);
    if (std::int64_t(blob_.size()) != bytes)
      throw InputError(bin.string(), "has " + std::to_string(blob_.size()) + " bytes; " + path_.string() + " expects " +
                                         std::to_string(bytes) + " (truncated, or from another save?)");
    if (crc32_hex(blob_) != crc)
      throw InputError(bin.string(), "CRC-32 " + crc32_hex(blob_) + " does not match " + crc + " recorded in " +
                                         path_.string() + " (corrupted, or from another save?)");
  }

  Eigen::VectorXf floats(const json& ref, const std::string& p) const {
    const std::int64_t offset = r_.integer(r_.field(ref, p, "offset"), json_path(p, "offset"), 0, std::int64_t(1) << 40);
    const std::int64_t count = r_.integer(r_.field(ref, p, "count"), json_path(p, "count"), 0, std::int64_t(1) << 38);
    if (offset % 4 != 0 || offset + 4 * count > std::int64_t(blob_.size()))
      r_.fail(p, "the range [" + std::to_string(offset) + ", +" + std::to_string(4 * count) +
                     " bytes) is not inside the weights file (" + std::to_string(blob_.size()) + " bytes)");
    Eigen::VectorXf v(count);
    for (std::int64_t i = 0; i < count; ++i) {
      std::uint32_t u = 0;
      for (int b = 0; b < 4; ++b) u |= std::uint32_t(std::uint8_t(blob_[std::size_t(offset + 4 * i + b)])) << (8 * b);
      v[i] = std::bit_cast<float>(u);
    }
    return v;
  }

  ir::SparsityStats sparsity(const json& s, const std::string& p) const {
    ir::SparsityStats out;
    auto kernel = r_.pair(s, p, "kernel", 1);
    out.kernel_rows = kernel[0];
    out.kernel_cols = kernel[1];
    out.windows = r_.integer(r_.field(s, p, "windows"), json_path(p, "windows"), 0, std::int64_t(1) << 62);
    const std::size_t bins = std::size_t(out.kernel_rows * out.kernel_cols + 1);
    const json& hist = r_.array(s, p, "histogram");
    for (std::size_t c = 0; c < hist.size(); ++c) {
      std::string hp = json_path(json_path(p, "histogram"), c);
      if (!hist[c].is_array() || hist[c].size() != bins) r_.fail(hp, "expected " + std::to_string(bins) + " fractions");
      std::vector<double> row;
      for (std::size_t z = 0; z < bins; ++z) row.push_back(r_.number(hist[c][z], json_path(hp, z)));
      out.histogram.push_back(std::move(row));
    }
    const json& counts = r_.array(s, p, "counts");
    if (!counts.empty() && counts.size() != hist.size())
      r_.fail(json_path(p, "counts"), "expected one row per histogram row, or none");
    for (std::size_t c = 0; c < counts.size(); ++c) {
      std::string cp = json_path(json_path(p, "counts"), c);
      if (!counts[c].is_array() || counts[c].size() != bins) r_.fail(cp, "expected " + std::to_string(bins) + " counts");
      std::vector<std::int64_t> row;
      for (std::size_t z = 0; z < bins; ++z) row.push_back(r_.integer(counts[c][z], json_path(cp, z), 0, std::int64_t(1) << 62));
      out.counts.push_back(std::move(row));
    }
    out.mean_sparsity = r_.number(r_.field(s, p, "mean_sparsity"), json_path(p, "mean_sparsity"));
    return out;
  }

  ir::Layer read_layer(const json& j, const std::string& p) const {
    ir::Layer l;
    l.name = r_.string(j, p, "name");
    if (l.name.empty()) r_.fail(json_path(p, "name"), "expected a non-empty layer name");
    std::string kind = r_.string(j, p, "kind");
    auto k = ir::layer_kind_from_string(kind);
    if (!k) r_.fail(json_path(p, "kind"), "unknown layer kind '" + kind + "'");
    l.kind = *k;
    l.output_tensor = r_.string(j, p, "output_tensor");
    const json& tensors = r_.array(j, p, "input_tensors");
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].is_string()) r_.fail(json_path(json_path(p, "input_tensors"), i), "expected a tensor name");
      l.input_tensors.push_back(tensors[i].get<std::string>());
    }
    const json& ins = r_.array(j, p, "input_shapes");
    for (std::size_t i = 0; i < ins.size(); ++i) l.input_shapes.push_back(r_.shape(ins[i], json_path(json_path(p, "input_shapes"), i)));
    l.output_shape = r_.shape(r_.field(j, p, "output_shape"), json_path(p, "output_shape"));
    if (has_window(l.kind)) {
      auto kernel = r_.pair(j, p, "kernel", 1);
      auto stride = r_.pair(j, p, "stride", 1);
      const json& pads = r_.array(j, p, "pads", 4);
      int pad[4];
      for (int i = 0; i < 4; ++i) pad[i] = int(r_.integer(pads[i], json_path(json_path(p, "pads"), std::size_t(i)), 0, 1 << 20));
      l.window = {kernel[0], kernel[1], stride[0], stride[1], pad[0], pad[1], pad[2], pad[3]};
    }
    if (l.kind == ir::LayerKind::Convolution) l.groups = r_.small_int(j, p, "groups", 1);
    if (l.is_weighted()) {
      l.filters = r_.small_int(j, p, "filters", 1);
      l.weights = floats(r_.field(j, p, "weights"), json_path(p, "weights"));
      const json& bias = r_.field(j, p, "bias");
      if (!bias.is_null()) l.bias = floats(bias, json_path(p, "bias"));
    }
    if (l.kind == ir::LayerKind::ReLU) {
      double t = r_.number(r_.field(j, p, "threshold"), json_path(p, "threshold"));
      l.threshold = float(t);
    }
    if (l.kind == ir::LayerKind::AveragePool) {
      const json& c = r_.field(j, p, "count_include_pad");
      if (!c.is_boolean()) r_.fail(json_path(p, "count_include_pad"), "expected true or false");
      l.count_include_pad = c.get<bool>();
    }
    const json& s = r_.field(j, p, "sparsity");
    if (!s.is_null()) l.sparsity = sparsity(s, json_path(p, "sparsity"));
    return l;
  }

  fs::path path_;
  Reader r_;
  std::string blob_;
};

}  // namespace

fs::path weights_path_for(const fs::path& json_path) {
  fs::path p = json_path;
  return p.replace_extension(".weights.bin");
}

void save_json_model(const ir::Graph& graph, const fs::path& path) {
  std::string blob;
  ojson layers = ojson::array();
  for (ir::Vertex v : graph.topological_order()) {
    const ir::Layer& l = graph.layer(v);
    ojson j;
    j["name"] = l.name;
    j["kind"] = std::string(ir::to_string(l.kind));
    ojson inputs = ojson::array();
    for (ir::Vertex p : graph.predecessors(v)) inputs.push_back(graph.layer(p).name);
    j["inputs"] = inputs;
    j["input_tensors"] = l.input_tensors;
    j["output_tensor"] = l.output_tensor;
    ojson in_shapes = ojson::array();
    for (const auto& s : l.input_shapes) in_shapes.push_back(shape_json(s));
    j["input_shapes"] = in_shapes;
    j["output_shape"] = shape_json(l.output_shape);
    if (has_window(l.kind)) {
      const ir::Window& w = l.window;
      j["kernel"] = {w.kernel_rows, w.kernel_cols};
      j["stride"] = {w.stride_rows, w.stride_cols};
      j["pads"] = {w.pad_top, w.pad_left, w.pad_bottom, w.pad_right};
    }
    if (l.kind == ir::LayerKind::Convolution) j["groups"] = l.groups;
    if (l.is_weighted()) {
      j["filters"] = l.filters;
      j["weights"] = append_floats(blob, l.weights);
      j["bias"] = l.has_bias() ? append_floats(blob, l.bias) : ojson(nullptr);
    }
    if (l.kind == ir::LayerKind::ReLU) j["threshold"] = l.threshold;
    if (l.kind == ir::LayerKind::AveragePool) j["count_include_pad"] = l.count_include_pad;
    j["sparsity"] = l.sparsity ? sparsity_json(*l.sparsity) : ojson(nullptr);
    layers.push_back(std::move(j));
  }
  const fs::path bin = weights_path_for(path);
  ojson doc;
  doc["format"] = kFormat;
  doc["version"] = kVersion;
  doc["name"] = graph.name;
  doc["weights"] = {{"file", bin.filename().string()}, {"bytes", blob.size()}, {"crc32", crc32_hex(blob)}};
  // Sidecar first: a reader never sees a JSON whose weights are not there yet.
  write_file_atomic(bin, blob);
  write_file_atomic(path, document_text(doc, layers));
}

ir::Graph load_json_model(const fs::path& path) { return JsonModelReader(path).run(); }

ir::Graph load_model(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".onnx") return load_onnx(path);
  if (ext == ".json") return load_json_model(path);
  throw InputError(path.string(), "unknown model format '" + ext + "'; expected a .onnx or .json file");
}

void save_model(const ir::Graph& graph, const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".onnx") return save_onnx(graph, path);
  if (ext == ".json") return save_json_model(graph, path);
  throw InputError(path.string(), "unknown model format '" + ext + "'; expected a .onnx or .json file");
}

}  // namespace sparsedse::frontend
