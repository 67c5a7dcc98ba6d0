// sparsedse C-simulation runtime behind hls::stream (hls.md §11.2, §11.3). Our own code.
//
// Two modes, chosen at run time (default: sequential, or threaded when compiled with
// -DSDHLS_SIM_THREADED):
//  * sequential: DATAFLOW processes run in call order; streams are unbounded; reading an empty stream
//    is a hard error (sdhls_sim::sim_error naming the stream and the calling process).
//  * threaded: SDHLS_DATAFLOW(f, args...) starts f in its own std::thread, SDHLS_DATAFLOW_END() joins
//    them. Streams are bounded blocking FIFOs of their declared depth (depth 0 is simulated as 2). A
//    watchdog reports a deadlock when every live process has been blocked with no FIFO progress for the
//    watchdog time (default 2 s): the report lists every FIFO with occupancy/depth and its blocked
//    reader/writer; then the run aborts (or, with set_throw_on_deadlock(true), SDHLS_DATAFLOW_END throws
//    sdhls_sim::deadlock_error carrying the report).
// Every FIFO records its maximum occupancy; write_fifo_report() writes fifo_report.json.
// Threads that are not DATAFLOW processes (the testbench) never block: their writes may exceed the
// depth and their reads of an empty stream are errors, as in sequential mode.
#ifndef SDHLS_SIM_RUNTIME_H
#define SDHLS_SIM_RUNTIME_H

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace sdhls_sim {

enum class mode { sequential, threaded };

class sim_error : public std::runtime_error {
 public:
  explicit sim_error(const std::string& what) : std::runtime_error(what) {}
};

class deadlock_error : public sim_error {
 public:
  explicit deadlock_error(const std::string& report) : sim_error("deadlock detected\n" + report), report_(report) {}
  const std::string& report() const { return report_; }

 private:
  std::string report_;
};

struct fifo_stat {
  std::string name;
  std::size_t depth = 0;          // declared depth (0 = unspecified)
  std::size_t max_occupancy = 0;  // largest number of tokens held at once
  std::size_t writes = 0;
};

class stream_base;

struct process_record {
  std::string name;
  const stream_base* blocked_on = nullptr;
  bool blocked_on_write = false;
};

namespace detail {
struct unwind {};  // thrown inside blocked processes when the region is torn down
}  // namespace detail

class stream_base {
 public:
  virtual ~stream_base() {}
  const std::string& name() const { return name_; }
  std::size_t declared_depth() const { return depth_; }
  // Capacity in threaded mode: the declared depth, 2 when unspecified.
  std::size_t capacity() const { return depth_ == 0 ? 2 : depth_; }
  virtual std::size_t occupancy_unlocked() const = 0;
  fifo_stat stat_unlocked() const { return fifo_stat{name_, depth_, max_occupancy_, writes_}; }

 protected:
  std::string name_;
  std::size_t depth_ = 0;
  std::size_t max_occupancy_ = 0;
  std::size_t writes_ = 0;
  std::condition_variable not_empty_, not_full_;
  friend class runtime;
};

class runtime {
 public:
  static runtime& get() {
    static runtime r;
    return r;
  }

  std::mutex mu;

  mode current_mode() {
    std::lock_guard<std::mutex> lk(mu);
    return mode_;
  }
  void set_mode(mode m) {
    std::lock_guard<std::mutex> lk(mu);
    if (region_open_) throw sim_error("sdhls_sim::set_mode called inside a DATAFLOW region");
    mode_ = m;
  }
  void set_watchdog(std::chrono::milliseconds t) {
    std::lock_guard<std::mutex> lk(mu);
    watchdog_ = t;
  }
  void set_throw_on_deadlock(bool b) {
    std::lock_guard<std::mutex> lk(mu);
    throw_on_deadlock_ = b;
  }

  // --- stream registry (mu held by the caller) ---------------------------------------------------
  void add_stream_unlocked(stream_base* s) { streams_.push_back(s); }
  void remove_stream_unlocked(stream_base* s) {
    retired_.push_back(s->stat_unlocked());
    streams_.erase(std::remove(streams_.begin(), streams_.end(), s), streams_.end());
  }
  std::size_t next_id_unlocked() { return ++stream_ids_; }
  void note_leftover_unlocked() { ++leftovers_; }

  std::vector<fifo_stat> fifo_report() {
    std::lock_guard<std::mutex> lk(mu);
    std::vector<fifo_stat> r = retired_;
    for (const stream_base* s : streams_) r.push_back(s->stat_unlocked());
    return r;
  }
  void reset_fifo_report() {
    std::lock_guard<std::mutex> lk(mu);
    retired_.clear();
  }
  std::size_t leftover_streams() {
    std::lock_guard<std::mutex> lk(mu);
    return leftovers_;
  }

  // --- process bookkeeping ------------------------------------------------------------------------
  static process_record*& current() {
    thread_local process_record* p = nullptr;
    return p;
  }
  static std::string& sequential_name() {
    thread_local std::string n;
    return n;
  }
  static std::string caller_name() {
    if (current()) return current()->name;
    return sequential_name().empty() ? std::string("testbench") : sequential_name();
  }
  // True when the calling thread may block on a stream (a threaded DATAFLOW process).
  bool may_block_unlocked() const { return mode_ == mode::threaded && current() != nullptr; }
  bool bounded_unlocked() const { return mode_ == mode::threaded; }

  // Block the calling process on `s` until `ready()` holds (mu held through `lk`).
  template <class Ready>
  void block(std::unique_lock<std::mutex>& lk, stream_base& s, bool on_write, Ready ready) {
    process_record* me = current();
    me->blocked_on = &s;
    me->blocked_on_write = on_write;
    ++blocked_;
    watch_cv_.notify_all();
    std::condition_variable& cv = on_write ? s.not_full_ : s.not_empty_;
    cv.wait(lk, [&] { return ready() || tearing_down_; });
    --blocked_;
    me->blocked_on = nullptr;
    if (!ready()) throw detail::unwind{};
  }
  void progress_unlocked(stream_base& s, bool was_write) {
    ++progress_;
    (was_write ? s.not_empty_ : s.not_full_).notify_all();
  }

  // --- DATAFLOW regions ---------------------------------------------------------------------------
  template <class Fn>
  void start_process(const char* name, Fn fn) {
    std::unique_lock<std::mutex> lk(mu);
    if (mode_ == mode::sequential) {
      lk.unlock();
      std::string& n = sequential_name();
      const std::string saved = n;
      n = name;
      try {
        fn();
      } catch (...) {
        n = saved;
        throw;
      }
      n = saved;
      return;
    }
    if (current()) throw sim_error(std::string("nested DATAFLOW region in process '") + current()->name + "'");
    if (!region_open_) open_region_unlocked();
    procs_.emplace_back(new process_record{name, nullptr, false});
    process_record* rec = procs_.back().get();
    ++live_;
    threads_.emplace_back([this, rec, fn]() mutable {
      current() = rec;
      try {
        fn();
      } catch (detail::unwind&) {
      } catch (...) {
        std::lock_guard<std::mutex> g(mu);
        if (!first_error_) first_error_ = std::current_exception();
        tear_down_unlocked();
      }
      std::lock_guard<std::mutex> g(mu);
      --live_;
      current() = nullptr;
      watch_cv_.notify_all();
    });
  }

  void end_region() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (!region_open_) return;
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    {
      std::lock_guard<std::mutex> lk(mu);
      stop_watch_ = true;
      watch_cv_.notify_all();
    }
    if (watchdog_thread_.joinable()) watchdog_thread_.join();
    std::exception_ptr err;
    std::string report;
    bool deadlocked, throw_dl;
    {
      std::lock_guard<std::mutex> lk(mu);
      err = first_error_;
      report = deadlock_report_;
      deadlocked = deadlocked_;
      throw_dl = throw_on_deadlock_;
      first_error_ = nullptr;
      deadlock_report_.clear();
      deadlocked_ = tearing_down_ = stop_watch_ = false;
      region_open_ = false;
      procs_.clear();
      live_ = blocked_ = 0;
    }
    if (err) std::rethrow_exception(err);
    if (deadlocked) {
      if (throw_dl) throw deadlock_error(report);
      std::fprintf(stderr, "sdhls_sim: DEADLOCK detected\n%s", report.c_str());
      std::fflush(stderr);
      std::abort();
    }
  }

 private:
  runtime() {
#ifdef SDHLS_SIM_THREADED
    mode_ = mode::threaded;
#endif
    if (const char* env = std::getenv("SDHLS_WATCHDOG_MS")) watchdog_ = std::chrono::milliseconds(std::atol(env));
  }

  void open_region_unlocked() {
    region_open_ = true;
    deadlocked_ = tearing_down_ = stop_watch_ = false;
    watchdog_thread_ = std::thread([this] { watch(); });
  }

  void tear_down_unlocked() {
    tearing_down_ = true;
    for (stream_base* s : streams_) {
      s->not_empty_.notify_all();
      s->not_full_.notify_all();
    }
  }

  // The watchdog: all live processes blocked and no FIFO progress for `watchdog_` → deadlock.
  void watch() {
    std::unique_lock<std::mutex> lk(mu);
    unsigned long long seen = progress_;
    auto since = std::chrono::steady_clock::now();
    while (!stop_watch_) {
      watch_cv_.wait_for(lk, std::chrono::milliseconds(10));
      if (stop_watch_ || tearing_down_) continue;
      const auto now = std::chrono::steady_clock::now();
      if (live_ == 0 || blocked_ < live_ || progress_ != seen) {
        seen = progress_;
        since = now;
        continue;
      }
      if (now - since >= watchdog_) {
        deadlocked_ = true;
        deadlock_report_ = report_unlocked();
        tear_down_unlocked();
      }
    }
  }

  std::string report_unlocked() const {
    std::ostringstream os;
    os << "  all " << live_ << " live processes blocked; FIFOs (occupancy/depth):\n";
    for (const stream_base* s : streams_) {
      os << "    " << s->name() << ": " << s->occupancy_unlocked() << "/" << s->capacity();
      for (const auto& p : procs_) {
        if (p->blocked_on == s) os << (p->blocked_on_write ? "  writer blocked: " : "  reader blocked: ") << p->name;
      }
      os << "\n";
    }
    return os.str();
  }

  mode mode_ = mode::sequential;
  std::chrono::milliseconds watchdog_{2000};
  bool throw_on_deadlock_ = false;
  std::vector<stream_base*> streams_;
  std::vector<fifo_stat> retired_;
  std::size_t stream_ids_ = 0, leftovers_ = 0;

  bool region_open_ = false, tearing_down_ = false, deadlocked_ = false, stop_watch_ = false;
  std::vector<std::unique_ptr<process_record>> procs_;
  std::vector<std::thread> threads_;
  std::thread watchdog_thread_;
  std::condition_variable watch_cv_;
  int live_ = 0, blocked_ = 0;
  unsigned long long progress_ = 0;
  std::exception_ptr first_error_;
  std::string deadlock_report_;
};

inline void set_mode(mode m) { runtime::get().set_mode(m); }
inline mode current_mode() { return runtime::get().current_mode(); }
inline void set_watchdog(std::chrono::milliseconds t) { runtime::get().set_watchdog(t); }
inline void set_throw_on_deadlock(bool b) { runtime::get().set_throw_on_deadlock(b); }
inline std::vector<fifo_stat> fifo_report() { return runtime::get().fifo_report(); }
inline void reset_fifo_report() { runtime::get().reset_fifo_report(); }
inline std::size_t leftover_streams() { return runtime::get().leftover_streams(); }

// Maximum occupancy per FIFO name (the largest over all instances with that name).
inline std::size_t max_occupancy(const std::string& name) {
  std::size_t m = 0;
  for (const fifo_stat& s : fifo_report())
    if (s.name == name) m = std::max(m, s.max_occupancy);
  return m;
}

inline void write_fifo_report(const std::string& path) {
  std::ofstream os(path);
  os << "[\n";
  const std::vector<fifo_stat> r = fifo_report();
  for (std::size_t i = 0; i < r.size(); ++i) {
    std::string n;
    for (char c : r[i].name) {
      if (c == '"' || c == '\\') n += '\\';
      n += c;
    }
    os << "  {\"name\": \"" << n << "\", \"depth\": " << r[i].depth << ", \"max_occupancy\": " << r[i].max_occupancy
       << ", \"writes\": " << r[i].writes << "}" << (i + 1 < r.size() ? "," : "") << "\n";
  }
  os << "]\n";
  if (!os) throw sim_error("cannot write FIFO report '" + path + "'");
}

// RAII mode switch for tests.
class scoped_mode {
 public:
  explicit scoped_mode(mode m) : saved_(current_mode()) { set_mode(m); }
  ~scoped_mode() { set_mode(saved_); }

 private:
  mode saved_;
};

namespace detail {
// Arguments of a DATAFLOW call: scalars (loop indices, sizes, pointers) are copied when the process
// starts, everything else (streams, arrays) is passed by reference.
template <class A>
using stored_t = typename std::conditional<std::is_lvalue_reference<A>::value &&
                                               !std::is_scalar<typename std::remove_reference<A>::type>::value,
                                           A, typename std::decay<A>::type>::type;

template <class Fn, class Tuple, std::size_t... I>
void apply_args(Fn& fn, Tuple& t, std::index_sequence<I...>) {
  fn(std::get<I>(t)...);
}
}  // namespace detail

template <class Fn, class... A>
void dataflow_call(const char* name, Fn fn, A&&... args) {
  std::tuple<detail::stored_t<A&&>...> stored(std::forward<A>(args)...);
  runtime::get().start_process(name, [fn, stored]() mutable {
    detail::apply_args(fn, stored, std::index_sequence_for<A...>{});
  });
}

inline void dataflow_end() { runtime::get().end_region(); }

}  // namespace sdhls_sim

// A DATAFLOW process call: plain call in sequential mode, a thread in threaded mode. Wrap a template
// name with commas in parentheses: SDHLS_DATAFLOW((f<A, B>), x, y).
#define SDHLS_DATAFLOW(f, ...) \
  ::sdhls_sim::dataflow_call(#f, [](auto&... sdhls_args_) { f(sdhls_args_...); }, __VA_ARGS__)
#define SDHLS_DATAFLOW_END() ::sdhls_sim::dataflow_end()

#endif  // SDHLS_SIM_RUNTIME_H
