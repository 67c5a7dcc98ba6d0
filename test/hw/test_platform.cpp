// Platform files (model.md §6.9, facts.md §1) and their validation.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/platform.hpp"

using namespace sparsedse;
using namespace sparsedse::hw;

TEST_CASE("shipped platform files load with device values", "[hw][platform]") {
  const Platform u250 = find_platform("u250");
  CHECK(u250.part == "xcu250-figd2104-2L-e");
  CHECK(u250.device == ResourceBudget{1728000, 3456000, 12288, 5376, 1280});
  CHECK(u250.usable == u250.device);
  CHECK(u250.clock_mhz == 250);
  CHECK(u250.memory_bandwidth_gbps == Approx(614.4));
  CHECK(u250.reconfiguration_time_s == Approx(0.08255));
  CHECK(u250.max_streams(16) == 32);
  CHECK(find_platform("zcu102").device.lut == 274080);  // not the 599 550 logic cells (Q27)
  CHECK(find_platform("zcu102").device.uram == 0);
  const Platform shell = find_platform("u250_shell");
  CHECK(shell.usable.dsp == 11508);
  CHECK(shell.usable.bram == 4000);
  CHECK(shell.usable.uram == 1280);
  for (const char* name : {"u280", "u55c", "u200", "u50", "zcu104"}) {
    const Platform p = find_platform(name);
    CHECK(p.name == name);
    CHECK(p.device.dsp > 0);
  }
  CHECK(find_platform("configs/platforms/u50.json").device.dsp == 5952);
}

TEST_CASE("platform validation names the file and key", "[hw][platform]") {
  const nlohmann::json good = nlohmann::json::parse(R"({
    "device": {"name": "x", "part": "p", "board": "b"},
    "resources": {"LUT": 10, "FF": 20, "DSP": 3, "BRAM": 4}
  })");
  const Platform p = parse_platform(good, "x.json");
  CHECK(p.device.uram == 0);
  CHECK(p.clock_mhz == 100);             // §6.9 defaults
  CHECK(p.memory_bandwidth_gbps == 5.0);
  CHECK(p.port_width == 512);

  auto error_of = [](const nlohmann::json& j) -> std::string {
    try {
      parse_platform(j, "bad.json");
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  nlohmann::json j = good;
  j["resources"]["LUTS"] = 5;
  CHECK(error_of(j) == "bad.json.resources.LUTS: unknown key");
  j = good;
  j["colour"] = "red";
  CHECK(error_of(j) == "bad.json.colour: unknown key");
  j = good;
  j["resources"]["DSP"] = -1;
  CHECK(error_of(j).find("bad.json.resources.DSP") == 0);
  j = good;
  j["resources"].erase("FF");
  CHECK(error_of(j) == "bad.json.resources.FF: missing required field");
  j = good;
  j["system"] = {{"board_frequency", 0}};
  CHECK(error_of(j).find("bad.json.system.board_frequency") == 0);
  j = good;
  j["usable"] = {{"DSP", 4}};
  CHECK(error_of(j) == "bad.json.usable.DSP: exceeds the device total 3");
  j = good;
  j["device"].erase("part");
  CHECK(error_of(j) == "bad.json.device.part: missing required field");
  CHECK_THROWS_AS(find_platform("no_such_board"), InputError);
}
