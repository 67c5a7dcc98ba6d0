// The memory budget (common/memory.hpp, docs/reliability.md).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <limits>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/memory.hpp"

using namespace sparsedse;

namespace {

// Restores the default budget (and the environment) when a test ends.
struct BudgetGuard {
  ~BudgetGuard() {
    set_memory_budget(0);
    ::unsetenv("SPARSEDSE_MEMORY_BUDGET");
  }
};

}  // namespace

TEST_CASE("memory sizes parse with binary units and reject anything else", "[common][memory]") {
  CHECK(parse_memory_size("1048576", "x") == 1048576);
  CHECK(parse_memory_size("64k", "x") == 64 * 1024);
  CHECK(parse_memory_size("512M", "x") == 512ull << 20);
  CHECK(parse_memory_size("8G", "x") == 8ull << 30);
  CHECK(parse_memory_size("8GB", "x") == 8ull << 30);
  CHECK(parse_memory_size("8GiB", "x") == 8ull << 30);
  CHECK(parse_memory_size("1.5G", "x") == 3ull << 29);
  CHECK(parse_memory_size("2T", "x") == 2ull << 40);
  for (const char* bad : {"", "G", "lots", "-1G", "0", "0.2", "1..5G", "8X", "8 G", "1e3", "99999999999T"})
    CHECK_THROWS_WITH(parse_memory_size(bad, "--memory-budget"),
                      Catch::StartsWith("--memory-budget: expected a size such as 8G"));
}

TEST_CASE("byte counts format in binary units", "[common][memory]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(3ull << 20) == "3.0 MiB");
  CHECK(format_bytes((12ull << 30) + (410ull << 20)) == "12.4 GiB");
  CHECK(format_bytes(std::numeric_limits<std::uint64_t>::max()) == "16.0 EiB");
}

TEST_CASE("saturating_mul saturates instead of wrapping", "[common][memory]") {
  CHECK(saturating_mul(0, std::numeric_limits<std::uint64_t>::max()) == 0);
  CHECK(saturating_mul(1ull << 31, 1ull << 31) == 1ull << 62);
  CHECK(saturating_mul(1ull << 32, 1ull << 32) == std::numeric_limits<std::uint64_t>::max());
  // Four u32 IDX dimensions of 2^16 multiply to 2^64, which wraps to 0 without saturation.
  std::uint64_t n = 1;
  for (int i = 0; i < 4; ++i) n = saturating_mul(n, 1ull << 16);
  CHECK(n == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("the budget comes from set_memory_budget, then the environment, then physical memory", "[common][memory]") {
  BudgetGuard guard;
  ::unsetenv("SPARSEDSE_MEMORY_BUDGET");
  set_memory_budget(0);
  // Default: 3/4 of MemTotal (or of a lower cgroup limit), read here independently.
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  REQUIRE(meminfo >> key >> kb);
  REQUIRE(key == "MemTotal:");
  const std::uint64_t total = kb * 1024;
  CHECK(default_memory_budget() <= total / 4 * 3);
  CHECK(default_memory_budget() > 0);
  CHECK(memory_budget() == default_memory_budget());

  ::setenv("SPARSEDSE_MEMORY_BUDGET", "3G", 1);
  CHECK(memory_budget() == 3ull << 30);
  set_memory_budget(1ull << 20);  // the CLI option wins over the environment
  CHECK(memory_budget() == 1ull << 20);
  set_memory_budget(0);
  ::setenv("SPARSEDSE_MEMORY_BUDGET", "plenty", 1);
  CHECK_THROWS_WITH(memory_budget(), Catch::StartsWith("SPARSEDSE_MEMORY_BUDGET: expected a size"));
}

TEST_CASE("exceeding the budget is an InputError naming what needed how much", "[common][memory]") {
  BudgetGuard guard;
  set_memory_budget(1ull << 30);
  CHECK_NOTHROW(check_memory_budget(1ull << 30, "model.onnx", "the model's weights"));
  CHECK_THROWS_AS(check_memory_budget((1ull << 30) + 1, "model.onnx", "the model's weights"), InputError);
  CHECK_THROWS_WITH(check_memory_budget(3ull << 30, "model.onnx", "the model's weights"),
                    "model.onnx: the model's weights needs 3.0 GiB, more than the memory budget of 1.0 GiB "
                    "(raise it with --memory-budget or SPARSEDSE_MEMORY_BUDGET)");
}

TEST_CASE("JSON errors of any kind are InputErrors naming the file", "[common]") {
  // nlohmann reports a number overflow (1e999) as out_of_range, not parse_error: found by fuzzing
  // (docs/reliability.md); it used to escape as an internal error (exit code 3).
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "sparsedse_overflow.json";
  std::ofstream(file) << "{\"default\": 1e999}";
  CHECK_THROWS_WITH(read_json(file), Catch::StartsWith(file.string() + ": invalid JSON") &&
                                         Catch::Contains("number overflow parsing '1e999'"));
  std::filesystem::remove(file);
}

TEST_CASE("ensure_directory names a directory that cannot be created", "[common]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "sparsedse_ensure_dir";
  std::filesystem::remove_all(dir);
  ensure_directory(dir / "a" / "b");
  CHECK(std::filesystem::is_directory(dir / "a" / "b"));
  ensure_directory(dir / "a");  // existing: fine
  std::ofstream(dir / "file") << "x";
  // Under a regular file: impossible even as root.
  CHECK_THROWS_WITH(ensure_directory(dir / "file" / "sub"),
                    Catch::StartsWith((dir / "file" / "sub").string() + ": cannot create the directory"));
  std::filesystem::remove_all(dir);
}
