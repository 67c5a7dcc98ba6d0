// End to end: `sparsedse estimate LAYER.json` (docs/estimate.md).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsedse/common/io.hpp"

using namespace sparsedse;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

Run estimate(const std::string& args) {
  const fs::path dir = fs::temp_directory_path() / ("sparsedse_cli_estimate_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string cmd = std::string(SPARSEDSE_CLI_PATH) + " estimate " + args + " > " + (dir / "out").string() +
                          " 2> " + (dir / "err").string();
  const int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir / "out");
  r.err = read_file(dir / "err");
  fs::remove_all(dir);
  return r;
}

}  // namespace

TEST_CASE("sparsedse estimate prints the E1 and E5 estimates", "[cli][estimate]") {
  Run r = estimate("test/data/hw/e1_conv.json");
  REQUIRE(r.code == 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  CHECK(j["latency"] == 12288);
  CHECK(j["pipeline_depth"] == 204);
  CHECK(j["resources"]["DSP"] == 24);
  CHECK(j["resources"]["BRAM"] == 13);
  r = estimate("test/data/hw/e5_sparse_conv.json");
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["latency"] == 1536);
}

TEST_CASE("sparsedse estimate: bad input exits 2 naming the field", "[cli][estimate]") {
  const fs::path bad = fs::temp_directory_path() / ("sparsedse_bad_layer_" + std::to_string(::getpid()) + ".json");
  std::ofstream(bad) << R"({"type": "relu", "rows": 4, "cols": 4, "channels": 4, "colour": 1})";
  const Run r = estimate(bad.string());
  fs::remove(bad);
  CHECK(r.code == 2);
  CHECK(r.err.find("/colour: unknown key") != std::string::npos);
  CHECK(estimate("no_such_file.json").code == 2);
}
