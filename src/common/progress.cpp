#include "sparsedse/common/progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <unistd.h>

#include <nlohmann/json.hpp>

namespace sparsedse {

namespace {

class NullProgress final : public Progress {
 public:
  void start(std::string_view, std::int64_t) override {}
  void update(std::int64_t, std::string_view) override {}
  void finish() override {}
  void log(std::string_view) override {}
};

constexpr auto kRedraw = std::chrono::milliseconds(100);

}  // namespace

Progress& null_progress() {
  static NullProgress sink;
  return sink;
}

ProgressStyle default_progress_style(int fd) { return ::isatty(fd) ? ProgressStyle::bar : ProgressStyle::lines; }

std::string format_duration(double seconds) {
  long long s = seconds > 0 && std::isfinite(seconds) ? std::llround(seconds) : 0;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
  return buf;
}

std::string progress_bar(std::string_view task, std::int64_t done, std::int64_t total, double elapsed_s,
                         std::string_view detail, int width) {
  std::string line(task);
  width = std::max(width, 0);
  char buf[96];
  if (total > 0) {
    const double f = std::clamp(double(done) / double(total), 0.0, 1.0);
    const int filled = int(f * width);
    if (width > 0)
      line += " [" + std::string(std::size_t(filled), '#') + std::string(std::size_t(width - filled), '.') + "]";
    std::snprintf(buf, sizeof buf, " %3d%%  %lld/%lld", int(f * 100.0), (long long)done, (long long)total);
    line += buf;
    line += "  " + format_duration(elapsed_s) + " elapsed";
    if (done > 0 && done < total) line += "  ETA " + format_duration(elapsed_s / double(done) * double(total - done));
  } else {
    std::snprintf(buf, sizeof buf, "  %lld done", (long long)done);
    line += buf;
    line += "  " + format_duration(elapsed_s) + " elapsed";
  }
  if (!detail.empty()) line += "  " + std::string(detail);
  return line;
}

StreamProgress::StreamProgress(std::ostream& out, ProgressStyle style, std::chrono::milliseconds line_interval)
    : out_(out), style_(style), line_interval_(line_interval) {}

StreamProgress::~StreamProgress() {
  if (active_) finish();
}

double StreamProgress::elapsed() const {
  return std::chrono::duration<double>(Clock::now() - started_).count();
}

// Everything one event prints goes out in a single write: stderr is unbuffered, and several processes
// (mpirun ranks) may share it, so piecewise output would interleave mid-line.
void StreamProgress::emit(const std::string& text) { out_ << text << std::flush; }

std::string StreamProgress::clear_bar() {
  if (!bar_drawn_) return {};
  bar_drawn_ = false;
  return "\r\033[K";  // carriage return + erase line: the next text starts on a clean line
}

void StreamProgress::start(std::string_view task, std::int64_t total) {
  if (active_) finish();
  task_ = task;
  total_ = total;
  done_ = 0;
  detail_.clear();
  active_ = true;
  started_ = last_draw_ = Clock::now();
  switch (style_) {
    case ProgressStyle::quiet: return;
    case ProgressStyle::json:
      emit(nlohmann::json{{"event", "start"}, {"task", task_}, {"total", total_}}.dump() + "\n");
      return;
    case ProgressStyle::lines:
      emit(prefix_ + task_ + ": started" + (total > 0 ? " (" + std::to_string(total) + ")" : "") + "\n");
      return;
    case ProgressStyle::bar:
      emit("\r\033[K" + prefix_ + progress_bar(task_, 0, total_, 0.0));
      bar_drawn_ = true;
      return;
  }
}

void StreamProgress::update(std::int64_t done, std::string_view detail) {
  if (!active_) return;
  done_ = done;
  detail_ = detail;
  const auto now = Clock::now();
  switch (style_) {
    case ProgressStyle::quiet: return;
    case ProgressStyle::json: {
      nlohmann::json j{{"event", "update"}, {"task", task_}, {"done", done_}, {"total", total_},
                       {"elapsed_s", elapsed()}};
      if (total_ > 0 && done_ > 0 && done_ < total_) j["eta_s"] = elapsed() / double(done_) * double(total_ - done_);
      if (!detail.empty()) j["message"] = detail_;
      emit(j.dump() + "\n");
      return;
    }
    case ProgressStyle::lines:
      if (now - last_draw_ < line_interval_) return;
      last_draw_ = now;
      emit(prefix_ + progress_bar(task_, done_, total_, elapsed(), detail_, 0) + "\n");
      return;
    case ProgressStyle::bar:
      if (now - last_draw_ < kRedraw && done_ < total_) return;
      last_draw_ = now;
      emit("\r\033[K" + prefix_ + progress_bar(task_, done_, total_, elapsed(), detail_));
      bar_drawn_ = true;
      return;
  }
}

void StreamProgress::finish() {
  if (!active_) return;
  active_ = false;
  const double seconds = elapsed();
  switch (style_) {
    case ProgressStyle::quiet: return;
    case ProgressStyle::json:
      emit(nlohmann::json{{"event", "finish"}, {"task", task_}, {"done", done_}, {"elapsed_s", seconds}}.dump() +
           "\n");
      return;
    case ProgressStyle::lines:
    case ProgressStyle::bar:
      emit(clear_bar() + prefix_ + task_ + ": done in " + format_duration(seconds) + "\n");
      return;
  }
}

void StreamProgress::log(std::string_view message) {
  switch (style_) {
    case ProgressStyle::quiet: return;
    case ProgressStyle::json:
      emit(nlohmann::json{{"event", "log"}, {"message", std::string(message)}}.dump() + "\n");
      return;
    case ProgressStyle::lines:
    case ProgressStyle::bar: {
      std::string text = clear_bar() + prefix_ + std::string(message) + "\n";
      // A log line scrolls the bar away: redraw it below.
      if (style_ == ProgressStyle::bar && active_) {
        text += prefix_ + progress_bar(task_, done_, total_, elapsed(), detail_);
        bar_drawn_ = true;
      }
      emit(text);
      return;
    }
  }
}

}  // namespace sparsedse
