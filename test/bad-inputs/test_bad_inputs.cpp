// The bad-input corpus (test/bad-inputs/cases.json, docs/reliability.md): every broken input makes the
// real CLI exit with code 2 and a message naming the file and field, and leaves no output behind.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kCorpus = "test/bad-inputs";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every path under `dir`, relative to it (directories too: a left-over empty directory is an output).
std::set<std::string> tree(const fs::path& dir) {
  std::set<std::string> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) paths.insert(fs::relative(e.path(), dir).generic_string());
  return paths;
}

struct Run {
  int exit_code = -1;
  std::string err;
};

// The CLI with `args` in `dir`, with `env` added to the environment; stdout is discarded.
Run run_cli(const fs::path& dir, const std::vector<std::string>& args, const json& env, const fs::path& err_file) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    const int out = ::open("/dev/null", O_WRONLY);
    const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& [key, value] : env.items()) ::setenv(key.c_str(), value.get<std::string>().c_str(), 1);
    std::vector<char*> argv{const_cast<char*>(SPARSEDSE_CLI_PATH)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = slurp(err_file);
  return r;
}

}  // namespace

TEST_CASE("bad inputs: every case exits 2 with its message and leaves no output", "[bad-inputs][cli]") {
  const json doc = json::parse(slurp(kCorpus / "cases.json"));
  const fs::path scratch = fs::temp_directory_path() / ("sparsedse_bad_inputs_" + std::to_string(::getpid()));
  for (const json& c : doc.at("cases")) {
    const std::string name = c.at("name").get<std::string>();
    DYNAMIC_SECTION(name) {
      const fs::path dir = scratch / name;
      fs::remove_all(dir);
      fs::create_directories(dir);
      for (const json& f : c.at("files")) fs::copy_file(kCorpus / "files" / f.get<std::string>(), dir / f.get<std::string>());
      const std::set<std::string> inputs = tree(dir);
      const Run r = run_cli(dir, c.at("args").get<std::vector<std::string>>(), c.value("env", json::object()),
                            scratch / (name + ".stderr"));
      INFO("sparsedse " << c.at("args").dump() << "\nstderr: " << r.err);
      CHECK(r.exit_code == c.value("exit", 2));
      CHECK(r.err.rfind("error: ", 0) == 0);  // an InputError, not "internal error" (exit 3) or a crash
      for (const json& s : c.at("stderr")) {
        CAPTURE(s.get<std::string>());
        CHECK(r.err.find(s.get<std::string>()) != std::string::npos);
      }
      CHECK(tree(dir) == inputs);  // no output, partial or temporary, was left behind
    }
  }
  fs::remove_all(scratch);
}

TEST_CASE("bad inputs: every file of the corpus is used and every case's files exist", "[bad-inputs]") {
  const json doc = json::parse(slurp(kCorpus / "cases.json"));
  std::set<std::string> used, names;
  for (const json& c : doc.at("cases")) {
    CHECK(names.insert(c.at("name").get<std::string>()).second);  // unique names
    for (const json& f : c.at("files")) {
      CAPTURE(f.get<std::string>());
      CHECK(fs::is_regular_file(kCorpus / "files" / f.get<std::string>()));
      used.insert(f.get<std::string>());
    }
  }
  for (const auto& e : fs::directory_iterator(kCorpus / "files")) {
    CAPTURE(e.path().filename().string());
    CHECK(used.count(e.path().filename().string()) == 1);
  }
}
