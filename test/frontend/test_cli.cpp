// End-to-end: the `sparsedse` binary's inspect, zoo and convert commands (exit codes 0/2, JSON output).
// The binary is built by the default target (`ninja`, or `ninja sparsedse_exe`).
#include <cstdio>
#include <fstream>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "fixtures.hpp"
#include "sparsedse/common/io.hpp"

using namespace fixtures;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run run(const TempDir& dir, const std::string& args) {
  REQUIRE(fs::exists(SPARSEDSE_CLI_PATH));  // build the `sparsedse_exe` target first
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = std::string("'") + SPARSEDSE_CLI_PATH + "' " + args + " 2>'" + err.string() + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe);
  Run r{0, "", ""};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = sparsedse::read_file(err);
  return r;
}

// Single-quoted for the shell (appended piecewise: GCC 12 warns falsely on "'" + std::string&&).
std::string q(const fs::path& p) {
  std::string s(1, '\'');
  s += p.string();
  s += '\'';
  return s;
}

}  // namespace

TEST_CASE("cli: zoo, inspect --json and convert agree across model forms", "[frontend][cli]") {
  TempDir dir("cli");
  const fs::path onnx = dir / "r20.onnx", json = dir / "r20.json", back = dir / "back.onnx";
  Run zoo = run(dir, "zoo resnet20-cifar -o " + q(onnx) + " --in-channels 1 --seed 5");
  INFO(zoo.err);
  REQUIRE(zoo.code == 0);
  REQUIRE(fs::exists(onnx));

  Run inspect = run(dir, "inspect " + q(onnx) + " --json");
  REQUIRE(inspect.code == 0);
  nlohmann::json doc = nlohmann::json::parse(inspect.out);
  // ResNet-20 with one input channel: the stem is 32²·16·9 MACs, 16·9 + 16 params.
  CHECK(doc["total_macs"] == 442368 / 3 + 40813184 - 442368);
  const auto& layers = doc["layers"];
  CHECK(layers[0]["name"] == "input");
  CHECK(layers[0]["kind"] == "Input");
  CHECK(layers[0]["output_shape"] == nlohmann::json::array({1, 32, 32}));
  CHECK(layers[1]["name"] == "stem.conv");
  CHECK(layers[1]["input_shape"] == nlohmann::json::array({1, 32, 32}));
  CHECK(layers[1]["output_shape"] == nlohmann::json::array({16, 32, 32}));
  CHECK(layers[1]["macs"] == 147456);
  CHECK(layers[1]["params"] == 160);
  CHECK(layers.back()["name"] == "fc");
  std::int64_t params = 0;
  for (const auto& l : layers) params += l["params"].get<std::int64_t>();
  CHECK(doc["total_params"] == params);
  for (const auto& l : layers)
    for (const char* key : {"name", "kind", "input_shape", "output_shape", "macs", "params"}) CHECK(l.contains(key));

  REQUIRE(run(dir, "convert " + q(onnx) + " -o " + q(json)).code == 0);
  CHECK(fs::exists(dir / "r20.weights.bin"));
  CHECK(run(dir, "inspect " + q(json) + " --json").out == inspect.out);
  REQUIRE(run(dir, "convert " + q(json) + " -o " + q(back)).code == 0);
  CHECK(run(dir, "inspect " + q(back) + " --json").out == inspect.out);

  Run table = run(dir, "inspect " + q(onnx));
  CHECK(table.code == 0);
  CHECK_THAT(table.out, Catch::Contains("layer1.0.conv1") && Catch::Contains("Convolution") &&
                            Catch::Contains("16x32x32") && Catch::Contains("total"));
}

TEST_CASE("cli: bad input exits with code 2 and a message on stderr", "[frontend][cli]") {
  TempDir dir("cli-errors");
  Run missing = run(dir, "inspect " + q(dir / "nope.onnx"));
  CHECK(missing.code == 2);
  CHECK_THAT(missing.err, Catch::Contains("error:") && Catch::Contains("nope.onnx") && Catch::Contains("not found"));

  sparsedse::write_file_atomic(dir / "junk.onnx", "\x08\x07\x12\x05truncated");
  Run junk = run(dir, "inspect " + q(dir / "junk.onnx") + " --json");
  CHECK(junk.code == 2);
  CHECK(junk.out.empty());
  CHECK_THAT(junk.err, Catch::Contains("junk.onnx"));

  Run unknown = run(dir, "zoo resnet34-cifar -o " + q(dir / "x.onnx"));
  CHECK(unknown.code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("resnet34-cifar") && Catch::Contains("resnet18-cifar"));
  CHECK_FALSE(fs::exists(dir / "x.onnx"));
  CHECK(run(dir, "zoo resnet20-cifar").code == 2);  // -o is required
  CHECK(run(dir, "zoo resnet20-cifar -o " + q(dir / "x.onnx") + " --in-channels 2").code == 2);
  CHECK(run(dir, "convert " + q(dir / "junk.onnx") + " -o " + q(dir / "out.txt")).code == 2);
  CHECK(run(dir, "inspect").code == 2);
}

TEST_CASE("cli: --help on every command, and --version", "[frontend][cli]") {
  TempDir dir("cli-help");
  for (const char* cmd : {"inspect", "zoo", "convert"}) {
    Run help = run(dir, std::string(cmd) + " --help");
    INFO(cmd);
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("Usage") && Catch::Contains("--help"));
  }
  CHECK_THAT(run(dir, "zoo --help").out, Catch::Contains("--in-channels") && Catch::Contains("vgg11-cifar"));
  Run version = run(dir, "--version");
  CHECK(version.code == 0);
  CHECK_THAT(version.out, Catch::Contains("sparsedse"));
}

TEST_CASE("cli: the shipped trained models have the zoo's layer structure", "[frontend][cli]") {
  // models/README.md: the training script and the C++ zoo follow one naming contract; `inspect --json`
  // of a trained model and of its zoo twin (1 input channel, 10 classes) list the same layers with the
  // same kinds, shapes, MACs and parameter counts (weights aside).
  TempDir dir("cli-shipped");
  for (const char* name : {"resnet20", "resnet18", "resnet50"}) {
    CAPTURE(name);
    const fs::path trained = fs::path("models") / (std::string(name) + "-fmnist.onnx");
    REQUIRE(fs::exists(trained));
    const fs::path twin = dir / (std::string(name) + ".onnx");
    REQUIRE(run(dir, "zoo " + std::string(name) + "-cifar -o " + q(twin) + " --in-channels 1").code == 0);
    const Run a = run(dir, "inspect " + q(trained) + " --json"), b = run(dir, "inspect " + q(twin) + " --json");
    REQUIRE(a.code == 0);
    REQUIRE(b.code == 0);
    const nlohmann::json la = nlohmann::json::parse(a.out)["layers"], lb = nlohmann::json::parse(b.out)["layers"];
    REQUIRE(la.size() == lb.size());
    for (std::size_t i = 0; i < la.size(); ++i) {
      CAPTURE(i, la[i].dump(), lb[i].dump());
      CHECK(la[i] == lb[i]);
    }
  }
}
