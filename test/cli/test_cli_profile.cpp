// End to end: `sparsedse profile` on a small JSON-IR model and a raw-f32 dataset.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "../sparsity/networks.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/sparsity/profiler.hpp"
#include "sparsedse/sparsity/stats.hpp"

using namespace sparsedse;
namespace fs = std::filesystem;

namespace {

struct Workspace {
  fs::path dir;
  Workspace() {
    dir = fs::temp_directory_path() / ("sparsedse_cli_profile_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::mt19937 rng(17);
    std::normal_distribution<float> pixel(0.0f, 1.0f);
    std::vector<float> px(30 * 2 * 12 * 12);
    for (float& v : px) v = pixel(rng);
    std::vector<std::uint8_t> labels(30);
    for (auto& l : labels) l = std::uint8_t(rng() % 10);
    std::ofstream(dir / "images.f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(px.data()), std::streamsize(px.size() * 4));
    std::ofstream(dir / "labels.u8", std::ios::binary)
        .write(reinterpret_cast<const char*>(labels.data()), std::streamsize(labels.size()));
    std::ofstream(dir / "set.json")
        << R"({"format": "raw-f32", "images": "images.f32", "labels": "labels.u8", "shape": [2, 12, 12]})";
    frontend::save_json_model(test::small_resnet(21, false), dir / "net.json");
  }
  ~Workspace() { fs::remove_all(dir); }

  // Runs the CLI; returns its exit code, stdout in `out`.
  int run(const std::string& args, std::string* out = nullptr) const {
    const fs::path log = dir / "stdout.txt";
    const std::string cmd = std::string(SPARSEDSE_CLI_PATH) + " " + args + " > " + log.string() + " 2> " +
                            (dir / "stderr.txt").string();
    const int status = std::system(cmd.c_str());
    if (out) *out = read_file(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string p(const char* name) const { return (dir / name).string(); }
};

}  // namespace

TEST_CASE("sparsedse profile writes a statistics file matching the profiler", "[cli][profile]") {
  Workspace w;
  std::string out;
  REQUIRE(w.run("profile " + w.p("net.json") + " --dataset " + w.p("set.json") +
                    " --limit 20 --offset 5 --threshold 0.05 --threads 2 -o " + w.p("stats.json") + " --json",
                &out) == 0);
  const auto summary = nlohmann::json::parse(out);
  CHECK(summary["images"] == 20);
  CHECK(summary["numerics"] == "fixed:16.8");

  const sparsity::Stats stats = sparsity::read_stats(w.p("stats.json"));
  CHECK(stats.model == "net.json");
  CHECK(stats.numerics == "fixed:16.8");
  CHECK(stats.thresholds.default_threshold == 0.05f);
  CHECK(stats.result.images == 20);
  CHECK(stats.result.layers.size() == 5);

  // The same images through the library give the same statistics; they attach to the model.
  ir::Graph g = frontend::load_model(w.p("net.json"));
  const data::Dataset d = data::Dataset::load(w.p("set.json"), {5, 20});
  sparsity::Profiler profiler(g, engine::Numerics{}, d, {});
  const sparsity::ProfileResult direct = profiler.profile(engine::Thresholds::uniform(0.05f));
  CHECK(stats.result.top1 == direct.top1);
  CHECK(stats.result.layers == direct.layers);  // counts exact; probabilities round-trip through JSON
  CHECK(summary["top1"] == direct.top1);
  sparsity::attach(g, stats);
  CHECK(g.layer("conv_b").sparsity == direct.layers.at("conv_b"));

  // A thresholds file and the human-readable table.
  std::ofstream(w.dir / "t.json") << R"({"default": 0.0, "relu": {"relu_b": 0.5}})";
  REQUIRE(w.run("profile " + w.p("net.json") + " --dataset " + w.p("set.json") + " --thresholds " + w.p("t.json") +
                    " --numerics float -o " + w.p("stats2.json"),
                &out) == 0);
  CHECK_THAT(out, Catch::Contains("conv_skip") && Catch::Contains("top-1") && Catch::Contains("30 images"));
  const sparsity::Stats s2 = sparsity::read_stats(w.p("stats2.json"));
  CHECK(s2.numerics == "float");
  CHECK(s2.thresholds.per_relu.at("relu_b") == 0.5f);
  CHECK(s2.result.images == 30);  // the whole set: smaller than the default 1000
}

TEST_CASE("sparsedse profile rejects bad input with exit code 2", "[cli][profile]") {
  Workspace w;
  const std::string base = "profile " + w.p("net.json") + " --dataset " + w.p("set.json") + " -o " + w.p("s.json");
  std::ofstream(w.dir / "bad.json") << R"({"relu": {"no_such_relu": 0.1}})";
  CHECK(w.run(base + " --thresholds " + w.p("bad.json")) == 2);
  CHECK_THAT(read_file(w.dir / "stderr.txt"), Catch::Contains("no_such_relu"));
  CHECK(w.run(base + " --threshold 0.1 --thresholds " + w.p("bad.json")) == 2);
  CHECK(w.run(base + " --threshold -1") == 2);
  CHECK(w.run(base + " --limit 0") == 2);
  CHECK(w.run(base + " --offset 30") == 2);
  CHECK(w.run(base + " --numerics fixed:banana") == 2);
  CHECK(w.run("profile " + w.p("missing.json") + " --dataset " + w.p("set.json") + " -o " + w.p("s.json")) == 2);
  CHECK(w.run("profile " + w.p("net.json") + " -o " + w.p("s.json")) == 2);  // --dataset required
  CHECK_FALSE(fs::exists(w.dir / "s.json"));
}
