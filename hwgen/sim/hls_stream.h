// sparsedse C-simulation shim: hls::stream<T, DEPTH> (hls.md §11.1, §11.3). Our own code; the runtime
// (modes, DATAFLOW processes, deadlock watchdog, FIFO statistics) is in sdhls_sim.h.
#ifndef SDHLS_SIM_HLS_STREAM_H
#define SDHLS_SIM_HLS_STREAM_H

#include <cstddef>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>

#include "sdhls_sim.h"

namespace hls {

template <class T, int DEPTH = 0>
class stream : public sdhls_sim::stream_base {
 public:
  stream() { init(nullptr); }
  explicit stream(const char* name) { init(name); }
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::lock_guard<std::mutex> lk(rt.mu);
    if (!q_.empty()) {
      std::fprintf(stderr, "sdhls_sim: warning: stream '%s' destroyed with %zu leftover token(s)\n", name_.c_str(),
                   q_.size());
      rt.note_leftover_unlocked();
    }
    rt.remove_stream_unlocked(this);
  }

  void set_name(const std::string& name) {
    std::lock_guard<std::mutex> lk(sdhls_sim::runtime::get().mu);
    name_ = name;
  }
  void set_depth(std::size_t depth) {
    std::lock_guard<std::mutex> lk(sdhls_sim::runtime::get().mu);
    depth_ = depth;
  }

  T read() {
    T v;
    read(v);
    return v;
  }
  void read(T& v) {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::unique_lock<std::mutex> lk(rt.mu);
    if (q_.empty()) {
      if (!rt.may_block_unlocked()) {
        throw sdhls_sim::sim_error("read on empty stream '" + name_ + "' in process '" +
                                   sdhls_sim::runtime::caller_name() +
                                   "' (producer/consumer token counts differ)");
      }
      rt.block(lk, *this, false, [this] { return !q_.empty(); });
    }
    v = q_.front();
    q_.pop_front();
    rt.progress_unlocked(*this, false);
  }
  bool read_nb(T& v) {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::lock_guard<std::mutex> lk(rt.mu);
    if (q_.empty()) return false;
    v = q_.front();
    q_.pop_front();
    rt.progress_unlocked(*this, false);
    return true;
  }
  void write(const T& v) {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::unique_lock<std::mutex> lk(rt.mu);
    if (rt.bounded_unlocked() && q_.size() >= capacity() && rt.may_block_unlocked()) {
      rt.block(lk, *this, true, [this] { return q_.size() < capacity(); });
    }
    push_unlocked(v);
    rt.progress_unlocked(*this, true);
  }
  bool write_nb(const T& v) {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::lock_guard<std::mutex> lk(rt.mu);
    if (rt.bounded_unlocked() && q_.size() >= capacity()) return false;
    push_unlocked(v);
    rt.progress_unlocked(*this, true);
    return true;
  }
  bool empty() const {
    std::lock_guard<std::mutex> lk(sdhls_sim::runtime::get().mu);
    return q_.empty();
  }
  // Always false in sequential mode (unbounded); threaded: at the declared depth.
  bool full() const {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::lock_guard<std::mutex> lk(rt.mu);
    return rt.bounded_unlocked() && q_.size() >= capacity();
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lk(sdhls_sim::runtime::get().mu);
    return q_.size();
  }
  void operator>>(T& v) { read(v); }
  void operator<<(const T& v) { write(v); }

  std::size_t occupancy_unlocked() const override { return q_.size(); }

 private:
  void init(const char* name) {
    sdhls_sim::runtime& rt = sdhls_sim::runtime::get();
    std::lock_guard<std::mutex> lk(rt.mu);
    depth_ = DEPTH;
    name_ = name ? std::string(name) : "hls::stream#" + std::to_string(rt.next_id_unlocked());
    rt.add_stream_unlocked(this);
  }
  void push_unlocked(const T& v) {
    q_.push_back(v);
    ++writes_;
    if (q_.size() > max_occupancy_) max_occupancy_ = q_.size();
  }
  std::deque<T> q_;
};

}  // namespace hls

namespace sdhls_sim {

// Name a stream (or an array of streams, "s[i][j]") and set its depth: the simulation side of
// SDHLS_STREAM(var, depth), which emits `#pragma HLS STREAM variable=var depth=N` under synthesis.
template <class T, int D>
void configure_stream(hls::stream<T, D>& s, const std::string& name, std::size_t depth) {
  s.set_name(name);
  s.set_depth(depth);
}
template <class E, std::size_t N>
void configure_stream(E (&s)[N], const std::string& name, std::size_t depth) {
  for (std::size_t i = 0; i < N; ++i) configure_stream(s[i], name + "[" + std::to_string(i) + "]", depth);
}

}  // namespace sdhls_sim

#define SDHLS_STREAM(v_, n_) ::sdhls_sim::configure_stream(v_, #v_, n_)

#endif  // SDHLS_SIM_HLS_STREAM_H
