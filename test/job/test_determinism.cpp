// Determinism (docs/reliability.md): the same job with the same seed gives byte-identical designs and
// reports whatever the thread counts — the job's "threads" (engine) and OMP_NUM_THREADS (the OpenMP
// parts: DSE chains, profiler counting).
#include <catch2/catch.hpp>

#include <sstream>

#include "helpers.hpp"

using namespace test_job;

namespace {

// `sparsedse run JOB -o OUT -q` in a child process with OMP_NUM_THREADS = omp_threads.
int run_job_process(const fs::path& job, const fs::path& out, int omp_threads) {
  const fs::path log = out.parent_path() / "log.txt";
  return wait_for(spawn({"env", "OMP_NUM_THREADS=" + std::to_string(omp_threads), SPARSEDSE_CLI_PATH, "run",
                         job.string(), "-o", out.string(), "-q"},
                        log, out.parent_path() / "err.txt"));
}

}  // namespace

TEST_CASE("a job gives byte-identical designs and reports with 1 and with 2-3 threads", "[job][e2e][determinism]") {
  std::map<std::string, std::string> results[2];
  const int threads[2] = {1, 2};
  const int omp_threads[2] = {1, 3};
  for (int i = 0; i < 2; ++i) {
    // The same job path for both runs (the report shows it); each run's directory is removed after it.
    const fs::path dir = scratch("determinism");
    json job = tiny_job_json();
    job["threads"] = threads[i];
    const fs::path file = write_job(dir, job);
    const int code = run_job_process(file, dir / "out", omp_threads[i]);
    INFO("stderr: " << slurp(dir / "err.txt"));
    REQUIRE(code == 0);
    results[i] = outputs(dir / "out");
    fs::remove_all(dir);
  }
  // Not vacuous: the run wrote its designs, statistics and reports.
  for (const char* f : {"designs/dense.json", "designs/baseline.json", "designs/uniform.json", "sparsity.json",
                        "summary.json", "iterations.json", "report.md", "report.html"}) {
    CAPTURE(f);
    CHECK(results[0].count(f) == 1);
  }
  std::vector<std::string> differing;
  for (const auto& [path, bytes] : results[0]) {
    auto other = results[1].find(path);
    if (other == results[1].end() || other->second != bytes) differing.push_back(path);
  }
  for (const auto& [path, bytes] : results[1])
    if (!results[0].count(path)) differing.push_back(path + " (only with 2 threads)");
  CAPTURE(differing);
  for (const std::string& path : differing) {  // name the first differing line of each file
    if (!results[1].count(path)) continue;
    std::istringstream a(results[0][path]), b(results[1][path]);
    std::string la, lb;
    while (std::getline(a, la) && std::getline(b, lb))
      if (la != lb) {
        UNSCOPED_INFO(path << ": '" << la.substr(0, 300) << "' vs '" << lb.substr(0, 300) << "'");
        break;
      }
  }
  CHECK(differing.empty());
  CHECK(results[0].size() == results[1].size());
}
