// The statistics file: round trips, validation errors naming file and field, attaching to a graph.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "networks.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/sparsity/window_histogram.hpp"

using namespace sparsedse;
using nlohmann::json;

namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("sparsedse_stats_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Spec example E4's histogram (z=8: 3 windows, z=7: 1) in every one of `channels` rows.
ir::SparsityStats e4_stats(int channels = 4) {
  sparsity::WindowZeroHistogram h(channels, 3, 3);
  for (int c = 0; c < channels; ++c) {
    h.row(c)[8] = 3;
    h.row(c)[7] = 1;
  }
  return h.stats();
}

sparsity::Stats sample() {
  sparsity::Stats s;
  s.model = "small_resnet";
  s.numerics = "fixed:16.8";
  s.thresholds.default_threshold = 0.005f;
  s.thresholds.per_relu["relu_b"] = 0.25f;
  s.result.images = 4;
  s.result.top1 = 0.75;
  s.result.top5 = 1.0;
  sparsity::WindowZeroHistogram two(2, 3, 3);
  two.row(0)[0] = 3;
  two.row(0)[9] = 1;
  two.row(1)[4] = 4;
  s.result.layers["conv_a"] = two.stats();
  s.result.layers["conv_b"] = e4_stats();
  s.result.relu_zero_fraction["relu_a"] = 0.5;
  return s;
}

// Expect an InputError whose message names all of `parts`.
void expect_error(const json& j, std::initializer_list<const char*> parts) {
  try {
    sparsity::stats_from_json(j, "bad.json");
    FAIL("no error for " << j.dump());
  } catch (const InputError& e) {
    const std::string msg = e.what();
    for (const char* p : parts) CHECK_THAT(msg, Catch::Contains(p));
  }
}

}  // namespace

TEST_CASE("stats file round trip", "[sparsity][stats]") {
  auto s = sample();
  s.hist_source = "products";
  auto path = temp_dir() / "stats.json";
  sparsity::write_stats(path, s);
  auto back = sparsity::read_stats(path);
  CHECK(back.model == s.model);
  CHECK(back.numerics == s.numerics);
  CHECK(back.hist_source == "products");
  CHECK(back.thresholds.default_threshold == s.thresholds.default_threshold);
  CHECK(back.thresholds.per_relu == s.thresholds.per_relu);
  CHECK(back.result == s.result);
  CHECK(back.source == path.string());

  // The file carries the fields of the format, thresholds written as short decimals.
  json j = read_json(path);
  CHECK(j["layers"]["conv_b"]["kernel"] == json::array({3, 3}));
  CHECK(j["layers"]["conv_b"]["channels"] == 4);
  CHECK(j["layers"]["conv_b"]["windows"] == 4);
  CHECK(j["layers"]["conv_b"]["histogram"][0][8] == 0.75);
  CHECK(j["layers"]["conv_b"]["counts"][0][7] == 1);
  CHECK(j["layers"]["conv_b"]["channel_sparsity"][3] == Approx((0.75 * 8 + 0.25 * 7) / 9));
  CHECK(j["layers"]["conv_a"]["channel_sparsity"][1] == Approx(4.0 / 9));
  CHECK(j["thresholds"]["default"].dump() == "0.005");
  CHECK(j["images"] == 4);
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("imported statistics without counts are accepted", "[sparsity][stats]") {
  json j = {{"layers", {{"conv", {{"kernel", {1, 1}}, {"channels", 2}, {"histogram", {{0.25, 0.75}, {1.0, 0.0}}}}}}}};
  auto s = sparsity::stats_from_json(j, "imported.json");
  const auto& l = s.result.layers.at("conv");
  CHECK(l.counts.empty());
  CHECK(l.mean_sparsity == Approx(0.375));
}

TEST_CASE("stats reader rejects malformed statistics", "[sparsity][stats]") {
  const json good = sparsity::to_json(sample());
  REQUIRE_NOTHROW(sparsity::stats_from_json(good, "good.json"));

  auto with = [&](auto edit) {
    json j = good;
    edit(j);
    return j;
  };
  // Wrong number of bins (K²+1 = 10 expected).
  expect_error(with([](json& j) { j["layers"]["conv_b"]["histogram"][0].erase(9); }),
               {"bad.json", "/layers/conv_b/histogram/0", "10 entries"});
  expect_error(with([](json& j) { j["hist_source"] = "weights"; }),
               {"bad.json", "/hist_source", "expected \"activations\" or \"products\""});
  // Row not summing to 1.
  expect_error(with([](json& j) { j["layers"]["conv_b"]["histogram"][0][8] = 0.7; }),
               {"bad.json", "/layers/conv_b/histogram/0", "sums to"});
  // Negative probability (row still sums to 1).
  expect_error(with([](json& j) {
                 j["layers"]["conv_b"]["histogram"][0][8] = 1.25;
                 j["layers"]["conv_b"]["histogram"][0][7] = -0.25;
               }),
               {"/layers/conv_b/histogram/0/7", "non-negative"});
  // Wrong number of channel rows.
  expect_error(with([](json& j) { j["layers"]["conv_a"]["channels"] = 3; }), {"/layers/conv_a/histogram", "3 entries"});
  // Counts that disagree with windows or the histogram.
  expect_error(with([](json& j) { j["layers"]["conv_b"]["windows"] = 5; }), {"/layers/conv_b/counts/0"});
  expect_error(with([](json& j) {
                 j["layers"]["conv_b"]["counts"][0][8] = 2;
                 j["layers"]["conv_b"]["counts"][0][7] = 2;
               }),
               {"/layers/conv_b/counts/0/7", "disagrees"});
  expect_error(with([](json& j) { j["layers"]["conv_b"]["counts"][0][0] = -1; }), {"/layers/conv_b/counts/0/0"});
  // Per-channel and layer means that are not the histogram's.
  expect_error(with([](json& j) { j["layers"]["conv_a"]["channel_sparsity"][1] = 0.5; }),
               {"/layers/conv_a/channel_sparsity/1"});
  expect_error(with([](json& j) { j["layers"]["conv_b"]["mean_sparsity"] = 0.5; }),
               {"/layers/conv_b/mean_sparsity"});
  // Kernel, types, fractions, thresholds.
  expect_error(with([](json& j) { j["layers"]["conv_b"]["kernel"] = {3, 0}; }), {"/layers/conv_b/kernel/1"});
  expect_error(with([](json& j) { j["layers"]["conv_b"].erase("histogram"); }),
               {"/layers/conv_b/histogram", "missing"});
  expect_error(with([](json& j) { j["layers"]["conv_b"]["histogram"][0][0] = "x"; }), {"histogram/0/0", "number"});
  expect_error(with([](json& j) { j["top1"] = 75.0; }), {"/top1", "fraction"});
  expect_error(with([](json& j) { j["thresholds"]["relu"]["relu_b"] = -1.0; }), {"/thresholds/relu/relu_b"});
  expect_error(with([](json& j) { j.erase("layers"); }), {"/layers", "missing"});
  expect_error(json::array(), {"bad.json"});
}

TEST_CASE("read_stats names the file on syntax errors and missing files", "[sparsity][stats]") {
  auto dir = temp_dir();
  {
    std::ofstream(dir / "broken.json") << "{\"layers\": {";
  }
  CHECK_THROWS_AS(sparsity::read_stats(dir / "broken.json"), InputError);
  CHECK_THROWS_WITH(sparsity::read_stats(dir / "missing.json"), Catch::Contains("missing.json"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("attach sets the IR's sparsity slot and validates layer names", "[sparsity][stats]") {
  ir::Graph g = test::small_resnet(1, false);
  auto s = sample();
  s.source = "stats.json";
  sparsity::attach(g, s);
  CHECK(g.layer("conv_a").sparsity == s.result.layers.at("conv_a"));
  CHECK(g.layer("conv_b").sparsity->kernel_rows == 3);
  CHECK_FALSE(g.layer("conv_g").sparsity.has_value());

  auto unknown = s;
  unknown.result.layers["conv_zz"] = e4_stats();
  ir::Graph g2 = test::small_resnet(1, false);
  CHECK_THROWS_WITH(sparsity::attach(g2, unknown),
                    Catch::Contains("stats.json") && Catch::Contains("/layers/conv_zz") && Catch::Contains("unknown"));
  CHECK_FALSE(g2.layer("conv_a").sparsity.has_value());  // nothing attached on error

  auto not_conv = s;
  not_conv.result.layers["relu_a"] = e4_stats();
  CHECK_THROWS_WITH(sparsity::attach(g2, not_conv), Catch::Contains("/layers/relu_a"));

  auto wrong_kernel = s;
  wrong_kernel.result.layers["conv_skip"] = e4_stats();  // 1x1 layer
  CHECK_THROWS_WITH(sparsity::attach(g2, wrong_kernel), Catch::Contains("/layers/conv_skip/kernel"));

  auto wrong_channels = s;
  wrong_channels.result.layers["conv_b"] = wrong_channels.result.layers["conv_a"];  // 2 rows, layer has 4
  CHECK_THROWS_WITH(sparsity::attach(g2, wrong_channels), Catch::Contains("/layers/conv_b/channels"));

  // The inner product's statistics have one 2-bin row per input element.
  auto ip = s;
  sparsity::WindowZeroHistogram fc(6, 1, 1);
  for (int c = 0; c < 6; ++c) fc.row(c)[c % 2] = 3;
  ip.result.layers["fc"] = fc.stats();
  sparsity::attach(g2, ip);
  CHECK(g2.layer("fc").sparsity->histogram.size() == 6);
}
