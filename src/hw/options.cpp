// Model options and their JSON form (model.md §9, §10).
#include "sparsedse/hw/options.hpp"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"

namespace sparsedse::hw {

Quirks Quirks::all_faithful() {
  Quirks q;
  q.sparse_io = q.global_pool_latency = q.glue_latency = q.conv_squeeze_rate = true;
  q.bram_to_lut_accounting = q.sparse_squeeze = q.small_rom = q.ip_param_size = true;
  q.sparse_weight_layout = true;
  return q;
}

ModelOptions ModelOptions::for_semantics(Semantics semantics) {
  ModelOptions o;
  o.semantics = semantics;
  if (semantics == Semantics::pass) {
    o.quirks = Quirks::all_faithful();
    o.sparse_enable = 0.2;
  }
  return o;
}

std::string to_string(Semantics s) { return s == Semantics::main ? "main" : "pass"; }

namespace {

using QuirkField = bool Quirks::*;
constexpr std::array<std::pair<const char*, QuirkField>, 9> kQuirks{{
    {"sparse_io", &Quirks::sparse_io},
    {"global_pool_latency", &Quirks::global_pool_latency},
    {"glue_latency", &Quirks::glue_latency},
    {"conv_squeeze_rate", &Quirks::conv_squeeze_rate},
    {"bram_to_lut_accounting", &Quirks::bram_to_lut_accounting},
    {"sparse_squeeze", &Quirks::sparse_squeeze},
    {"small_rom", &Quirks::small_rom},
    {"ip_param_size", &Quirks::ip_param_size},
    {"sparse_weight_layout", &Quirks::sparse_weight_layout},
}};

template <typename Enum, std::size_t N>
Enum parse_enum(const nlohmann::json& v, const std::string& where,
                const std::array<std::pair<const char*, Enum>, N>& names) {
  if (v.is_string()) {
    for (const auto& [name, value] : names)
      if (v.get<std::string>() == name) return value;
  }
  std::string expected;
  for (const auto& [name, value] : names) expected += std::string(expected.empty() ? "" : " | ") + name;
  throw InputError(where, "expected one of " + expected + ", got " + v.dump());
}

template <typename Enum, std::size_t N>
const char* enum_name(Enum e, const std::array<std::pair<const char*, Enum>, N>& names) {
  for (const auto& [name, value] : names)
    if (value == e) return name;
  return "?";
}

constexpr std::array<std::pair<const char*, Semantics>, 2> kSemantics{{{"main", Semantics::main}, {"pass", Semantics::pass}}};
constexpr std::array<std::pair<const char*, PointwiseModel>, 2> kPointwise{
    {{"window", PointwiseModel::window}, {"cluster", PointwiseModel::cluster}}};
constexpr std::array<std::pair<const char*, SparseMetric>, 3> kMetric{
    {{"avg", SparseMetric::avg}, {"min", SparseMetric::min}, {"max", SparseMetric::max}}};
constexpr std::array<std::pair<const char*, Interleaving>, 2> kInterleaving{
    {{"snake", Interleaving::snake}, {"naive", Interleaving::naive}}};
constexpr std::array<std::pair<const char*, ResourceModel>, 1> kResourceModel{{{"chisel_linear", ResourceModel::chisel_linear}}};
constexpr std::array<std::pair<const char*, ReconfCount>, 2> kReconf{{{"p", ReconfCount::p}, {"p_minus_1", ReconfCount::p_minus_1}}};
constexpr std::array<std::pair<const char*, NetworkMode>, 2> kNetworkMode{
    {{"sequential", NetworkMode::sequential}, {"pipelined", NetworkMode::pipelined}}};

double number(const nlohmann::json& v, const std::string& where, double lo, double hi) {
  if (!v.is_number()) throw InputError(where, "expected a number, got " + v.dump());
  const double x = v.get<double>();
  if (!(x >= lo && x <= hi))
    throw InputError(where, "expected a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v.dump());
  return x;
}

int width(const nlohmann::json& v, const std::string& where) {
  if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 64)
    throw InputError(where, "expected an integer bit width in 1..64, got " + v.dump());
  return v.get<int>();
}

bool boolean(const nlohmann::json& v, const std::string& where) {
  if (!v.is_boolean()) throw InputError(where, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

}  // namespace

ModelOptions parse_model_options(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw InputError(where, "expected a JSON object of model options");
  ModelOptions o;
  if (j.contains("semantics")) o = ModelOptions::for_semantics(parse_enum(j["semantics"], where + ": semantics", kSemantics));
  for (const auto& [key, v] : j.items()) {
    const std::string at = where + ": " + key;
    if (key == "semantics") continue;
    if (key == "quirks") {
      if (!v.is_object()) throw InputError(at, "expected an object {quirk: \"corrected\" | \"faithful\"}");
      for (const auto& [qkey, qv] : v.items()) {
        bool found = false;
        for (const auto& [name, field] : kQuirks) {
          if (qkey != name) continue;
          found = true;
          if (qv == "faithful") o.quirks.*field = true;
          else if (qv == "corrected") o.quirks.*field = false;
          else throw InputError(at + "." + qkey, "expected \"corrected\" or \"faithful\", got " + qv.dump());
        }
        if (!found) throw InputError(at + "." + qkey, "unknown quirk");
      }
    } else if (key == "sparse_enable") o.sparse_enable = number(v, at, 0.0, 1.0);
    else if (key == "pointwise_model") o.pointwise_model = parse_enum(v, at, kPointwise);
    else if (key == "sparse_metric") o.sparse_metric = parse_enum(v, at, kMetric);
    else if (key == "interleaving") o.interleaving = parse_enum(v, at, kInterleaving);
    else if (key == "resource_model") o.resource_model = parse_enum(v, at, kResourceModel);
    else if (key == "reconf_count") o.reconf_count = parse_enum(v, at, kReconf);
    else if (key == "network_mode") o.network_mode = parse_enum(v, at, kNetworkMode);
    else if (key == "sparse_inner_product") o.sparse_inner_product = boolean(v, at);
    else if (key == "data_width") o.data_width = width(v, at);
    else if (key == "weight_width") o.weight_width = width(v, at);
    else if (key == "acc_width") o.acc_width = width(v, at);
    else if (key == "rsc_allocation") o.rsc_allocation = number(v, at, 1e-9, 1.0);
    else if (key == "ram_usage") o.ram_usage = number(v, at, 1e-9, 1.0);
    else if (key == "bram_to_lut") o.bram_to_lut = boolean(v, at);
    else throw InputError(at, "unknown key");
  }
  return o;
}

nlohmann::json to_json(const ModelOptions& o) {
  nlohmann::json quirks = nlohmann::json::object();
  for (const auto& [name, field] : kQuirks) quirks[name] = o.quirks.*field ? "faithful" : "corrected";
  nlohmann::json j = {
      {"semantics", enum_name(o.semantics, kSemantics)},
      {"quirks", quirks},
      {"sparse_enable", o.sparse_enable},
      {"pointwise_model", enum_name(o.pointwise_model, kPointwise)},
      {"sparse_metric", enum_name(o.sparse_metric, kMetric)},
      {"interleaving", enum_name(o.interleaving, kInterleaving)},
      {"resource_model", enum_name(o.resource_model, kResourceModel)},
      {"reconf_count", enum_name(o.reconf_count, kReconf)},
      {"network_mode", enum_name(o.network_mode, kNetworkMode)},
      {"sparse_inner_product", o.sparse_inner_product},
      {"data_width", o.data_width},
      {"weight_width", o.weight_width},
      {"acc_width", o.acc_width},
      {"rsc_allocation", o.rsc_allocation},
      {"bram_to_lut", o.bram_to_lut},
  };
  if (o.ram_usage) j["ram_usage"] = *o.ram_usage;
  return j;
}

}  // namespace sparsedse::hw
