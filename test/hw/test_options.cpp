// Model options: semantics defaults and the JSON form (model.md §9, §10).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/options.hpp"

using namespace sparsedse;
using namespace sparsedse::hw;

TEST_CASE("semantics pass sets every quirk faithful and sparse_enable 0.2", "[hw][options]") {
  const ModelOptions main;
  CHECK(main.quirks == Quirks{});
  CHECK(main.sparse_enable == 0.1);
  const ModelOptions pass = ModelOptions::for_semantics(Semantics::pass);
  CHECK(pass.quirks == Quirks::all_faithful());
  CHECK(pass.sparse_enable == 0.2);
  CHECK(main.ram_fraction() == 0.9);
}

TEST_CASE("model options JSON", "[hw][options]") {
  const ModelOptions o = parse_model_options(
      nlohmann::json::parse(R"({"semantics": "pass", "quirks": {"small_rom": "corrected"}, "sparse_enable": 0.3,
                               "interleaving": "naive", "ram_usage": 0.8, "reconf_count": "p_minus_1"})"),
      "opts.json");
  CHECK(o.semantics == Semantics::pass);
  CHECK(o.quirks.sparse_io);
  CHECK_FALSE(o.quirks.small_rom);
  CHECK(o.sparse_enable == 0.3);
  CHECK(o.interleaving == Interleaving::naive);
  CHECK(o.ram_fraction() == 0.8);
  CHECK(o.reconf_count == ReconfCount::p_minus_1);
  CHECK(parse_model_options(to_json(o), "round trip").quirks == o.quirks);
  CHECK(parse_model_options(to_json(o), "round trip").sparse_enable == 0.3);

  CHECK_THROWS_WITH(parse_model_options(nlohmann::json::parse(R"({"quirks": {"nope": "faithful"}})"), "o.json"),
                    "o.json: quirks.nope: unknown quirk");
  CHECK_THROWS_AS(parse_model_options(nlohmann::json::parse(R"({"semantics": "fast"})"), "o.json"), InputError);
  CHECK_THROWS_AS(parse_model_options(nlohmann::json::parse(R"({"rsc_allocation": 1.5})"), "o.json"), InputError);
  CHECK_THROWS_WITH(parse_model_options(nlohmann::json::parse(R"({"colour": 1})"), "o.json"), "o.json: colour: unknown key");
}
