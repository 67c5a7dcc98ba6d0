#include "sparsedse/sparsity/stats.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"

namespace sparsedse::sparsity {

using nlohmann::json;

namespace {

constexpr double kTolerance = 1e-6;  // model.md §5.1: rows sum to 1

std::string at(const std::string& where, std::string_view field) { return json_path(where, field); }

const json& field(const json& j, const std::string& where, const char* name) {
  if (!j.contains(name)) throw InputError(at(where, name), "missing field");
  return j.at(name);
}

std::int64_t integer(const json& j, const std::string& where, std::int64_t min) {
  if (!j.is_number_integer()) throw InputError(where, "expected an integer");
  const std::int64_t v = j.get<std::int64_t>();
  if (v < min) throw InputError(where, "expected an integer >= " + std::to_string(min) + ", got " + std::to_string(v));
  return v;
}

double number(const json& j, const std::string& where) {
  if (!j.is_number()) throw InputError(where, "expected a number");
  const double v = j.get<double>();
  if (!std::isfinite(v)) throw InputError(where, "expected a finite number");
  return v;
}

double fraction(const json& j, const std::string& where) {
  const double v = number(j, where);
  if (v < 0.0 || v > 1.0) throw InputError(where, "expected a fraction in [0, 1], got " + std::to_string(v));
  return v;
}

const json& array(const json& j, const std::string& where, std::size_t size) {
  if (!j.is_array()) throw InputError(where, "expected an array");
  if (j.size() != size)
    throw InputError(where, "expected " + std::to_string(size) + " entries, got " + std::to_string(j.size()));
  return j;
}

// The shortest decimal that reads back as the same float (0.005, not 0.004999999888241291).
double shortest(float v) {
  char buf[32];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::strtod(std::string(buf, end).c_str(), nullptr);
}

json thresholds_to_json(const engine::Thresholds& t) {
  json relu = json::object();
  for (const auto& [name, value] : t.per_relu) relu[name] = shortest(value);
  return {{"default", shortest(t.default_threshold)}, {"relu", relu}};
}

float threshold_value(const json& j, const std::string& where) {
  const double v = number(j, where);
  if (v < 0.0) throw InputError(where, "expected a threshold >= 0");
  return float(v);
}

engine::Thresholds thresholds_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "expected an object {\"default\": t, \"relu\": {...}}");
  engine::Thresholds t;
  if (j.contains("default")) t.default_threshold = threshold_value(j.at("default"), at(where, "default"));
  if (j.contains("relu")) {
    const json& relu = j.at("relu");
    if (!relu.is_object()) throw InputError(at(where, "relu"), "expected an object of ReLU name -> threshold");
    for (const auto& [name, value] : relu.items())
      t.per_relu[name] = threshold_value(value, at(at(where, "relu"), name));
  }
  return t;
}

}  // namespace

json to_json(const ir::SparsityStats& s) {
  json j = {{"kernel", {s.kernel_rows, s.kernel_cols}},
            {"channels", s.histogram.size()},
            {"windows", s.windows},
            {"histogram", s.histogram}};
  if (!s.counts.empty()) j["counts"] = s.counts;
  j["channel_sparsity"] = s.channel_sparsity();
  j["mean_sparsity"] = s.mean_sparsity;
  return j;
}

json to_json(const Stats& stats) {
  const ProfileResult& r = stats.result;
  json layers = json::object();
  for (const auto& [name, s] : r.layers) layers[name] = to_json(s);
  json relus = json::object();
  for (const auto& [name, f] : r.relu_zero_fraction) relus[name] = f;
  return {{"model", stats.model},         {"thresholds", thresholds_to_json(stats.thresholds)},
          {"images", r.images},           {"top1", r.top1},
          {"top5", r.top5},               {"numerics", stats.numerics},
          {"hist_source", stats.hist_source}, {"layers", layers},
          {"relu_zero_fraction", relus}};
}

ir::SparsityStats sparsity_stats_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "expected an object with kernel, channels and histogram");
  ir::SparsityStats s;
  const json& kernel = array(field(j, where, "kernel"), at(where, "kernel"), 2);
  s.kernel_rows = int(integer(kernel[0], json_path(at(where, "kernel"), 0), 1));
  s.kernel_cols = int(integer(kernel[1], json_path(at(where, "kernel"), 1), 1));
  const std::size_t k2 = std::size_t(s.kernel_rows) * std::size_t(s.kernel_cols);
  const std::size_t bins = k2 + 1;
  const auto channels = std::size_t(integer(field(j, where, "channels"), at(where, "channels"), 1));

  const std::string hwhere = at(where, "histogram");
  const json& hist = array(field(j, where, "histogram"), hwhere, channels);
  s.histogram.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    const std::string rwhere = json_path(hwhere, c);
    const json& row = array(hist[c], rwhere, bins);
    double sum = 0.0;
    for (std::size_t z = 0; z < bins; ++z) {
      const double p = number(row[z], json_path(rwhere, z));
      if (p < 0.0) throw InputError(json_path(rwhere, z), "expected a non-negative probability");
      s.histogram[c].push_back(p);
      sum += p;
    }
    if (std::abs(sum - 1.0) > kTolerance)
      throw InputError(rwhere, "row sums to " + std::to_string(sum) + ", expected 1 (within 1e-6)");
  }

  if (j.contains("windows")) s.windows = integer(j.at("windows"), at(where, "windows"), 0);
  if (j.contains("counts")) {
    if (!j.contains("windows")) throw InputError(at(where, "windows"), "required when counts are given");
    const std::string cwhere = at(where, "counts");
    if (s.windows < 1) throw InputError(at(where, "windows"), "expected >= 1 when counts are given");
    const json& counts = array(j.at("counts"), cwhere, channels);
    s.counts.resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      const std::string rwhere = json_path(cwhere, c);
      const json& row = array(counts[c], rwhere, bins);
      std::int64_t sum = 0;
      for (std::size_t z = 0; z < bins; ++z) {
        const std::int64_t n = integer(row[z], json_path(rwhere, z), 0);
        s.counts[c].push_back(n);
        sum += n;
        if (s.windows > 0 && std::abs(double(n) / double(s.windows) - s.histogram[c][z]) > kTolerance)
          throw InputError(json_path(rwhere, z), "count disagrees with histogram (count / windows != probability)");
      }
      if (sum != s.windows)
        throw InputError(rwhere, "counts sum to " + std::to_string(sum) + ", expected windows = " +
                                     std::to_string(s.windows));
    }
  }

  const auto per_channel = s.channel_sparsity();
  if (j.contains("channel_sparsity")) {
    const std::string pwhere = at(where, "channel_sparsity");
    const json& given = array(j.at("channel_sparsity"), pwhere, channels);
    for (std::size_t c = 0; c < channels; ++c)
      if (std::abs(number(given[c], json_path(pwhere, c)) - per_channel[c]) > kTolerance)
        throw InputError(json_path(pwhere, c), "disagrees with the histogram (expected Σ_z h[z]·z/K² = " +
                                                   std::to_string(per_channel[c]) + ")");
  }
  double mean = 0.0;
  for (double v : per_channel) mean += v;
  s.mean_sparsity = mean / double(per_channel.size());
  if (j.contains("mean_sparsity")) {
    const double given = number(j.at("mean_sparsity"), at(where, "mean_sparsity"));
    if (std::abs(given - s.mean_sparsity) > kTolerance)
      throw InputError(at(where, "mean_sparsity"), "is " + std::to_string(given) + " but the histogram gives " +
                                                       std::to_string(s.mean_sparsity));
  }
  return s;
}

Stats stats_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "expected a JSON object with a \"layers\" field");
  Stats stats;
  stats.source = where;
  const std::string root = where + ": ";
  auto path = [&](const char* name) { return root + "/" + name; };
  if (j.contains("model")) {
    if (!j.at("model").is_string()) throw InputError(path("model"), "expected a string");
    stats.model = j.at("model").get<std::string>();
  }
  if (j.contains("numerics")) {
    if (!j.at("numerics").is_string()) throw InputError(path("numerics"), "expected a string like \"fixed:16.8\"");
    stats.numerics = j.at("numerics").get<std::string>();
  }
  if (j.contains("hist_source")) {
    const json& h = j.at("hist_source");
    if (!h.is_string() || (h != "activations" && h != "products"))
      throw InputError(path("hist_source"), "expected \"activations\" or \"products\"");
    stats.hist_source = h.get<std::string>();
  }
  if (j.contains("thresholds")) stats.thresholds = thresholds_from_json(j.at("thresholds"), path("thresholds"));
  ProfileResult& r = stats.result;
  if (j.contains("images")) r.images = integer(j.at("images"), path("images"), 0);
  if (j.contains("top1")) r.top1 = fraction(j.at("top1"), path("top1"));
  if (j.contains("top5")) r.top5 = fraction(j.at("top5"), path("top5"));
  if (!j.contains("layers")) throw InputError(path("layers"), "missing field");
  const json& layers = j.at("layers");
  if (!layers.is_object()) throw InputError(path("layers"), "expected an object of layer name -> statistics");
  for (const auto& [name, value] : layers.items())
    r.layers[name] = sparsity_stats_from_json(value, json_path(path("layers"), name));
  if (j.contains("relu_zero_fraction")) {
    const json& relus = j.at("relu_zero_fraction");
    if (!relus.is_object()) throw InputError(path("relu_zero_fraction"), "expected an object of ReLU name -> fraction");
    for (const auto& [name, value] : relus.items())
      r.relu_zero_fraction[name] = fraction(value, json_path(path("relu_zero_fraction"), name));
  }
  return stats;
}

Stats read_stats(const std::filesystem::path& path) {
  Stats s = stats_from_json(read_json(path), path.string());
  s.source = path.string();
  return s;
}

void write_stats(const std::filesystem::path& path, const Stats& stats) { write_json_atomic(path, to_json(stats)); }

void attach(ir::Graph& graph, const ProfileResult& result, const std::string& where) {
  const std::string root = where + ": /layers";
  // Validate everything first so a bad file leaves the graph untouched.
  for (const auto& [name, s] : result.layers) {
    const std::string lwhere = json_path(root, name);
    if (!graph.contains(name))
      throw InputError(lwhere, "unknown layer: model '" + graph.name + "' has no layer of that name");
    const ir::Layer& layer = graph.layer(name);
    int kr = 1, kc = 1;
    std::int64_t channels = 0;
    if (layer.kind == ir::LayerKind::Convolution) {
      kr = layer.window.kernel_rows;
      kc = layer.window.kernel_cols;
      channels = layer.input_shape().channels;
    } else if (layer.kind == ir::LayerKind::InnerProduct) {
      channels = layer.input_shape().elements();
    } else {
      throw InputError(lwhere, "layer is a " + std::string(ir::to_string(layer.kind)) +
                                   ", expected a Convolution or InnerProduct");
    }
    if (s.kernel_rows != kr || s.kernel_cols != kc)
      throw InputError(json_path(lwhere, "kernel"), "is [" + std::to_string(s.kernel_rows) + ", " +
                                                        std::to_string(s.kernel_cols) + "], the layer's kernel is [" +
                                                        std::to_string(kr) + ", " + std::to_string(kc) + "]");
    if (std::int64_t(s.histogram.size()) != channels)
      throw InputError(json_path(lwhere, "channels"), "is " + std::to_string(s.histogram.size()) +
                                                          ", the layer has " + std::to_string(channels) +
                                                          " input channels");
  }
  for (const auto& [name, s] : result.layers) graph.layer(name).sparsity = s;
}

void attach(ir::Graph& graph, const Stats& stats) {
  attach(graph, stats.result, stats.source.empty() ? "stats" : stats.source);
}

}  // namespace sparsedse::sparsity
