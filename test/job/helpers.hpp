#pragma once
// A tiny job (ResNet-20 from the zoo for 1-channel input, 64 calibration and 64 test images of
// Fashion-MNIST, two iterations per run, greedy solver) and helpers to run the CLI as a subprocess.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace test_job {

namespace fs = std::filesystem;
using nlohmann::json;

inline fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("sparsedse_job_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline json tiny_job_json() {
  return {{"name", "tiny"},
          {"description", "tiny test job"},
          {"model", "zoo:resnet20-cifar?in_channels=1"},
          {"platform", "u250"},
          {"dataset", {{"calibration", {{"dataset", fs::absolute("configs/datasets/fashion-mnist-test.json").string()},
                                        {"images", 64}}}}},
          {"thresholds", {{"step", 0.05}, {"refinements", 0}, {"max_iterations", 2}, {"test_images", 64},
                          {"solver", "greedy"}}},
          {"emit", {{"html", true}, {"hls", "final"}}}};
}

inline fs::path write_job(const fs::path& dir, const json& job, const std::string& name = "tiny.json") {
  fs::path file = dir / name;
  std::ofstream(file) << job.dump(2);
  return file;
}

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every regular file under `dir` except the run state, keyed by relative path.
inline std::map<std::string, std::string> outputs(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".state") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files[fs::relative(it->path(), dir).generic_string()] = slurp(it->path());
  }
  return files;
}

struct Result {
  int exit_code = -1;
  std::string out, err;
};

inline pid_t spawn(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

inline int wait_for(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs the CLI with `args`, capturing stdout and stderr.
inline Result run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), SPARSEDSE_CLI_PATH);
  const fs::path dir = scratch("cli_io");
  Result r;
  r.exit_code = wait_for(spawn(args, dir / "out.txt", dir / "err.txt"));
  r.out = slurp(dir / "out.txt");
  r.err = slurp(dir / "err.txt");
  fs::remove_all(dir);
  return r;
}

}  // namespace test_job
