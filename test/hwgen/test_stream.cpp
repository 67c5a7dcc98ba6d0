// hls::stream shim: sequential semantics (empty read is an error, leftovers are reported) and the
// threaded bounded-FIFO mode (blocking, max occupancy, deadlock watchdog, error propagation).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "hls_stream.h"

namespace {

using sdhls_sim::mode;

void producer(hls::stream<int>& out, int n) {
  for (int i = 0; i < n; ++i) out.write(i);
}
// Scalars are copied into a DATAFLOW process (like loop indices); results come back through a struct.
struct Total {
  long long value = 0;
};
void consumer(hls::stream<int>& in, int n, Total& sum) {
  for (int i = 0; i < n; ++i) sum.value += in.read();
}
void reads_first(hls::stream<int>& in, hls::stream<int>& out) {
  const int v = in.read();  // both processes read before writing: a cycle with no token
  out.write(v);
}
void too_many_reads(hls::stream<int>& in) {
  for (int i = 0; i < 3; ++i) (void)in.read();
}
void failing(hls::stream<int>&) { throw std::runtime_error("module failed"); }

TEST_CASE("sequential streams: FIFO order, non-blocking calls, operators", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::sequential);
  hls::stream<int> s("s");
  CHECK(s.empty());
  CHECK_FALSE(s.full());  // unbounded
  for (int i = 0; i < 5; ++i) s << i;
  CHECK(s.size() == 5);
  int v = -1;
  s >> v;
  CHECK(v == 0);
  CHECK(s.read() == 1);
  CHECK(s.read_nb(v));
  CHECK(v == 2);
  CHECK(s.write_nb(9));
  CHECK(s.read() == 3);
  CHECK(s.read() == 4);
  CHECK(s.read() == 9);
  CHECK_FALSE(s.read_nb(v));
}

TEST_CASE("reading an empty stream is an error naming the stream and the process", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::sequential);
  hls::stream<int> fifo("fifo_a");
  try {
    (void)fifo.read();
    FAIL("no error");
  } catch (const sdhls_sim::sim_error& e) {
    CHECK(std::string(e.what()).find("fifo_a") != std::string::npos);
    CHECK(std::string(e.what()).find("testbench") != std::string::npos);
  }
  fifo.write(1);
  fifo.write(2);
  try {
    SDHLS_DATAFLOW(too_many_reads, fifo);
    FAIL("no error");
  } catch (const sdhls_sim::sim_error& e) {
    CHECK(std::string(e.what()).find("too_many_reads") != std::string::npos);
  }
}

TEST_CASE("a stream destroyed with data left is reported", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::sequential);
  const std::size_t before = sdhls_sim::leftover_streams();
  {
    hls::stream<int> s("left_over");
    s.write(1);
  }
  CHECK(sdhls_sim::leftover_streams() == before + 1);
  {
    hls::stream<int> s("drained");
    s.write(1);
    (void)s.read();
  }
  CHECK(sdhls_sim::leftover_streams() == before + 1);
}

TEST_CASE("threaded mode: bounded FIFOs block and record their maximum occupancy", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::threaded);
  sdhls_sim::reset_fifo_report();
  Total sum;
  {
    hls::stream<int> link;
    SDHLS_STREAM(link, 3);
    hls::stream<int, 5> link2("link2");
    const int n = 2000;
    SDHLS_DATAFLOW(producer, link, n);
    SDHLS_DATAFLOW(consumer, link, n, sum);
    SDHLS_DATAFLOW_END();
    CHECK(link.empty());
    CHECK(link.declared_depth() == 3);
    CHECK(link2.declared_depth() == 5);
  }
  CHECK(sum.value == 1999LL * 2000 / 2);
  CHECK(sdhls_sim::max_occupancy("link") >= 1);
  CHECK(sdhls_sim::max_occupancy("link") <= 3);  // never above the depth
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sdhls_fifo_report_" + std::to_string(::getpid()) + ".json")).string();
  sdhls_sim::write_fifo_report(path);
  std::ifstream is(path);
  std::stringstream text;
  text << is.rdbuf();
  CHECK(text.str().find("\"name\": \"link\", \"depth\": 3") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("threaded mode: the watchdog reports a deadlock with the blocked processes", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::threaded);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(100));
  sdhls_sim::set_throw_on_deadlock(true);
  hls::stream<int> ab("a_to_b"), ba("b_to_a");
  SDHLS_DATAFLOW(reads_first, ba, ab);
  SDHLS_DATAFLOW(reads_first, ab, ba);
  try {
    SDHLS_DATAFLOW_END();
    FAIL("no deadlock reported");
  } catch (const sdhls_sim::deadlock_error& e) {
    const std::string& r = e.report();
    CHECK(r.find("a_to_b: 0/2  reader blocked: reads_first") != std::string::npos);
    CHECK(r.find("b_to_a: 0/2  reader blocked: reads_first") != std::string::npos);
  }
  // A token-count mismatch starves the consumer: also reported.
  hls::stream<int> short_link("short_link");
  Total sum;
  SDHLS_DATAFLOW(producer, short_link, 3);
  SDHLS_DATAFLOW(consumer, short_link, 4, sum);
  CHECK_THROWS_AS(SDHLS_DATAFLOW_END(), sdhls_sim::deadlock_error);
  sdhls_sim::set_throw_on_deadlock(false);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(2000));
}

TEST_CASE("threaded mode: an exception in a process is rethrown at the end of the region", "[hwgen][stream]") {
  sdhls_sim::scoped_mode m(mode::threaded);
  sdhls_sim::set_watchdog(std::chrono::milliseconds(100));
  hls::stream<int> s("s_err");
  Total sum;
  SDHLS_DATAFLOW(failing, s);
  SDHLS_DATAFLOW(consumer, s, 1, sum);  // blocked forever unless torn down
  CHECK_THROWS_WITH(SDHLS_DATAFLOW_END(), "module failed");
  sdhls_sim::set_watchdog(std::chrono::milliseconds(2000));
}

}  // namespace
