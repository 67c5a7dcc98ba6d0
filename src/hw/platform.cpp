// Platform files: configs/platforms/*.json (model.md §6.9).
#include "sparsedse/hw/platform.hpp"

#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"

namespace sparsedse::hw {

namespace {

void check_keys(const nlohmann::json& j, const std::string& where, const std::set<std::string>& known) {
  if (!j.is_object()) throw InputError(where, "expected a JSON object");
  for (const auto& [key, v] : j.items())
    if (!known.count(key)) throw InputError(where + "." + key, "unknown key");
}

std::string text(const nlohmann::json& j, const std::string& key, const std::string& where, bool required) {
  if (!j.contains(key)) {
    if (required) throw InputError(where + "." + key, "missing required field");
    return {};
  }
  if (!j[key].is_string() || j[key].get<std::string>().empty())
    throw InputError(where + "." + key, "expected a non-empty string");
  return j[key].get<std::string>();
}

double positive(const nlohmann::json& j, const std::string& key, const std::string& where, double fallback,
                bool allow_zero = false) {
  if (!j.contains(key)) return fallback;
  const auto& v = j[key];
  if (!v.is_number() || v.get<double>() < 0 || (!allow_zero && v.get<double>() == 0))
    throw InputError(where + "." + key, std::string("expected a ") + (allow_zero ? "non-negative" : "positive") +
                                            " number, got " + v.dump());
  return v.get<double>();
}

std::int64_t count(const nlohmann::json& j, const std::string& key, const std::string& where,
                   std::optional<std::int64_t> fallback, bool allow_zero) {
  if (!j.contains(key)) {
    if (!fallback) throw InputError(where + "." + key, "missing required field");
    return *fallback;
  }
  const auto& v = j[key];
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || (!allow_zero && v.get<std::int64_t>() == 0))
    throw InputError(where + "." + key, std::string("expected a ") + (allow_zero ? "non-negative" : "positive") +
                                            " integer, got " + v.dump());
  return v.get<std::int64_t>();
}

const std::set<std::string> kResourceKeys{"LUT", "FF", "DSP", "BRAM", "URAM"};

ResourceBudget budget(const nlohmann::json& j, const std::string& where, const ResourceBudget* fallback) {
  check_keys(j, where, kResourceKeys);
  auto opt = [&](std::int64_t ResourceBudget::*f) -> std::optional<std::int64_t> {
    if (fallback) return fallback->*f;
    return std::nullopt;
  };
  ResourceBudget b;
  b.lut = count(j, "LUT", where, opt(&ResourceBudget::lut), false);
  b.ff = count(j, "FF", where, opt(&ResourceBudget::ff), false);
  b.dsp = count(j, "DSP", where, opt(&ResourceBudget::dsp), false);
  b.bram = count(j, "BRAM", where, opt(&ResourceBudget::bram), false);
  b.uram = count(j, "URAM", where, fallback ? fallback->uram : 0, true);
  return b;
}

nlohmann::json budget_json(const ResourceBudget& b) {
  return {{"LUT", b.lut}, {"FF", b.ff}, {"DSP", b.dsp}, {"BRAM", b.bram}, {"URAM", b.uram}};
}

}  // namespace

Platform parse_platform(const nlohmann::json& j, const std::string& where) {
  check_keys(j, where, {"device", "resources", "usable", "system", "ethernet", "notes"});
  Platform p;
  p.source = where;
  if (!j.contains("device")) throw InputError(where + ".device", "missing required section");
  check_keys(j["device"], where + ".device", {"name", "part", "board"});
  p.name = text(j["device"], "name", where + ".device", true);
  p.part = text(j["device"], "part", where + ".device", true);
  p.board = text(j["device"], "board", where + ".device", true);
  if (j.contains("notes")) p.notes = text(j, "notes", where, false);

  if (!j.contains("resources")) throw InputError(where + ".resources", "missing required section");
  p.device = budget(j["resources"], where + ".resources", nullptr);
  p.usable = p.device;
  if (j.contains("usable")) {
    p.usable = budget(j["usable"], where + ".usable", &p.device);
    const auto over = [&](std::int64_t u, std::int64_t d, const char* key) {
      if (u > d) throw InputError(where + ".usable." + key, "exceeds the device total " + std::to_string(d));
    };
    over(p.usable.lut, p.device.lut, "LUT");
    over(p.usable.ff, p.device.ff, "FF");
    over(p.usable.dsp, p.device.dsp, "DSP");
    over(p.usable.bram, p.device.bram, "BRAM");
    over(p.usable.uram, p.device.uram, "URAM");
  }

  if (j.contains("system")) {
    const auto& s = j["system"];
    const std::string at = where + ".system";
    check_keys(s, at, {"board_frequency", "memory_bandwidth", "reconfiguration_time", "port_width"});
    p.clock_mhz = positive(s, "board_frequency", at, p.clock_mhz);
    p.memory_bandwidth_gbps = positive(s, "memory_bandwidth", at, p.memory_bandwidth_gbps);
    p.reconfiguration_time_s = positive(s, "reconfiguration_time", at, p.reconfiguration_time_s, true);
    p.port_width = static_cast<int>(count(s, "port_width", at, p.port_width, false));
  }
  if (j.contains("ethernet")) {
    const auto& e = j["ethernet"];
    const std::string at = where + ".ethernet";
    check_keys(e, at, {"bandwidth", "latency"});
    if (e.contains("bandwidth")) p.ethernet_bandwidth_gbps = positive(e, "bandwidth", at, 0.0);
    if (e.contains("latency")) p.ethernet_latency_s = positive(e, "latency", at, 0.0, true);
  }
  return p;
}

namespace {

[[noreturn]] void missing_ethernet(const Platform& p, const char* field) {
  throw InputError((p.source.empty() ? "platform " + p.name : p.source) + ".ethernet." + field,
                   "missing field: network_mode \"pipelined\" runs one partition per FPGA linked by Ethernet and "
                   "needs ethernet.bandwidth (Gbit/s) and ethernet.latency (s) in the platform");
}

}  // namespace

std::int64_t Platform::ethernet_port_width() const {
  if (!ethernet_bandwidth_gbps) missing_ethernet(*this, "bandwidth");
  return static_cast<std::int64_t>(*ethernet_bandwidth_gbps * (576.0 - 10 - 20 - 8) / 576.0 / (clock_mhz / 1000.0));
}

double Platform::ethernet_latency() const {
  if (!ethernet_latency_s) missing_ethernet(*this, "latency");
  return *ethernet_latency_s;
}

Platform load_platform(const std::filesystem::path& file) {
  return parse_platform(read_json(file), file.string());  // read_json: line:column of syntax errors
}

Platform find_platform(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json")) {
    if (!path_exists(name_or_path)) throw InputError(name_or_path, "platform file not found");
    return load_platform(name_or_path);
  }
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("SPARSEDSE_PLATFORMS")) dirs.emplace_back(env);
  dirs.emplace_back("configs/platforms");
#ifdef SPARSEDSE_SOURCE_DIR
  dirs.emplace_back(fs::path(SPARSEDSE_SOURCE_DIR) / "configs" / "platforms");
#endif
  for (const auto& dir : dirs) {
    const fs::path file = dir / (name_or_path + ".json");
    if (path_exists(file)) return load_platform(file);
  }
  throw InputError("platform " + name_or_path,
                   "unknown platform (looked for " + name_or_path + ".json in $SPARSEDSE_PLATFORMS and configs/platforms)");
}

nlohmann::json to_json(const Platform& p) {
  nlohmann::json j = {
      {"device", {{"name", p.name}, {"part", p.part}, {"board", p.board}}},
      {"resources", budget_json(p.device)},
      {"system",
       {{"board_frequency", p.clock_mhz},
        {"memory_bandwidth", p.memory_bandwidth_gbps},
        {"reconfiguration_time", p.reconfiguration_time_s},
        {"port_width", p.port_width}}},
  };
  if (!(p.usable == p.device)) j["usable"] = budget_json(p.usable);
  if (p.ethernet_bandwidth_gbps || p.ethernet_latency_s) {
    j["ethernet"] = nlohmann::json::object();
    if (p.ethernet_bandwidth_gbps) j["ethernet"]["bandwidth"] = *p.ethernet_bandwidth_gbps;
    if (p.ethernet_latency_s) j["ethernet"]["latency"] = *p.ethernet_latency_s;
  }
  if (!p.notes.empty()) j["notes"] = p.notes;
  return j;
}

}  // namespace sparsedse::hw
