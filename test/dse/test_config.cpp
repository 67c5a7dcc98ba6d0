#include <catch2/catch.hpp>

#include <filesystem>

#include "sparsedse/common/error.hpp"
#include "sparsedse/dse/config.hpp"

using namespace sparsedse;
using namespace sparsedse::dse;
using nlohmann::json;

TEST_CASE("optimiser config defaults are upstream's dataclass defaults", "[dse][config]") {
  const OptimiserConfig c = optimiser_config_from_json(json::object(), "empty.json");
  CHECK(c.annealing.T == 10.0);
  CHECK(c.annealing.T_min == 0.007);
  CHECK(c.annealing.k == 0.001);
  CHECK(c.annealing.cool == 0.97);
  CHECK(c.annealing.iterations == 10);
  // model.md §7.4 table: ⌈ln(T_min/T)/ln(cool)⌉ steps.
  CHECK(c.annealing.temperature_steps() == 239);
  CHECK(c.objective == Objective::throughput);
  CHECK(c.resource_allocation == 0.9);
  CHECK(c.effective_ram_usage() == 0.9);
}

TEST_CASE("optimiser config reads every section", "[dse][config]") {
  const json doc = json::parse(R"({
    "general": {"objective": "latency", "batch_size": 16, "resource_allocation": 0.8, "ram_usage": 0.7},
    "transforms": {"fine": {"apply_transform": false, "start_complete": true},
                   "partition": {"allowed_type": ["split"], "allowed_partitions": [["ReLU", "Convolution"]],
                                 "allowed_single_layer_merge_pre": ["Split"]},
                   "weights_reloading": {"probability": 0.5, "start_max": true}},
    "annealing": {"T": 5, "T_min": 1e-5, "k": 0.07, "cool": 0.975, "transform_iterations": 3, "seed": 7}
  })");
  const OptimiserConfig c = optimiser_config_from_json(doc, "x.json");
  CHECK(c.objective == Objective::latency);
  CHECK(c.batch_size == 16);
  CHECK(c.effective_ram_usage() == 0.7);
  CHECK_FALSE(c.fine.apply);
  CHECK(c.fine.start_complete);
  CHECK(c.partition.allow_split);
  CHECK_FALSE(c.partition.allow_merge);
  REQUIRE(c.partition.allowed_partitions.size() == 1);
  CHECK(c.partition.allowed_partitions[0].first == "ReLU");
  CHECK(c.partition.single_layer_merge_pre == std::vector<std::string>{"Split"});
  CHECK(c.weights_reloading.start_max);
  CHECK(c.annealing.iterations == 3);  // Q13: transform_iterations is an alias
  CHECK(c.annealing.seed == 7);
  // Round trip through to_json.
  const OptimiserConfig d = optimiser_config_from_json(to_json(c), "round-trip");
  CHECK(to_json(d) == to_json(c));
}

TEST_CASE("optimiser config errors name the file and the key", "[dse][config]") {
  auto error = [](const char* text) {
    try {
      optimiser_config_from_json(json::parse(text), "cfg.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error(R"({"annealing": {"T": 10, "Tmin": 1}})"),
             Catch::Contains("cfg.json") && Catch::Contains("/annealing/Tmin") && Catch::Contains("unknown key") &&
                 Catch::Contains("T_min"));
  CHECK_THAT(error(R"({"annealing": {"T": 1, "T_min": 2}})"),
             Catch::Contains("cfg.json") && Catch::Contains("/annealing/T_min") && Catch::Contains("start temperature"));
  CHECK_THAT(error(R"({"general": {"objective": "area"}})"), Catch::Contains("/general/objective"));
  CHECK_THAT(error(R"({"transforms": {"coarse": {"probability": -1}}})"), Catch::Contains("/transforms/coarse/probability"));
  CHECK_THAT(error(R"({"transforms": {"partition": {"vertical": true}}})"), Catch::Contains("vertical"));
  CHECK_THAT(error(R"({"transforms": {"partition": {"allowed_partitions": [["Conv", "*"]]}}})"),
             Catch::Contains("allowed_partitions/0"));
  CHECK_THAT(error(R"({"annealing": {"iterations": 2, "transform_iterations": 3}})"),
             Catch::Contains("transform_iterations"));
  CHECK_THAT(error(R"({"annealing": {"cool": 1.5}})"), Catch::Contains("/annealing/cool"));
  CHECK_THAT(error(R"({"solver": {}})"), Catch::Contains("unknown key"));
  CHECK_THAT(error(R"([1, 2])"), Catch::Contains("cfg.json"));
}

TEST_CASE("shipped optimiser configs are valid", "[dse][config]") {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("configs/optimisers")) {
    if (entry.path().extension() != ".json") continue;
    INFO(entry.path());
    CHECK_NOTHROW(read_optimiser_config(entry.path()));
    ++count;
  }
  CHECK(count >= 3);
  const OptimiserConfig example = find_optimiser_config("optimiser_example");
  CHECK(example.annealing.temperature_steps() == 180);  // model.md §7.4 table
  CHECK(find_optimiser_config("greedy_partition_throughput_residual").annealing.temperature_steps() == 570);
  CHECK_THROWS_AS(find_optimiser_config("no_such_config"), InputError);
}

TEST_CASE("layer-kind patterns match families", "[dse][config]") {
  CHECK(kind_matches("*", hw::LayerKind::split));
  CHECK(kind_matches("Convolution", hw::LayerKind::convolution_sparse));
  CHECK(kind_matches("ConvolutionSparse", hw::LayerKind::convolution_sparse));
  CHECK_FALSE(kind_matches("ConvolutionSparse", hw::LayerKind::convolution));
  CHECK(kind_matches("ReLU", hw::LayerKind::thresholded_relu));
  CHECK_FALSE(kind_matches("ReLU", hw::LayerKind::eltwise));
  CHECK(is_kind_pattern("EltWise"));
  CHECK_FALSE(is_kind_pattern("Eltwise"));
}
