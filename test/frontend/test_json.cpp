// JSON IR: round trips, the weights sidecar and its checksum, field errors, and a golden file.
#include <fstream>
#include <functional>
#include <regex>

#include "fixtures.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/ir/compare.hpp"

using namespace fixtures;
using namespace sparsedse;
namespace fs = std::filesystem;

namespace {

const fs::path kGolden = "test/data/frontend";

ir::SparsityStats stats(int channels, int kernel, std::int64_t windows_per_channel) {
  ir::SparsityStats s;
  s.kernel_rows = s.kernel_cols = kernel;
  const int bins = kernel * kernel + 1;
  s.windows = windows_per_channel;
  for (int c = 0; c < channels; ++c) {
    std::vector<std::int64_t> counts(std::size_t(bins), 0);
    for (std::int64_t w = 0; w < windows_per_channel; ++w) ++counts[std::size_t((w * (c + 1)) % bins)];
    std::vector<double> h;
    for (auto n : counts) h.push_back(double(n) / double(windows_per_channel));
    s.counts.push_back(counts);
    s.histogram.push_back(h);
  }
  s.mean_sparsity = 0.1 + 1.0 / 3.0;  // any double: must survive the round trip exactly
  return s;
}

// input [1, 3, 3] → conv 1→2 (2×2, iota weights 0.5..4, bias [−1, 1]) → thresholded relu (0.5) →
// avgpool 2×2 pads [0, 0, 1, 1] count_include_pad → gap → flatten → fc 2→2 (no bias).
ir::Graph tiny() {
  OnnxBuilder b("tiny", 13);
  b.input("x", {-1, 1, 3, 3});
  b.initializer("w", {2, 1, 2, 2}, iota_values(8, 0.5f, 0.5f));
  b.initializer("b", {2}, {-1.0f, 1.0f});
  set_attribute(b.node("Conv", "conv", {"x", "w", "b"}, {"conv"}), "kernel_shape", Ints{2, 2});
  set_attribute(b.node("ThresholdedRelu", "relu", {"conv"}, {"relu"}), "alpha", 0.5f);
  auto& ap = b.node("AveragePool", "pool", {"relu"}, {"pool"});
  set_attribute(ap, "kernel_shape", Ints{2, 2});
  set_attribute(ap, "pads", Ints{0, 0, 1, 1});
  set_attribute(ap, "count_include_pad", std::int64_t(1));
  b.node("GlobalAveragePool", "gap", {"pool"}, {"gap"});
  b.node("Flatten", "flatten", {"gap"}, {"flatten"});
  b.initializer("fc.w", {2, 2}, {1.0f, -1.0f, 0.25f, 2.0f});
  set_attribute(b.node("Gemm", "fc", {"flatten", "fc.w"}, {"logits"}), "transB", std::int64_t(1));
  b.output("logits", {-1, 2});
  ir::Graph g = import_model(b.model()).graph;
  ir::SparsityStats s;
  s.kernel_rows = s.kernel_cols = 2;
  s.windows = 4;
  s.histogram = {{0.25, 0.25, 0.5, 0.0, 0.0}};
  s.counts = {{1, 1, 2, 0, 0}};
  s.mean_sparsity = 0.3125;  // (0.25·1 + 0.5·2) / 4
  g.layer("conv").sparsity = s;
  return g;
}

void corrupt(const fs::path& path, std::size_t at) {
  std::string bytes = read_file(path);
  bytes[at] = char(bytes[at] ^ 0x40);
  write_file_atomic(path, bytes);
}

std::string load_error(const fs::path& path) {
  try {
    frontend::load_model(path);
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL("load_model did not throw");
  return "";
}

// Edit the JSON document of `path` in place.
void edit_json(const fs::path& path, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc = read_json(path);
  edit(doc);
  write_json_atomic(path, doc);
}

}  // namespace

TEST_CASE("JSON IR round trip gives an identical graph", "[frontend][json]") {
  TempDir dir("json-roundtrip");
  SECTION("every layer kind, with thresholds and full sparsity statistics") {
    ir::Graph g = import_model(all_kinds_model()).graph;
    g.layer("r1").threshold = 0.0625f;
    g.layer("c2").sparsity = stats(4, 3, 37);
    g.layer("fc").sparsity = stats(8, 1, 5);
    frontend::save_json_model(g, dir / "model.json");
    CHECK(fs::exists(dir / "model.weights.bin"));
    CHECK(fs::file_size(dir / "model.weights.bin") == std::uintmax_t(4 * g.total_params()));
    ir::Graph back = frontend::load_model(dir / "model.json");
    CHECK(ir::first_difference(g, back) == "");
    // A second save of the loaded graph writes the same bytes.
    frontend::save_json_model(back, dir / "again.json");
    CHECK(read_file(dir / "again.weights.bin") == read_file(dir / "model.weights.bin"));
    std::string first = read_file(dir / "model.json"), second = read_file(dir / "again.json");
    CHECK(second == std::regex_replace(first, std::regex("model\\.weights\\.bin"), "again.weights.bin"));
  }
  SECTION("a zoo network") {
    ir::Graph g = frontend::zoo_model("resnet20-cifar", {1, 10, 7, 32});
    frontend::save_model(g, dir / "r20.json");
    ir::Graph back = frontend::load_model(dir / "r20.json");
    CHECK(ir::identical(g, back));
    CHECK(back.total_macs() == g.total_macs());
  }
  SECTION("the comparison itself notices a changed weight, threshold or edge") {
    ir::Graph g = import_model(all_kinds_model()).graph;
    ir::Graph h = import_model(all_kinds_model()).graph;
    REQUIRE(ir::identical(g, h));
    h.layer("c1").weights[3] += 1e-6f;
    CHECK_THAT(ir::first_difference(g, h), Catch::Contains("'c1'") && Catch::Contains("weights"));
    h = g;
    h.layer("tr").threshold = 0.25f;
    CHECK_THAT(ir::first_difference(g, h), Catch::Contains("threshold"));
  }
}

TEST_CASE("JSON IR: a sidecar that does not match, or bad fields, are InputErrors", "[frontend][json]") {
  TempDir dir("json-errors");
  const fs::path model = dir / "m.json", bin = dir / "m.weights.bin";
  frontend::save_json_model(import_model(all_kinds_model()).graph, model);
  const std::string good_json = read_file(model), good_bin = read_file(bin);
  auto restore = [&] {
    write_file_atomic(model, good_json);
    write_file_atomic(bin, good_bin);
  };
  SECTION("a flipped byte fails the CRC-32") {
    corrupt(bin, 100);
    CHECK_THAT(load_error(model), Catch::Contains("m.weights.bin") && Catch::Contains("CRC-32"));
  }
  SECTION("a truncated or missing sidecar") {
    write_file_atomic(bin, good_bin.substr(0, good_bin.size() - 4));
    CHECK_THAT(load_error(model), Catch::Contains("truncated"));
    fs::remove(bin);
    CHECK_THAT(load_error(model), Catch::Contains("m.weights.bin") && Catch::Contains("not found"));
  }
  SECTION("missing and mistyped fields name their JSON path") {
    restore();
    edit_json(model, [](auto& d) { d["layers"][1].erase("filters"); });
    CHECK_THAT(load_error(model), Catch::Contains("/layers/1/filters") && Catch::Contains("missing field"));
    restore();
    edit_json(model, [](auto& d) { d["layers"][2]["kind"] = "Deconvolution"; });
    CHECK_THAT(load_error(model), Catch::Contains("/layers/2/kind") && Catch::Contains("Deconvolution"));
    restore();
    edit_json(model, [](auto& d) { d["layers"][2]["inputs"][0] = "nobody"; });
    CHECK_THAT(load_error(model), Catch::Contains("/layers/2/inputs/0") && Catch::Contains("'nobody'"));
    restore();
    edit_json(model, [](auto& d) { d["layers"][1]["weights"]["offset"] = 1 << 20; });
    CHECK_THAT(load_error(model), Catch::Contains("/layers/1/weights") && Catch::Contains("not inside"));
    restore();
    edit_json(model, [](auto& d) { d["format"] = "onnx"; });
    CHECK_THAT(load_error(model), Catch::Contains("/format"));
  }
  SECTION("stored shapes that disagree with the graph") {
    edit_json(model, [](auto& d) { d["layers"][1]["output_shape"] = {4, 9, 9}; });
    CHECK_THAT(load_error(model), Catch::Contains("'c1'") && Catch::Contains("4x9x9"));
  }
  SECTION("broken JSON names line and column; unknown extensions are rejected") {
    write_file_atomic(model, "{\n  \"format\": \n}");
    CHECK_THAT(load_error(model), Catch::Contains("m.json:3:"));
    CHECK_THAT(load_error(dir / "m.pb"), Catch::Contains("expected a .onnx or .json"));
  }
}

TEST_CASE("JSON IR golden file: format and values are stable", "[frontend][json]") {
  ir::Graph g = frontend::load_model(kGolden / "tiny.json");
  // Hand-checked content of the golden file.
  CHECK(g.name == "tiny");
  const ir::Layer& conv = g.layer("conv");
  CHECK(conv.output_shape == ir::Shape{2, 2, 2});
  CHECK(std::vector<float>(conv.weights.data(), conv.weights.data() + 8) ==
        std::vector<float>{0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f, 4.0f});
  CHECK(conv.bias[0] == -1.0f);
  REQUIRE(conv.sparsity.has_value());
  CHECK(conv.sparsity->counts == std::vector<std::vector<std::int64_t>>{{1, 1, 2, 0, 0}});
  CHECK(g.layer("relu").threshold == 0.5f);
  CHECK(g.layer("pool").count_include_pad);
  CHECK(g.layer("pool").window == ir::Window{2, 2, 1, 1, 0, 0, 1, 1});
  CHECK(g.layer("fc").weights[2] == 0.25f);
  CHECK(ir::identical(g, tiny()));
  // Saving the same graph reproduces the golden bytes.
  TempDir dir("json-golden");
  frontend::save_json_model(tiny(), dir / "tiny.json");
  CHECK(read_file(dir / "tiny.json") == read_file(kGolden / "tiny.json"));
  CHECK(read_file(dir / "tiny.weights.bin") == read_file(kGolden / "tiny.weights.bin"));
}

// Regenerates the golden files after an intended format change: test_frontend "[.golden-update]"
TEST_CASE("update the JSON IR golden file", "[.golden-update]") {
  frontend::save_json_model(tiny(), kGolden / "tiny.json");
}
