// Job files: the schema (docs/schemas.md "Job"), errors that name the file, the JSON path, the
// expectation and a suggestion, model references and the expansion of sweeps.
#include <catch2/catch.hpp>

#include <filesystem>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/job/job.hpp"

using namespace sparsedse;
using namespace sparsedse::job;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Job files are parsed relative to their own directory: put them next to the shipped configs.
const fs::path kJob = fs::path("configs") / "jobs" / "test-spec.json";

json minimal() {
  return json::parse(R"({
    "model": "zoo:resnet20-cifar?in_channels=1",
    "dataset": {"calibration": {"dataset": "../datasets/fashion-mnist-test.json", "images": 64}}
  })");
}

std::string error_of(const json& doc) {
  try {
    job_from_json(doc, kJob);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a minimal job takes the documented defaults", "[job]") {
  const JobSpec job = job_from_json(minimal(), kJob);
  CHECK(job.name == "test-spec");  // the file stem
  REQUIRE(job.models.size() == 1);
  CHECK(job.models[0].is_zoo());
  CHECK(job.models[0].zoo == "resnet20-cifar");
  CHECK(job.models[0].zoo_options.in_channels == 1);
  CHECK(job.models[0].zoo_options.classes == 10);
  REQUIRE(job.platforms.size() == 1);
  CHECK(job.platforms[0].name == "u250");
  CHECK(job.platforms[0].device.dsp == 12288);
  CHECK(job.calibration.file == fs::path("configs/datasets/fashion-mnist-test.json"));
  CHECK(job.calibration.images == 64);
  CHECK(job.thresholds.calibration == 64);
  CHECK_FALSE(job.test.has_value());
  CHECK(job.emit.html);
  CHECK(job.emit.hls == HlsEmit::final);
  // The default optimiser config is the shipped configs/optimisers/default.json.
  CHECK(dse::to_json(job.optimiser) == dse::to_json(dse::find_optimiser_config("default")));
  const auto entries = job.entries();
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].id == "resnet20-cifar_u250");
  CHECK(entries[0].thresholds.policies.size() == 2);
}

TEST_CASE("the shipped jobs parse", "[job]") {
  for (const char* name : {"smoke", "default"}) {
    CAPTURE(name);
    const JobSpec job = read_job(fs::path("configs/jobs") / (std::string(name) + ".json"));
    CHECK(job.name == name);
    CHECK(job.platforms.at(0).name == "u250");
    CHECK(job.thresholds.policies.size() == 2);
    CHECK(job.thresholds.hardware == threshold::HardwareMode::both);
    CHECK(job.emit.hls == HlsEmit::final);
    REQUIRE(job.test.has_value());
  }
  CHECK(read_job("configs/jobs/default.json").models.at(0).file ==
        fs::path("configs/jobs/../../models/resnet18-fmnist.onnx").lexically_normal());
  // Every shipped job (the results jobs of docs/results.md too) reads, names itself after its file and
  // points at a model that exists.
  int jobs = 0;
  for (const auto& entry : fs::directory_iterator("configs/jobs")) {
    if (entry.path().extension() != ".json") continue;
    CAPTURE(entry.path());
    const JobSpec job = read_job(entry.path());
    CHECK(job.name == entry.path().stem().string());
    for (const auto& model : job.models)
      if (!model.is_zoo()) CHECK(fs::exists(model.file));
    ++jobs;
  }
  CHECK(jobs >= 4);
}

TEST_CASE("errors name the file, the JSON path and what was expected, with a suggestion", "[job]") {
  json doc = minimal();
  doc["plattform"] = "u250";
  std::string e = error_of(doc);
  CHECK_THAT(e, Catch::Contains("configs/jobs/test-spec.json") && Catch::Contains("/plattform") &&
                    Catch::Contains("did you mean 'platform'"));

  doc = minimal();
  doc["dataset"]["calibration"]["image"] = 10;
  e = error_of(doc);
  CHECK_THAT(e, Catch::Contains("/dataset/calibration/image") && Catch::Contains("did you mean 'images'"));

  doc = minimal();
  doc["dataset"]["calibration"]["images"] = "many";
  CHECK_THAT(error_of(doc), Catch::Contains("/dataset/calibration/images") && Catch::Contains("expected"));

  doc = minimal();
  doc["thresholds"] = {{"stepp", 0.1}};
  CHECK_THAT(error_of(doc), Catch::Contains("/thresholds") && Catch::Contains("stepp") && Catch::Contains("'step'"));

  doc = minimal();
  doc["emit"] = {{"hls", "some"}};
  CHECK_THAT(error_of(doc), Catch::Contains("/emit/hls") && Catch::Contains("final"));

  doc = minimal();
  doc["platform"] = "u251";
  CHECK_THAT(error_of(doc), Catch::Contains("/platform") && Catch::Contains("u251"));

  doc = minimal();
  doc.erase("model");
  CHECK_THAT(error_of(doc), Catch::Contains("/model") && Catch::Contains("missing"));

  doc = minimal();
  doc["models"] = json::array({"zoo:vgg11-cifar"});
  CHECK_THAT(error_of(doc), Catch::Contains("either 'model' or 'models'"));

  doc = minimal();
  doc["dataset"]["calibration"]["dataset"] = "../datasets/nope.json";
  CHECK_THAT(error_of(doc), Catch::Contains("/dataset/calibration/dataset") && Catch::Contains("nope.json"));

  doc = minimal();
  doc["policies"] = json::array({"uniform"});
  doc["thresholds"] = {{"policy", "both"}};
  CHECK_THAT(error_of(doc), Catch::Contains("/policies"));

  doc = minimal();
  doc["thresholds"] = {{"calibration", 100}};
  CHECK_THAT(error_of(doc), Catch::Contains("/dataset/calibration/images") && Catch::Contains("disagrees"));

  doc = minimal();
  doc["seeds"] = json::array({0, -1});
  CHECK_THAT(error_of(doc), Catch::Contains("/seeds/1") && Catch::Contains("non-negative integer"));
  doc["seeds"] = json::array({2, 2});
  CHECK_THAT(error_of(doc), Catch::Contains("/seeds/1") && Catch::Contains("listed twice"));
  doc["seeds"] = json::array();
  CHECK_THAT(error_of(doc), Catch::Contains("/seeds") && Catch::Contains("non-empty list"));
  doc["seeds"] = json::array({1});
  doc["thresholds"] = {{"seed", 1}};
  CHECK_THAT(error_of(doc), Catch::Contains("/seeds") && Catch::Contains("not both"));
}

TEST_CASE("model references: files resolve against the job file, zoo references take options", "[job]") {
  const std::string where = "job.json: /model";
  ModelRef f = parse_model_ref("../../models/resnet20-fmnist.onnx", "configs/jobs", where);
  CHECK_FALSE(f.is_zoo());
  CHECK(f.file == fs::path("models/resnet20-fmnist.onnx"));
  CHECK(f.label() == "resnet20-fmnist");
  CHECK(parse_model_ref("/abs/m.json", "configs/jobs", where).file == fs::path("/abs/m.json"));

  ModelRef z = parse_model_ref("zoo:vgg11-cifar?in_channels=1&classes=7&seed=3&image_size=28", "", where);
  CHECK(z.zoo == "vgg11-cifar");
  CHECK(z.zoo_options.in_channels == 1);
  CHECK(z.zoo_options.classes == 7);
  CHECK(z.zoo_options.seed == 3);
  CHECK(z.zoo_options.image_size == 28);
  CHECK(z.label() == "vgg11-cifar");

  CHECK_THROWS_WITH(parse_model_ref("zoo:resnet21-cifar", "", where),
                    Catch::Contains(where) && Catch::Contains("did you mean 'resnet20-cifar'"));
  CHECK_THROWS_WITH(parse_model_ref("zoo:resnet20-cifar?in_chanels=1", "", where),
                    Catch::Contains("in_chanels") && Catch::Contains("did you mean 'in_channels'"));
  CHECK_THROWS_WITH(parse_model_ref("zoo:resnet20-cifar?in_channels=0", "", where), Catch::Contains(">= 1"));
  CHECK_THROWS_WITH(parse_model_ref("zoo:resnet20-cifar?seed", "", where), Catch::Contains("key=value"));
  CHECK_THROWS_WITH(parse_model_ref("model.pt", "", where), Catch::Contains(".onnx"));

  // A missing file is reported when loaded, naming the file.
  ModelRef missing = parse_model_ref("../../models/resnet18-fmnist-missing.onnx", "configs/jobs", where);
  CHECK_THROWS_WITH(load_model(missing, where), Catch::Contains("model file not found") &&
                                                    Catch::Contains("models/resnet18-fmnist-missing.onnx"));
  // A zoo reference loads the zoo network with its options.
  const ir::Graph g = load_model(parse_model_ref("zoo:resnet20-cifar?in_channels=1", "", where));
  CHECK(g.layer(g.inputs().at(0)).output_shape.channels == 1);
}

TEST_CASE("a sweep expands models x platforms x policies in order, with unique ids", "[job]") {
  json doc = minimal();
  doc.erase("model");
  doc["models"] = json::array({"zoo:resnet20-cifar?in_channels=1", "zoo:resnet20-cifar?in_channels=1&seed=1"});
  doc["platforms"] = json::array({"u250", "../platforms/u280.json"});
  doc["policies"] = json::array({"uniform", "latency-aware"});
  const JobSpec job = job_from_json(doc, kJob);
  const auto entries = job.entries();
  REQUIRE(entries.size() == 8);
  CHECK(entries[0].id == "resnet20-cifar_u250_uniform");
  CHECK(entries[1].id == "resnet20-cifar_u250_latency-aware");
  CHECK(entries[2].id == "resnet20-cifar_u280_uniform");
  CHECK(entries[2].platform.name == "u280");
  CHECK(entries[4].id == "resnet20-cifar_u250_uniform-2");  // the second model has the same label
  CHECK(entries[4].model.zoo_options.seed == 1);
  CHECK(entries[1].thresholds.policies == std::vector<threshold::Policy>{threshold::Policy::latency_aware});
  CHECK(entries[0].thresholds.policies == std::vector<threshold::Policy>{threshold::Policy::uniform});

  // The fingerprint changes with anything that changes results, and only then.
  json other = doc;
  other["thresholds"] = {{"budget", 2.0}};
  CHECK(job_from_json(other, kJob).fingerprint() != job.fingerprint());
  other = doc;
  other["threads"] = 1;
  CHECK(job_from_json(other, kJob).fingerprint() == job.fingerprint());
}

TEST_CASE("a seed axis repeats every entry once per seed, innermost", "[job]") {
  json doc = minimal();
  doc["policies"] = json::array({"uniform", "latency-aware"});
  doc["seeds"] = json::array({3, 0});
  const JobSpec job = job_from_json(doc, kJob);
  const auto entries = job.entries();
  REQUIRE(entries.size() == 4);
  const std::vector<std::string> ids = {"resnet20-cifar_u250_uniform_seed3", "resnet20-cifar_u250_uniform_seed0",
                                        "resnet20-cifar_u250_latency-aware_seed3", "resnet20-cifar_u250_latency-aware_seed0"};
  const std::vector<std::uint64_t> seeds = {3, 0, 3, 0};
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CAPTURE(i);
    CHECK(entries[i].id == ids[i]);
    CHECK(entries[i].thresholds.seed == seeds[i]);
  }
  CHECK(entries[3].thresholds.policies == std::vector<threshold::Policy>{threshold::Policy::latency_aware});
  // The seeds are part of what a resumed run must share; a job without the axis keeps its old fingerprint.
  json other = doc;
  other["seeds"] = json::array({3, 1});
  CHECK(job_from_json(other, kJob).fingerprint() != job.fingerprint());
  other.erase("seeds");
  CHECK_FALSE(job_from_json(other, kJob).fingerprint().contains("seeds"));
}

TEST_CASE("the default job file is found from the working directory or the source tree", "[job]") {
  CHECK(fs::equivalent(default_job_file(), "configs/jobs/default.json"));
}
