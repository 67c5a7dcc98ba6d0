#pragma once
// FPGA platform descriptions (model.md §6.9, facts.md §1): device totals, the usable region a shell
// leaves to user logic, clock, off-chip bandwidth, port width and reconfiguration time.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sparsedse::hw {

struct ResourceBudget {
  std::int64_t lut = 0, ff = 0, dsp = 0, bram = 0, uram = 0;  // BRAM in BRAM18 units
  bool operator==(const ResourceBudget&) const = default;
};

struct Platform {
  std::string name, part, board, notes;
  std::string source;     // where it was read from (file, or file: /path), for error messages
  ResourceBudget device;  // whole-device totals
  ResourceBudget usable;  // what user logic may use (= device unless a shell reserves resources)
  double clock_mhz = 100.0;               // system.board_frequency
  double memory_bandwidth_gbps = 5.0;     // system.memory_bandwidth
  double reconfiguration_time_s = 0.0;    // system.reconfiguration_time
  int port_width = 512;                   // bits per DMA port
  std::optional<double> ethernet_bandwidth_gbps, ethernet_latency_s;

  // Words of `data_width` bits per port beat (model.md §7.7): 512/16 = 32.
  int max_streams(int data_width) const { return port_width / data_width; }

  // Payload bits per clock cycle of the Ethernet link (model.md §6.9):
  // int(eth_bw·(576−10−20−8)/576 / (f/1000)), the frame overheads removed. U250: 373.
  // Throws InputError naming `source` and the missing field when there is no ethernet.bandwidth.
  std::int64_t ethernet_port_width() const;
  // ethernet.latency in seconds; throws InputError like ethernet_port_width when it is absent.
  double ethernet_latency() const;
};

// Parses a platform JSON object; `where` names the file for errors. Unknown keys, missing required
// fields and non-positive numbers are InputErrors naming the file and key.
Platform parse_platform(const nlohmann::json& j, const std::string& where);
Platform load_platform(const std::filesystem::path& file);

// A platform by file path or by name: NAME resolves to NAME.json in $SPARSEDSE_PLATFORMS, then
// ./configs/platforms, then the source tree's configs/platforms. Unknown names are InputErrors.
Platform find_platform(const std::string& name_or_path);

inline constexpr const char* kDefaultPlatform = "u250";

nlohmann::json to_json(const Platform& platform);

}  // namespace sparsedse::hw
