#include <catch2/catch.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/json_fields.hpp"

using namespace sparsedse;
using nlohmann::json;

TEST_CASE("unknown keys name the file, path and a suggestion", "[common]") {
  json j = {{"platform", "u250"}, {"opt", {{"T_strat", 10.0}}}};
  JsonFields root(j, "job.json");
  root.allow_only({"platform", "opt"});
  JsonFields opt = root.object("opt");
  CHECK_THROWS_WITH(opt.allow_only({"T_start", "T_min", "cool"}),
                    Catch::Contains("job.json: /opt/T_strat") && Catch::Contains("did you mean 'T_start'"));
  CHECK(closest_match("zzzzzzz", {"T_start", "T_min"}).empty());
}

TEST_CASE("typed getters check types, ranges and choices", "[common]") {
  json j = {{"dsp", 0}, {"clock", "fast"}, {"batch", 256}, {"mode", "fixd"}, {"pads", {1, 2, "x"}}};
  JsonFields f(j, "p.json");
  CHECK_THROWS_WITH(f.positive("dsp"), Catch::Contains("p.json: /dsp") && Catch::Contains("positive"));
  CHECK_THROWS_WITH(f.number("clock"), Catch::Contains("a number, got string"));
  CHECK(f.integer("batch") == 256);
  CHECK(f.integer("missing", 7) == 7);
  CHECK_THROWS_WITH(f.integer("missing"), Catch::Contains("missing required field"));
  CHECK_THROWS_WITH(f.choice("mode", {"float", "fixed"}, "fixed"), Catch::Contains("did you mean \"fixed\""));
  CHECK_THROWS_WITH(f.integers("pads"), Catch::Contains("/pads/2"));
  CHECK_THROWS_AS(JsonFields(json::array(), "a.json"), InputError);
}
