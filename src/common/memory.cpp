#include "sparsedse/common/memory.hpp"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "sparsedse/common/error.hpp"

namespace sparsedse {

namespace {

constexpr std::uint64_t kGiB = std::uint64_t(1) << 30;
std::atomic<std::uint64_t> g_budget{0};  // 0 = not set: environment, then physical memory

// First number of the line starting with `key` in /proc/meminfo, in bytes (the file says kB).
std::uint64_t meminfo_bytes(const char* key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> name >> kb) {
    std::getline(in, unit);
    if (name == key) return kb * 1024;
  }
  return 0;
}

// cgroup v2 (memory.max) or v1 (memory.limit_in_bytes) limit of this process's container; 0 = none.
std::uint64_t cgroup_limit() {
  for (const char* file : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream in(file);
    std::string text;
    if (in >> text && !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])))
      return std::strtoull(text.c_str(), nullptr, 10);
  }
  return 0;
}

}  // namespace

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

std::uint64_t default_memory_budget() {
  std::uint64_t physical = meminfo_bytes("MemTotal:");
  std::uint64_t limit = cgroup_limit();
  if (limit != 0 && (physical == 0 || limit < physical)) physical = limit;
  if (physical == 0) return 8 * kGiB;
  // Leave a quarter to the OS, the page cache and what the estimates below do not count.
  return physical / 4 * 3;
}

std::uint64_t memory_budget() {
  if (std::uint64_t set = g_budget.load(std::memory_order_relaxed)) return set;
  if (const char* env = std::getenv("SPARSEDSE_MEMORY_BUDGET"); env && *env)
    return parse_memory_size(env, "SPARSEDSE_MEMORY_BUDGET");
  static const std::uint64_t fallback = default_memory_budget();
  return fallback;
}

void set_memory_budget(std::uint64_t bytes) { g_budget.store(bytes, std::memory_order_relaxed); }

std::uint64_t parse_memory_size(std::string_view text, const std::string& where) {
  const std::string expected = "expected a size such as 8G, 512M or 1048576 (bytes), got '" + std::string(text) + "'";
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number(text.substr(0, i));
  std::string unit(text.substr(i));
  for (char& c : unit) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();        // "GB", "B"
  if (unit.size() == 2 && unit[1] == 'I') unit.pop_back();         // "GiB" → "G"
  double scale = 0;
  if (unit.empty()) scale = 1;
  else if (unit == "K") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
  if (number.empty() || number == "." || scale == 0 || number.find('.') != number.rfind('.'))
    throw InputError(where, expected);
  double value = std::strtod(number.c_str(), nullptr) * scale;
  if (!(value >= 1) || value >= 1.8e19) throw InputError(where, expected + " (must be at least 1 byte)");
  return std::uint64_t(value);
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = double(bytes);
  int u = -1;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", v, units[u]);
  return text;
}

void check_memory_budget(std::uint64_t bytes, const std::string& where, const std::string& what) {
  const std::uint64_t budget = memory_budget();
  if (bytes <= budget) return;
  std::string need = format_bytes(bytes), have = format_bytes(budget);
  if (need == have) {  // rounded alike: show the bytes, or "needs 1.5 KiB, more than 1.5 KiB" reads as nonsense
    need = std::to_string(bytes) + " B";
    have = std::to_string(budget) + " B";
  }
  throw InputError(where, what + " needs " + need + ", more than the memory budget of " + have +
                              " (raise it with --memory-budget or SPARSEDSE_MEMORY_BUDGET)");
}

}  // namespace sparsedse
