// `sparsedse eval` end to end: a zoo model on a small raw-f32 dataset written by the test.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "sparsedse/frontend/zoo.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = std::string(SPARSEDSE_CLI_PATH) + " " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("sparsedse_eval_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write_raw(const fs::path& p, const std::vector<float>& v) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
}

}  // namespace

TEST_CASE("cli: sparsedse eval prints top-1, top-5 and ReLU sparsity", "[engine][cli]") {
  if (!fs::exists(SPARSEDSE_CLI_PATH)) {
    WARN("skipped: the sparsedse binary is not built (" << SPARSEDSE_CLI_PATH << ")");
    return;
  }
  TempDir dir;
  sparsedse::frontend::ZooOptions zoo;
  zoo.in_channels = 1;
  const fs::path model = dir.path / "r20.onnx";
  sparsedse::frontend::write_zoo_model("resnet20-cifar", zoo, model);
  std::vector<float> images(6 * 32 * 32);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  for (auto& x : images) x = nd(rng);
  write_raw(dir.path / "im.f32", images);
  const unsigned char labels[6] = {0, 1, 2, 3, 4, 5};
  std::ofstream(dir.path / "lb.u8", std::ios::binary).write(reinterpret_cast<const char*>(labels), 6);
  std::ofstream(dir.path / "d.json") << R"({"format": "raw-f32", "images": "im.f32", "labels": "lb.u8", "shape": [1, 32, 32]})";
  std::ofstream(dir.path / "bad.json") << R"({"format": "raw-f32", "images": "im.f32", "labels": "lb.u8", "shape": [1, 32, 32], "pad": 1})";
  std::ofstream(dir.path / "t.json") << R"({"default": 0.1, "relu": {"stem.relu": 100}})";
  const std::string base = "eval " + model.string() + " --dataset " + (dir.path / "d.json").string();

  Run j = run(base + " --numerics float --offset 1 --limit 4 --json");
  INFO(j.out);
  REQUIRE(j.code == 0);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc.at("images") == 4);
  CHECK(doc.at("top1").get<double>() >= 0.0);
  CHECK(doc.at("top5").get<double>() >= doc.at("top1").get<double>());
  CHECK(doc.at("relu_sparsity").size() == 19);  // resnet20: stem + 9 blocks × 2
  for (const auto& [name, f] : doc.at("relu_sparsity").items()) CHECK((f >= 0.0 && f <= 1.0));

  // A threshold above every activation zeroes the stem ReLU entirely.
  Run t = run(base + " --thresholds " + (dir.path / "t.json").string() + " --json");
  REQUIRE(t.code == 0);
  CHECK(nlohmann::json::parse(t.out).at("relu_sparsity").at("stem.relu") == 1.0);

  Run text = run(base + " --numerics fixed:16.8");
  REQUIRE(text.code == 0);
  CHECK_THAT(text.out, Catch::Matchers::Contains("top-1") && Catch::Matchers::Contains("stem.relu"));

  Run shape = run("eval " + model.string() + " --dataset " + (dir.path / "bad.json").string());
  CHECK(shape.code == 2);
  CHECK_THAT(shape.out, Catch::Matchers::Contains("1x34x34") && Catch::Matchers::Contains("1x32x32"));
  CHECK(run(base + " --threshold 0.1 --thresholds " + (dir.path / "t.json").string()).code == 2);
  CHECK(run(base + " --numerics fixed:40.8").code == 2);
}
