#pragma once
// Progress of long steps (profiling, annealing, thresholding) and log lines, behind one small interface
// so any component can report through it without knowing where it goes. The CLI picks the sink:
// a redrawn bar with ETA on a terminal, plain lines in logs and CI, one JSON object per line
// (--log-json), or nothing (--quiet).
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace sparsedse {

class Progress {
 public:
  virtual ~Progress() = default;
  // A long step of `total` units (images, moves, iterations); total <= 0 when it is not known up front.
  virtual void start(std::string_view task, std::int64_t total) = 0;
  virtual void update(std::int64_t done, std::string_view detail = {}) = 0;
  virtual void finish() = 0;
  virtual void log(std::string_view message) = 0;
};

// Discards everything: the default for callers that were given no sink.
Progress& null_progress();

enum class ProgressStyle { bar, lines, json, quiet };

// bar on a terminal (stderr is a TTY), lines otherwise.
ProgressStyle default_progress_style(int fd);

// Writes to a stream. Bars redraw in place (\r) at most ~10 times a second; lines print a step's start
// and end and at most one update every `line_interval`; json prints every event as one object per line
// ({"event": "start"|"update"|"finish"|"log", "task", "done", "total", "elapsed_s", "eta_s", "message"}).
class StreamProgress : public Progress {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StreamProgress(std::ostream& out, ProgressStyle style,
                          std::chrono::milliseconds line_interval = std::chrono::seconds(10));
  ~StreamProgress() override;
  void start(std::string_view task, std::int64_t total) override;
  void update(std::int64_t done, std::string_view detail = {}) override;
  void finish() override;
  void log(std::string_view message) override;
  // A prefix for every line (e.g. "[rank 2] " when several processes share a terminal).
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }

 private:
  void emit(const std::string& text);
  std::string clear_bar();
  double elapsed() const;
  std::ostream& out_;
  ProgressStyle style_;
  std::chrono::milliseconds line_interval_;
  std::string prefix_, task_, detail_;
  std::int64_t total_ = 0, done_ = 0;
  bool active_ = false, bar_drawn_ = false;
  Clock::time_point started_, last_draw_;
};

// "task [#####...]  45%  90/200  0:12 elapsed  ETA 0:15  detail": the bar line of a step (width 0: no bar)
// (no ETA before any progress; an unknown total shows the count and elapsed time only).
std::string progress_bar(std::string_view task, std::int64_t done, std::int64_t total, double elapsed_s,
                         std::string_view detail = {}, int width = 24);
// "0:07", "12:34", "1:02:03".
std::string format_duration(double seconds);

// start() on construction, finish() on destruction: a step cannot leave a bar behind.
class ProgressStep {
 public:
  ProgressStep(Progress& progress, std::string_view task, std::int64_t total) : progress_(progress) {
    progress_.start(task, total);
  }
  ~ProgressStep() { progress_.finish(); }
  ProgressStep(const ProgressStep&) = delete;
  ProgressStep& operator=(const ProgressStep&) = delete;
  void update(std::int64_t done, std::string_view detail = {}) { progress_.update(done, detail); }

 private:
  Progress& progress_;
};

}  // namespace sparsedse
