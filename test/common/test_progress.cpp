#include <catch2/catch.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "sparsedse/common/progress.hpp"

using namespace sparsedse;

TEST_CASE("durations print as m:ss or h:mm:ss", "[common][progress]") {
  CHECK(format_duration(0) == "0:00");
  CHECK(format_duration(7.4) == "0:07");
  CHECK(format_duration(754) == "12:34");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-5) == "0:00");
}

TEST_CASE("a progress bar shows the fraction, the count and an ETA from the rate so far", "[common][progress]") {
  // 50 of 200 in 10 s: 150 left at 5 per second = 30 s.
  const std::string bar = progress_bar("profiling", 50, 200, 10.0, "batch 2", 8);
  CHECK(bar == "profiling [##......]  25%  50/200  0:10 elapsed  ETA 0:30  batch 2");
  // No ETA before the first unit, nor after the last; an unknown total shows the count only.
  CHECK(progress_bar("x", 0, 10, 3.0, {}, 4).find("ETA") == std::string::npos);
  CHECK(progress_bar("x", 10, 10, 3.0, {}, 4) == "x [####] 100%  10/10  0:03 elapsed");
  CHECK(progress_bar("x", 7, 0, 61.0) == "x  7 done  1:01 elapsed");
}

TEST_CASE("plain lines: start and finish lines, log lines, no carriage returns", "[common][progress]") {
  std::ostringstream out;
  {
    StreamProgress p(out, ProgressStyle::lines);
    p.set_prefix("[rank 1] ");
    p.start("thresholding", 5);
    p.update(1, "uniform");  // within the line interval: not printed
    p.log("threshold: uniform #1");
    p.finish();
  }
  const std::string text = out.str();
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.rfind("[rank 1] thresholding: started (5)\n", 0) == 0);
  CHECK(text.find("[rank 1] threshold: uniform #1\n") != std::string::npos);
  CHECK(text.find("[rank 1] thresholding: done in 0:00\n") != std::string::npos);
  CHECK(text.find("1/5") == std::string::npos);
}

TEST_CASE("json log: one parseable object per line for every event", "[common][progress]") {
  std::ostringstream out;
  StreamProgress p(out, ProgressStyle::json);
  p.start("annealing", 100);
  p.update(40, "T=3.2");
  p.log("said \"hi\"");
  p.finish();
  std::istringstream in(out.str());
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(in, line);) events.push_back(nlohmann::json::parse(line));
  REQUIRE(events.size() == 4);
  CHECK(events[0]["event"] == "start");
  CHECK(events[0]["total"] == 100);
  CHECK(events[1]["event"] == "update");
  CHECK(events[1]["done"] == 40);
  CHECK(events[1]["message"] == "T=3.2");
  CHECK(events[1].contains("eta_s"));
  CHECK(events[2]["message"] == "said \"hi\"");
  CHECK(events[3]["event"] == "finish");
}

TEST_CASE("quiet prints nothing, bars redraw in place and end on a clean line", "[common][progress]") {
  std::ostringstream quiet;
  {
    StreamProgress p(quiet, ProgressStyle::quiet);
    p.start("a", 3);
    p.update(3);
    p.log("hello");
  }
  CHECK(quiet.str().empty());

  std::ostringstream bar;
  {
    StreamProgress p(bar, ProgressStyle::bar);
    p.start("profiling", 4);
    p.update(4);  // the last unit is always drawn
    p.log("note");
  }  // the destructor finishes the step
  const std::string text = bar.str();
  CHECK((text.find("\rprofiling [") != std::string::npos || text.find("\r\033[Kprofiling [") != std::string::npos));
  CHECK(text.find("4/4") != std::string::npos);
  CHECK(text.find("note\n") != std::string::npos);
  CHECK(text.size() >= 1);
  CHECK(text.back() == '\n');
}

TEST_CASE("ProgressStep finishes its step on scope exit, also on an exception", "[common][progress]") {
  std::ostringstream out;
  StreamProgress p(out, ProgressStyle::lines);
  try {
    ProgressStep step(p, "import", 0);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  CHECK(out.str().find("import: done in") != std::string::npos);
  CHECK(&null_progress() == &null_progress());
}
