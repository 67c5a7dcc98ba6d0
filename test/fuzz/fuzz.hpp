#pragma once
// Shared by the libFuzzer harnesses (docs/reliability.md). A harness feeds the input to one reader;
// sparsedse::InputError is the expected outcome for bad input, anything else escaping (another
// exception, a crash, a sanitizer report, a hang, an allocation past libFuzzer's limit) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>

#include <unistd.h>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"

namespace fuzz {

namespace fs = std::filesystem;

// Well under libFuzzer's default -rss_limit_mb=2048: a reader that would need more must refuse via the
// memory budget (an InputError) before allocating, which is what this checks.
inline constexpr std::uint64_t kMemoryBudget = std::uint64_t(256) << 20;

// One scratch directory per process (libFuzzer -jobs/-fork run several), removed at exit. In memory
// (/dev/shm) when there is one: every input is written there first.
inline fs::path scratch_path() {
  std::error_code ec;
  const fs::path base = fs::is_directory("/dev/shm", ec) ? fs::path("/dev/shm") : fs::temp_directory_path();
  return base / ("sparsedse-fuzz-" + std::to_string(::getpid()));
}
inline const fs::path& scratch() {
  static const fs::path dir = [] {
    fs::create_directories(scratch_path());
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(scratch_path(), ec);
    });
    return scratch_path();
  }();
  return dir;
}

// The readers take paths: write the input to scratch()/name and return the path.
inline fs::path write(const std::string& name, std::string_view bytes) {
  fs::path p = scratch() / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  return p;
}
inline fs::path write(const std::string& name, const std::uint8_t* data, std::size_t size) {
  return write(name, std::string_view(reinterpret_cast<const char*>(data), size));
}

// Two files in one input: a little-endian u32 length n, then n bytes of the first file, then the second.
// A length past the end is clamped. test/fuzz/make_corpus.py writes seeds in this form.
inline std::pair<std::string_view, std::string_view> split(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return {{}, {}};
  std::size_t n = std::size_t(data[0]) | std::size_t(data[1]) << 8 | std::size_t(data[2]) << 16 |
                  std::size_t(data[3]) << 24;
  const char* rest = reinterpret_cast<const char*>(data) + 4;
  n = std::min(n, size - 4);
  return {std::string_view(rest, n), std::string_view(rest + n, size - 4 - n)};
}

// Runs one reader on one input: InputError is fine, everything else propagates to libFuzzer.
template <class F>
int run(F&& reader) {
  sparsedse::set_memory_budget(kMemoryBudget);
  try {
    reader();
  } catch (const sparsedse::InputError&) {
  }
  return 0;
}

}  // namespace fuzz
