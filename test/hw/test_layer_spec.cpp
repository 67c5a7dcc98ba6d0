// The `sparsedse estimate` layer JSON (docs/estimate.md).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/hw/layer_spec.hpp"

using namespace sparsedse;
using namespace sparsedse::hw;

namespace {

nlohmann::json estimate(const nlohmann::json& j) {
  const LayerSpec s = parse_layer_spec(j, "layer.json");
  return estimate_json(s.layer, s.options);
}

std::string error_of(const nlohmann::json& j) {
  try {
    parse_layer_spec(j, "layer.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("estimate: E1 and E5 from the test files", "[hw][estimate]") {
  const nlohmann::json e1 = estimate(read_json("test/data/hw/e1_conv.json"));
  CHECK(e1["latency"] == 12288);
  CHECK(e1["pipeline_depth"] == 204);
  CHECK(e1["rate_in"].get<double>() == Approx(0.25));
  CHECK(e1["rate_out"].get<double>() == Approx(1.0 / 12));
  CHECK(e1["resources"]["DSP"] == 24);
  CHECK(e1["resources"]["BRAM"] == 13);
  CHECK(e1["resources"]["URAM"] == 0);
  CHECK(e1["resources"].contains("LUT"));
  CHECK(e1["resources"].contains("FF"));

  const nlohmann::json e5 = estimate(read_json("test/data/hw/e5_sparse_conv.json"));
  CHECK(e5["latency"] == 1536);
  CHECK(e5["resources"]["DSP"] == 8);
  // pad 0 + sliding window 2·10·2 + 2·2 + accum Cs·Fl = 8 + glue cin = 2.
  CHECK(e5["pipeline_depth"] == 54);
}

TEST_CASE("estimate: defaults, semantics and every layer type", "[hw][estimate]") {
  nlohmann::json j = read_json("test/data/hw/e1_conv.json");
  j["semantics"] = "pass";
  j["fine"] = 9;
  CHECK(estimate(j)["latency"] == 5184);  // E3

  CHECK(estimate({{"type", "relu"}, {"rows", 8}, {"cols", 8}, {"channels", 4}, {"coarse_in", 2}})["latency"] == 128);
  CHECK(estimate({{"type", "pooling"}, {"rows", 8}, {"cols", 8}, {"channels", 4}, {"kernel", {2, 2}},
                  {"stride", {2, 2}}, {"coarse_in", 2}})["latency"] == 128);
  CHECK(estimate({{"type", "global_pooling"}, {"rows", 4}, {"cols", 4}, {"channels", 8}, {"coarse_in", 2}})["latency"] ==
        64);
  CHECK(estimate({{"type", "eltwise"}, {"rows", 8}, {"cols", 8}, {"channels", 4}, {"coarse_in", 4}})["latency"] == 64);
  CHECK(estimate({{"type", "concat"}, {"rows", 8}, {"cols", 8}, {"channels", {4, 12}}, {"coarse_in", 4}})["latency"] ==
        256);
  CHECK(estimate({{"type", "split"}, {"rows", 8}, {"cols", 8}, {"channels", 4}, {"ports", 3}})["latency"] == 256);
  CHECK(estimate({{"type", "squeeze"}, {"rows", 8}, {"cols", 8}, {"channels", 4}, {"coarse_in", 1}, {"coarse_out", 2}})
            ["latency"] == 256);
  CHECK(estimate({{"type", "inner_product"}, {"rows", 1}, {"cols", 1}, {"channels", 8}, {"filters", 4},
                  {"coarse_in", 2}, {"coarse_out", 2}})["latency"] == 8);
  // A sparse inner product: per-channel histograms spread over H·W features.
  const nlohmann::json ip = {{"type", "inner_product"}, {"rows", 2}, {"cols", 2}, {"channels", 2}, {"filters", 4},
                             {"coarse_in", 2}, {"coarse_out", 2},
                             {"sparsity", {{"histogram", {{0.5, 0.5}, {0.5, 0.5}}}}}};
  CHECK(estimate(ip)["latency"] == 4);
}

TEST_CASE("estimate: bad input names the file and field", "[hw][estimate]") {
  const nlohmann::json conv = read_json("test/data/hw/e1_conv.json");
  nlohmann::json j = conv;
  j["colour"] = 1;
  CHECK(error_of(j).find("layer.json: /colour: unknown key") == 0);
  j = conv;
  j["coarse_in"] = 3;
  CHECK(error_of(j).find("layer.json: /coarse_in: expected a divisor") == 0);
  j = conv;
  j["fine"] = 2;  // dense fine must divide K²
  CHECK(error_of(j).find("layer.json: /fine") == 0);
  j = conv;
  j["type"] = "deconvolution";
  CHECK(error_of(j).find("layer.json: /type") == 0);
  j = conv;
  j.erase("filters");
  CHECK(error_of(j).find("layer.json: /filters") == 0);
  j = conv;
  j["sparsity"] = {{"histogram", {{1.0, 0.0}}}};
  CHECK(error_of(j).find("layer.json: /sparsity") == 0);
  j = conv;
  j["kernel"] = {3};
  CHECK(error_of(j).find("layer.json: /kernel") == 0);
  CHECK(error_of({{"type", "relu"}, {"rows", 4}, {"cols", 4}, {"channels", 4}, {"coarse_in", 2}, {"coarse_out", 4}})
            .find("layer.json: /coarse_out") == 0);
  CHECK(error_of({{"type", "relu"}, {"rows", 4}, {"cols", 4}, {"channels", 4}, {"kernel", {3, 3}}})
            .find("layer.json: /kernel") == 0);
  CHECK(error_of({{"type", "relu"}, {"rows", 0}, {"cols", 4}, {"channels", 4}}).find("layer.json: /rows") == 0);
  // Sparse fine may be any integer in 1..K².
  j = read_json("test/data/hw/e5_sparse_conv.json");
  j["fine"] = 4;
  CHECK(error_of(j).empty());
  j["fine"] = 10;
  CHECK(error_of(j).find("layer.json: /fine") == 0);
}
