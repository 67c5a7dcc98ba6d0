#pragma once
// Opens a report page in headless Chromium (Debian package `chromium`, installed by tools/install-deps.sh):
// the DOM after the page's scripts ran, every console message (a JS error shows up as one), and a
// screenshot. No Chromium is a test failure, not a skip: CI installs it.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace test_browser {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline bool chromium_installed() { return std::system("command -v chromium > /dev/null 2>&1") == 0; }

struct PageResult {
  int exit_code = -1;
  std::string dom;                    // document.documentElement.outerHTML after load
  std::vector<std::string> console;   // console messages (uncaught errors included)
  bool screenshot = false;            // the PNG was written
};

// Sandbox-free, network-free flags for a container; a fresh profile per call.
inline std::string chromium_command(const fs::path& profile) {
  return "timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage "
         "--user-data-dir='" + profile.string() + "' ";
}

// `url_suffix` is appended to the file URL (e.g. "#selftest").
inline PageResult open_page(const fs::path& html, const std::string& url_suffix, const fs::path& screenshot) {
  PageResult r;
  const fs::path work = fs::temp_directory_path() / ("sparsedse_browser_" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string url = "file://" + fs::absolute(html).lexically_normal().string() + url_suffix;
  const std::string dump = chromium_command(work / "profile1") + "--enable-logging=stderr --v=0 --dump-dom '" + url +
                           "' > '" + (work / "dom.html").string() + "' 2> '" + (work / "log.txt").string() + "'";
  const int status = std::system(dump.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.dom = slurp(work / "dom.html");
  std::istringstream log(slurp(work / "log.txt"));
  for (std::string line; std::getline(log, line);)
    if (line.find(":CONSOLE") != std::string::npos) r.console.push_back(line);
  if (!screenshot.empty()) {
    fs::remove(screenshot);
    const std::string shot = chromium_command(work / "profile2") + "--hide-scrollbars --window-size=1280,2000 --screenshot='" +
                             fs::absolute(screenshot).string() + "' '" + url + "' > /dev/null 2>&1";
    std::system(shot.c_str());
    r.screenshot = fs::exists(screenshot) && fs::file_size(screenshot) > 0;
  }
  fs::remove_all(work);
  return r;
}

}  // namespace test_browser
