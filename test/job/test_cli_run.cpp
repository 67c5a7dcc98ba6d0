// `sparsedse run` as a user runs it: a subprocess, killed mid-loop and resumed, exit codes and logs.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "helpers.hpp"

using namespace test_job;

TEST_CASE("run CLI: a job killed mid-loop and resumed ends byte-identical to an uninterrupted run", "[job][cli][e2e]") {
  const fs::path dir = scratch("kill");
  const fs::path job = write_job(dir, tiny_job_json());

  // Uninterrupted, with the JSON log: every stderr line is one JSON object.
  const Result full = run_cli({"run", job.string(), "-o", (dir / "full").string(), "--log-json"});
  REQUIRE(full.exit_code == 0);
  std::istringstream lines(full.err);
  int events = 0;
  for (std::string line; std::getline(lines, line); ++events) {
    CAPTURE(line);
    const json j = json::parse(line);
    CHECK(j.contains("event"));
  }
  CHECK(events > 10);

  // Killed (SIGKILL: no chance to clean up) once the first thresholding checkpoint is on disk.
  const fs::path killed = dir / "killed";
  const fs::path checkpoint = killed / ".state" / "resnet20-cifar_u250" / "threshold.json";
  const pid_t pid = spawn({SPARSEDSE_CLI_PATH, "run", job.string(), "-o", killed.string()}, dir / "k.out", dir / "k.err");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!fs::exists(checkpoint) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  CHECK(wait_for(pid) == 128 + SIGKILL);
  REQUIRE(fs::exists(checkpoint));
  REQUIRE_FALSE(fs::exists(killed / "report.md"));  // it really stopped mid-job

  // Without --resume the directory is refused (exit 2), with it the run continues where it stopped.
  const Result refused = run_cli({"run", job.string(), "-o", killed.string()});
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Catch::Contains("already exists") && Catch::Contains("--resume"));
  const Result resumed = run_cli({"run", job.string(), "-o", killed.string(), "--resume"});
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Catch::Contains("step 1/6 import: already done") && Catch::Contains("resuming"));

  const auto a = outputs(dir / "full"), b = outputs(killed);
  CHECK(a.size() == b.size());
  for (const auto& [file, bytes] : a) {
    CAPTURE(file);
    REQUIRE(b.count(file) == 1);
    CHECK(b.at(file) == bytes);
  }
  fs::remove_all(dir);
}

TEST_CASE("run CLI: --resume with a higher max_iterations continues a finished run, as a fresh run would end",
          "[job][cli][e2e]") {
  const fs::path dir = scratch("extend");
  json doc = tiny_job_json();
  doc["thresholds"]["budget"] = 100.0;  // every run ends at the iteration limit
  doc["emit"] = {{"html", false}, {"hls", "none"}};
  const fs::path short_job = write_job(dir, doc, "short.json");
  doc["thresholds"]["max_iterations"] = 3;
  const fs::path long_job = write_job(dir, doc, "long.json");
  const fs::path extended = dir / "extended", fresh = dir / "fresh";
  REQUIRE(run_cli({"run", short_job.string(), "-o", extended.string()}).exit_code == 0);
  REQUIRE(run_cli({"run", long_job.string(), "-o", fresh.string()}).exit_code == 0);
  CHECK(outputs(extended).at("summary.json") != outputs(fresh).at("summary.json"));

  const Result r = run_cli({"run", long_job.string(), "-o", extended.string(), "--resume"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("iteration limit raised to 3") && Catch::Contains("step 3/6 dense: already done") &&
                        Catch::Contains("step 4/6 threshold\n"));
  CHECK(outputs(extended) == outputs(fresh));

  // A lower limit is another job: refused, and the run left as it was.
  const Result lower = run_cli({"run", short_job.string(), "-o", extended.string(), "--resume"});
  CHECK(lower.exit_code == 2);
  CHECK_THAT(lower.err, Catch::Contains("'thresholds' differs"));
  CHECK(outputs(extended) == outputs(fresh));
  fs::remove_all(dir);
}

TEST_CASE("run CLI: bad jobs exit 2 with the file, the JSON path and a suggestion", "[job][cli]") {
  const fs::path dir = scratch("bad");
  json doc = tiny_job_json();
  doc["thresholds"]["budjet"] = 2.0;
  const fs::path bad = write_job(dir, doc, "bad.json");
  Result r = run_cli({"run", bad.string(), "-o", (dir / "out").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.json") && Catch::Contains("/thresholds") && Catch::Contains("budjet") &&
                        Catch::Contains("did you mean 'budget'"));
  CHECK_FALSE(fs::exists(dir / "out"));

  doc = tiny_job_json();
  doc["model"] = "../models/not-trained-yet.onnx";
  const fs::path missing = write_job(dir, doc, "missing.json");
  r = run_cli({"run", missing.string(), "-o", (dir / "out").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("model file not found") && Catch::Contains("not-trained-yet.onnx"));
  CHECK_FALSE(fs::exists(dir / "out"));  // nothing is written before the inputs are known to exist

  r = run_cli({"run", (dir / "nope.json").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("nope.json"));

  // An existing OUTDIR that a run did not make: refused without --force.
  fs::create_directories(dir / "taken");
  std::ofstream(dir / "taken" / "notes.txt") << "mine";
  r = run_cli({"run", write_job(dir, tiny_job_json()).string(), "-o", (dir / "taken").string()});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("already exists") && Catch::Contains("--force"));
  r = run_cli({"run", write_job(dir, tiny_job_json()).string(), "-o", (dir / "taken").string(), "--resume"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("no sparsedse run to resume"));
  CHECK(slurp(dir / "taken" / "notes.txt") == "mine");
  fs::remove_all(dir);
}

TEST_CASE("run CLI: the embedded default job needs the shipped ResNet-18", "[job][cli]") {
  if (fs::exists("models/resnet18-fmnist.onnx")) {
    // The default job runs for minutes: check only that it is the one `run` picks.
    const Result r = run_cli({"run", "--help"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("configs/jobs/default.json"));
    return;
  }
  const Result r = run_cli({"run", "-o", scratch("default").string() + "/out"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("default.json") && Catch::Contains("model file not found") &&
                        Catch::Contains("models/resnet18-fmnist.onnx"));
}
