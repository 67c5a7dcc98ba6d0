// A sweep under mpirun: entries spread over the ranks, results gathered on rank 0, the same bytes as a
// single-process run of the same job.
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/job/distribution.hpp"

using namespace test_job;

TEST_CASE("mpirun -np 3 spreads a sweep over the ranks and gives the single-process results", "[job][mpi][e2e]") {
  if (!sparsedse::job::built_with_mpi()) {
    WARN("built without MPI (-DSPARSEDSE_MPI=OFF): the distributed run is not available to test");
    return;
  }
  const fs::path dir = scratch("mpi");
  json doc = tiny_job_json();
  doc["dataset"]["calibration"]["images"] = 32;
  doc["thresholds"] = {{"step", 0.05}, {"refinements", 0}, {"max_iterations", 1}, {"test_images", 32},
                       {"solver", "greedy"}, {"hardware", "optimised"}};
  doc["policies"] = json::array({"uniform", "latency-aware", "both"});
  doc["emit"] = {{"html", true}, {"hls", "none"}};
  const fs::path job = write_job(dir, doc, "sweep.json");

  const Result single = run_cli({"run", job.string(), "-o", (dir / "single").string()});
  REQUIRE(single.exit_code == 0);
  const Result mpi = [&] {
    const fs::path io = scratch("mpi_io");
    Result r;
    r.exit_code = wait_for(spawn({"mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "3", SPARSEDSE_CLI_PATH,
                                  "run", job.string(), "-o", (dir / "mpi").string()},
                                 io / "out.txt", io / "err.txt"));
    r.out = slurp(io / "out.txt");
    r.err = slurp(io / "err.txt");
    fs::remove_all(io);
    return r;
  }();
  INFO(mpi.err);
  REQUIRE(mpi.exit_code == 0);
  // Entry i ran on rank i (three entries, three ranks); rank 0 wrote the comparison.
  CHECK_THAT(mpi.err, Catch::Contains("[rank 0] resnet20-cifar_u250_uniform: step 1/6 import") &&
                          Catch::Contains("[rank 1] resnet20-cifar_u250_latency-aware: step 1/6 import") &&
                          Catch::Contains("[rank 2] resnet20-cifar_u250_both: step 1/6 import") &&
                          Catch::Contains("[rank 0] run: wrote"));
  const auto a = outputs(dir / "single"), b = outputs(dir / "mpi");
  CHECK(a.size() == b.size());
  CHECK(a.count("sweep.md") == 1);
  for (const auto& [file, bytes] : a) {
    CAPTURE(file);
    REQUIRE(b.count(file) == 1);
    CHECK(b.at(file) == bytes);
  }
  fs::remove_all(dir);
}

TEST_CASE("mpirun -np 3 shares annealing chains over the ranks and gives the single-process design",
          "[job][mpi][dse]") {
  if (!sparsedse::job::built_with_mpi()) {
    WARN("built without MPI (-DSPARSEDSE_MPI=OFF): the distributed run is not available to test");
    return;
  }
  const fs::path dir = scratch("mpi_chains");
  const std::string model = "models/resnet20-fmnist.onnx";
  auto optimise = [&](const std::string& out) {
    return std::vector<std::string>{"optimise", model, "--platform", "u250", "--chains", "4", "--seed", "7",
                                    "-o", (dir / out).string()};
  };
  const Result single = run_cli(optimise("single.json"));
  REQUIRE(single.exit_code == 0);
  std::vector<std::string> args = {"mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "3", SPARSEDSE_CLI_PATH};
  for (const std::string& a : optimise("mpi.json")) args.push_back(a);
  const fs::path io = scratch("mpi_chains_io");
  const int code = wait_for(spawn(args, io / "out.txt", io / "err.txt"));
  const std::string err = slurp(io / "err.txt");
  INFO(err);
  REQUIRE(code == 0);
  // Chains 0 and 3 ran on rank 0, 1 on rank 1, 2 on rank 2; rank 0 alone wrote the design.
  CHECK_THAT(err, Catch::Contains("rank 0 of 3 runs annealing chains 0 3\n") &&
                      Catch::Contains("rank 1 of 3 runs annealing chains 1\n") &&
                      Catch::Contains("rank 2 of 3 runs annealing chains 2\n"));
  CHECK(slurp(dir / "mpi.json") == slurp(dir / "single.json"));
  fs::remove_all(io);
  fs::remove_all(dir);
}
