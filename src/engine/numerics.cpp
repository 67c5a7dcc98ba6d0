#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/engine/engine.hpp"

namespace sparsedse::engine {

FixedFormat Numerics::data_format(const std::string& layer) const {
  auto it = layer_data.find(layer);
  return it == layer_data.end() ? data : it->second;
}

FixedFormat Numerics::weight_format(const std::string& layer) const {
  auto it = layer_weights.find(layer);
  return it == layer_weights.end() ? weights : it->second;
}

namespace {
bool parse_int(const std::string& s, int& out) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  out = std::atoi(s.c_str());
  return true;
}
}  // namespace

Numerics Numerics::parse(const std::string& text, const std::string& where) {
  Numerics n;
  if (text == "float") {
    n.mode = Mode::Float;
    return n;
  }
  n.mode = Mode::Fixed;
  if (text == "fixed") return n;
  const std::string prefix = "fixed:";
  const std::string expected = "expected \"float\", \"fixed\" or \"fixed:W.F\" (e.g. fixed:16.8: W bits in all, F fractional)";
  if (text.rfind(prefix, 0) != 0) throw InputError(where, "'" + text + "': " + expected);
  const std::string spec = text.substr(prefix.size());
  const auto dot = spec.find('.');
  int width = 0, frac = 0;
  if (dot == std::string::npos || !parse_int(spec.substr(0, dot), width) || !parse_int(spec.substr(dot + 1), frac))
    throw InputError(where, "'" + text + "': " + expected);
  if (width < 2 || width > 24 || frac > width)
    throw InputError(where, "'" + text + "': W must be 2..24 (activations are held in float32) and F at most W");
  n.data = FixedFormat{width, frac, true};
  n.weights = FixedFormat{width, frac, true};
  return n;
}

std::string Numerics::to_string() const {
  if (mode == Mode::Float) return "float";
  std::string s = "fixed:" + std::to_string(data.width) + "." + std::to_string(data.frac);
  if (!(weights == data)) s += " (weights " + std::to_string(weights.width) + "." + std::to_string(weights.frac) + ")";
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Thresholds
// ---------------------------------------------------------------------------------------------------

float Thresholds::at(const std::string& relu_name) const {
  auto it = per_relu.find(relu_name);
  return it == per_relu.end() ? default_threshold : it->second;
}

Thresholds Thresholds::uniform(float t) {
  Thresholds th;
  th.default_threshold = t;
  return th;
}

namespace {
float threshold_value(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number()) throw InputError(where, "expected a number");
  const double t = v.get<double>();
  if (!std::isfinite(t) || t < 0) throw InputError(where, "a threshold must be a finite number >= 0");
  return float(t);
}
}  // namespace

Thresholds Thresholds::read(const std::string& path) {
  const nlohmann::json doc = read_json(path);
  if (!doc.is_object()) throw InputError(path, "expected {\"default\": t, \"relu\": {\"<node name>\": t, ...}}");
  Thresholds th;
  for (const auto& [key, value] : doc.items()) {
    if (key == "default") {
      th.default_threshold = threshold_value(value, path + ":/default");
    } else if (key == "relu") {
      if (!value.is_object()) throw InputError(path + ":/relu", "expected an object {\"<node name>\": t, ...}");
      for (const auto& [name, t] : value.items()) th.per_relu[name] = threshold_value(t, path + ":/relu/" + name);
    } else {
      throw InputError(path + ":/" + key, "unknown key; expected \"default\" or \"relu\"");
    }
  }
  return th;
}

void apply_thresholds(ir::Graph& graph, const Thresholds& t) {
  for (const auto& [name, value] : t.per_relu) {
    if (!graph.contains(name))
      throw InputError("thresholds", "no layer named '" + name + "' in " + (graph.name.empty() ? "the model" : graph.name));
    if (graph.layer(name).kind != ir::LayerKind::ReLU)
      throw InputError("thresholds", "'" + name + "' is a " + std::string(ir::to_string(graph.layer(name).kind)) +
                                         ", not a ReLU");
  }
  if (!(std::isfinite(t.default_threshold) && t.default_threshold >= 0))
    throw InputError("thresholds", "the default threshold must be a finite number >= 0");
  for (std::size_t v = 0; v < graph.size(); ++v) {
    ir::Layer& l = graph.layer(ir::Vertex(v));
    if (l.kind == ir::LayerKind::ReLU) l.threshold = t.at(l.name);
  }
}

}  // namespace sparsedse::engine
