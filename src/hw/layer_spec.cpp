// Single-layer JSON for `sparsedse estimate` (docs/estimate.md).
#include "sparsedse/hw/layer_spec.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/json_fields.hpp"

namespace sparsedse::hw {

namespace {

const std::vector<std::string> kKeys{
    "type", "rows", "cols", "channels", "filters", "kernel", "stride", "pad", "groups", "coarse_in",
    "coarse_out", "coarse_group", "fine", "has_bias", "pool_type", "ports", "data_width", "weight_width",
    "acc_width", "sparsity", "skip_all_zero_window", "semantics"};

const std::vector<std::string> kTypes{"convolution", "inner_product", "pooling", "global_pooling", "relu",
                                      "eltwise", "concat", "split", "squeeze"};

int positive_int(const JsonFields& f, const std::string& key, int fallback, int min = 1) {
  const long long v = f.integer_at_least(key, min, fallback);
  if (v > (1 << 24)) f.fail(key, "an integer ≤ 16777216");
  return static_cast<int>(v);
}

std::vector<int> pair_or_fallback(const JsonFields& f, const std::string& key, std::size_t size, int fallback,
                                  int min) {
  if (!f.has(key)) return std::vector<int>(size, fallback);
  std::vector<int> v = f.integers(key);
  if (v.size() != size) f.fail(key, "an array of " + std::to_string(size) + " integers");
  for (int x : v)
    if (x < min) f.fail(key, "integers ≥ " + std::to_string(min));
  return v;
}

void require_feasible(const JsonFields& f, const std::string& key, int value, const std::vector<int>& feasible,
                      const std::string& rule) {
  if (std::binary_search(feasible.begin(), feasible.end(), value)) return;
  std::string list;
  for (int v : feasible) list += (list.empty() ? "" : ", ") + std::to_string(v);
  f.fail(key, rule + " (one of " + list + "), got " + std::to_string(value));
}

std::vector<std::vector<double>> histogram(const JsonFields& f) {
  const JsonFields s = f.object("sparsity");
  s.allow_only({"histogram"});
  const nlohmann::json& h = s.raw("histogram");
  if (!h.is_array() || h.empty()) s.fail("histogram", "a non-empty array of per-channel histograms");
  std::vector<std::vector<double>> rows;
  for (std::size_t c = 0; c < h.size(); ++c) {
    if (!h[c].is_array()) throw InputError(s.where("histogram") + "/" + std::to_string(c), "expected an array of numbers");
    std::vector<double> row;
    for (const auto& p : h[c]) {
      if (!p.is_number()) throw InputError(s.where("histogram") + "/" + std::to_string(c), "expected numbers");
      row.push_back(p.get<double>());
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

LayerSpec parse_layer_spec(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file, "expected a JSON object describing one layer");
  const JsonFields f(j, file);
  f.allow_only(kKeys);
  LayerSpec spec;
  const std::string semantics = f.choice("semantics", {"main", "pass"}, "main");
  spec.options = ModelOptions::for_semantics(semantics == "main" ? Semantics::main : Semantics::pass);
  HwLayer& l = spec.layer;

  const std::string type = f.choice("type", kTypes, "");
  if (type.empty()) f.fail("type", "one of convolution, inner_product, pooling, global_pooling, relu, eltwise, concat, split, squeeze");
  l.rows = positive_int(f, "rows", 0);
  l.cols = positive_int(f, "cols", 0);
  if (!f.has("channels")) f.fail("channels", "the input channels (required)");
  l.data_width = positive_int(f, "data_width", 16);
  l.weight_width = positive_int(f, "weight_width", 16);
  l.acc_width = positive_int(f, "acc_width", 32);
  l.has_bias = f.boolean("has_bias", false);
  l.skip_all_zero_window = f.boolean("skip_all_zero_window", true);
  l.pool_type = f.choice("pool_type", {"max", "avg"}, "max") == "max" ? PoolType::max : PoolType::avg;

  const bool windowed = type == "convolution" || type == "pooling";
  const std::vector<int> kernel = pair_or_fallback(f, "kernel", 2, 1, 1);
  const std::vector<int> stride = pair_or_fallback(f, "stride", 2, 1, 1);
  const std::vector<int> pad = pair_or_fallback(f, "pad", 4, 0, 0);  // [top, right, bottom, left]
  if (!windowed && (f.has("kernel") || f.has("stride") || f.has("pad")))
    f.fail(f.has("kernel") ? "kernel" : f.has("stride") ? "stride" : "pad", "no window for a " + type + " layer");
  l.kernel_rows = kernel[0];
  l.kernel_cols = kernel[1];
  l.stride_rows = stride[0];
  l.stride_cols = stride[1];
  l.pad_top = pad[0];
  l.pad_right = pad[1];
  l.pad_bottom = pad[2];
  l.pad_left = pad[3];
  if (windowed && (l.padded_rows() < l.kernel_rows || l.padded_cols() < l.kernel_cols))
    f.fail("kernel", "a kernel no larger than the padded input");

  // Channels: an integer, or per input port for a concat.
  const nlohmann::json& ch = f.raw("channels");
  if (type == "concat" && ch.is_array()) {
    const std::vector<int> ports = f.integers("channels");
    if (ports.size() < 2 || ports.size() > static_cast<std::size_t>(kMaxPorts))
      f.fail("channels", "2 to " + std::to_string(kMaxPorts) + " per-port channel counts");
    if (f.has("ports") && f.integer("ports") != static_cast<long long>(ports.size()))
      f.fail("ports", "the number of entries of channels");
    l.ports_in = static_cast<int>(ports.size());
    for (int i = 0; i < l.ports_in; ++i) {
      if (ports[i] < 1) f.fail("channels", "positive channel counts");
      l.port_channels[i] = ports[i];
    }
    l.channels = ports[0];
  } else {
    l.channels = positive_int(f, "channels", 0);
  }

  const bool weighted = type == "convolution" || type == "inner_product";
  if (weighted) l.filters = positive_int(f, "filters", 0);
  else if (f.has("filters")) f.fail("filters", "no filters for a " + type + " layer");
  l.groups = positive_int(f, "groups", 1);
  if (type != "convolution" && l.groups != 1) f.fail("groups", "groups only for a convolution");

  if (type == "convolution") l.kind = LayerKind::convolution;
  else if (type == "inner_product") l.kind = LayerKind::inner_product;
  else if (type == "pooling") l.kind = LayerKind::pooling;
  else if (type == "global_pooling") l.kind = LayerKind::global_pooling;
  else if (type == "relu") l.kind = LayerKind::relu;
  else if (type == "eltwise") l.kind = LayerKind::eltwise;
  else if (type == "concat") l.kind = LayerKind::concat;
  else if (type == "split") l.kind = LayerKind::split;
  else l.kind = LayerKind::squeeze;

  const bool multi_in = type == "eltwise" || type == "concat";
  if (f.has("ports") && !multi_in && type != "split") f.fail("ports", "ports only for eltwise, concat and split");
  if (multi_in && l.kind == LayerKind::eltwise) {
    l.ports_in = positive_int(f, "ports", 2, 2);
    if (l.ports_in > kMaxPorts) f.fail("ports", "at most " + std::to_string(kMaxPorts) + " ports");
    for (int i = 0; i < l.ports_in; ++i) l.port_channels[i] = l.channels;
  } else if (l.kind == LayerKind::concat && l.ports_in == 1) {
    l.ports_in = positive_int(f, "ports", 2, 2);
    if (l.ports_in > kMaxPorts) f.fail("ports", "at most " + std::to_string(kMaxPorts) + " ports");
    for (int i = 0; i < l.ports_in; ++i) l.port_channels[i] = l.channels;
  } else if (l.kind == LayerKind::split) {
    l.ports_out = positive_int(f, "ports", 2, 1);
  }
  if (weighted && l.filters % l.groups != 0) f.fail("filters", "a multiple of groups");
  if (weighted && l.channels % l.groups != 0) f.fail("channels", "a multiple of groups");

  if (f.has("sparsity")) {
    if (!weighted) f.fail("sparsity", "statistics only for a convolution or inner product");
    if (l.groups != 1) f.fail("sparsity", "a dense layer: grouped convolutions have no sparse model");
    std::vector<std::vector<double>> h = histogram(f);
    const int k2 = l.kind == LayerKind::inner_product ? 1 : l.kernel_size();
    const std::int64_t rows = static_cast<std::int64_t>(h.size());
    if (l.kind == LayerKind::inner_product && rows == l.channels && l.workload_in() != l.channels) {
      std::vector<std::vector<double>> spread;  // one channel row per feature of the channel
      for (const auto& row : h)
        for (int k = 0; k < l.rows * l.cols; ++k) spread.push_back(row);
      h = std::move(spread);
    }
    const std::int64_t expected = l.kind == LayerKind::inner_product ? l.workload_in() : l.channels;
    if (static_cast<std::int64_t>(h.size()) != expected)
      f.fail("sparsity", "a histogram with one row per input channel (" + std::to_string(expected) + "), got " +
                             std::to_string(rows));
    l.sparsity = SparseProfile::from_histogram(std::move(h), k2, f.where("sparsity") + "/histogram");
    l.kind = l.kind == LayerKind::inner_product ? LayerKind::inner_product_sparse : LayerKind::convolution_sparse;
  }

  // Folding (§2.3).
  const FoldingSpace space = feasible_folding(l);
  Folding& fold = l.folding;
  fold.coarse_in = positive_int(f, "coarse_in", 1);
  fold.coarse_out = positive_int(f, "coarse_out", is_weighted(l.kind) || l.kind == LayerKind::squeeze ? 1 : fold.coarse_in);
  fold.coarse_group = positive_int(f, "coarse_group", 1);
  fold.fine = positive_int(f, "fine", 1);
  if (l.kind == LayerKind::squeeze) {
    if (l.channels % fold.coarse_in != 0) f.fail("coarse_in", "a divisor of channels");
    if (l.channels % fold.coarse_out != 0) f.fail("coarse_out", "a divisor of channels");
    return spec;
  }
  if (!is_weighted(l.kind) && fold.coarse_out != fold.coarse_in) f.fail("coarse_out", "equal to coarse_in for a " + type + " layer");
  require_feasible(f, "coarse_in", fold.coarse_in, space.coarse_in, "a divisor of the input channels per group");
  require_feasible(f, "coarse_out", fold.coarse_out, space.coarse_out, "a divisor of the output channels per group");
  require_feasible(f, "coarse_group", fold.coarse_group, space.coarse_group, "a divisor of groups");
  require_feasible(f, "fine", fold.fine, space.fine,
                   l.kind == LayerKind::convolution_sparse ? "1..K²" : "a divisor of K² (dense)");
  return spec;
}

nlohmann::json to_json(const Resources& r) {
  return {{"LUT", r.lut}, {"FF", r.ff}, {"DSP", r.dsp}, {"BRAM", r.bram}, {"URAM", r.uram}};
}

nlohmann::json estimate_json(const HwLayer& layer, const ModelOptions& options) {
  const LayerMetrics m = evaluate_layer(layer, options);
  return {{"latency", m.latency},
          {"pipeline_depth", m.pipeline_depth},
          {"rate_in", m.rate_in},
          {"rate_out", m.rate_out},
          {"resources", to_json(m.resources)}};
}

}  // namespace sparsedse::hw
