// The synthesizability lint (hls.md §6): catches each banned construct at its line, ignores comments,
// strings and C-simulation-only code, and passes the sdhls library.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sparsedse/hwgen/lint.hpp"

using sparsedse::hwgen::lint_hls_source;
using sparsedse::hwgen::LintFinding;

namespace {

// "rule@line" for every finding, in order.
std::vector<std::string> summary(std::string_view text) {
  std::vector<std::string> r;
  for (const LintFinding& f : lint_hls_source(text, "t.cpp")) r.push_back(f.rule + "@" + std::to_string(f.line));
  return r;
}
using V = std::vector<std::string>;

TEST_CASE("lint: dynamic memory", "[hwgen][lint]") {
  CHECK(summary("int* p = new int[4];\ndelete[] p;\n") == V{"dynamic-memory@1", "dynamic-memory@2"});
  CHECK(summary("void* q = malloc(16);\nfree(q);\n") == V{"dynamic-memory@1", "dynamic-memory@2"});
  CHECK(summary("auto u = std::make_unique<int>(1);") == V{"dynamic-memory@1"});
  CHECK(summary("struct S { S(const S&) = delete; };").empty());  // deleted function, not a free
  CHECK(summary("x.free(1); int renew = 0;").empty());
}

TEST_CASE("lint: std containers", "[hwgen][lint]") {
  CHECK(summary("std::vector<int> v;") == V{"std-container@1"});
  CHECK(summary("\nstd :: map<int, int> m;") == V{"std-container@2"});
  CHECK(summary("std::string s; std::array<int, 3> a;") == V{"std-container@1", "std-container@1"});
  CHECK(summary("std::int64_t x = std::max(1, 2);").empty());
}

TEST_CASE("lint: direct recursion", "[hwgen][lint]") {
  CHECK(summary("int fact(int n) {\n  return n <= 1 ? 1 : n * fact(n - 1);\n}") == V{"recursion@2"});
  CHECK(summary("template <class C>\nvoid walk(int d) {\n  if (d) walk<C>(d - 1);\n}") == V{"recursion@3"});
  CHECK(summary("void f() { g(); x.f(); p->f(); }").empty());
  CHECK(summary("void read(hls::stream<int>& in) { int v = in.read(); }").empty());
  CHECK(summary("for (int i = 0; i < n; ++i) { foo(i); }").empty());
}

TEST_CASE("lint: exceptions", "[hwgen][lint]") {
  CHECK(summary("try {\n  f();\n} catch (...) {\n  throw;\n}") == V{"exception@1", "exception@3", "exception@4"});
}

TEST_CASE("lint: banned pragmas and config directives", "[hwgen][lint]") {
  CHECK(summary("#pragma HLS RESOURCE variable=w core=RAM_1P_BRAM") == V{"banned-pragma@1"});
  CHECK(summary("#pragma HLS INTERFACE ap_fifo port=x\n#pragma HLS data_pack variable=s") == V{"banned-pragma@2"});
  CHECK(summary("#pragma HLS OCCURRENCE cycle=4") == V{"banned-pragma@1"});
  CHECK(summary("#pragma HLS BIND_OP variable=p op=mul impl=dsp core = DSP48") == V{"banned-pragma@1"});
  CHECK(summary("_Pragma(\"HLS RESOURCE variable=x core=DSP48\")") == V{"banned-pragma@1"});
  CHECK(summary("_Pragma(\"HLS DATA_PACK variable=x\")") == V{"banned-pragma@1"});
  CHECK(summary("config_array_partition -maximum_size 4096") == V{"banned-pragma@1"});
  CHECK(summary("config_interface -m_axi_offset slave") == V{"banned-pragma@1"});
  CHECK(summary("#pragma HLS BIND_STORAGE variable=w type=rom_np impl=bram\n#pragma HLS PIPELINE II=1").empty());
}

TEST_CASE("lint: loops without a bound need LOOP_TRIPCOUNT", "[hwgen][lint]") {
  CHECK(summary("while (x) {\n  --x;\n}") == V{"unbounded-loop@1"});
  CHECK(summary("while (x) {\n#pragma HLS LOOP_TRIPCOUNT min=1 max=4\n  --x;\n}").empty());
  CHECK(summary("while (a) {\n  for (int i = 0; i < 3; ++i) {\n#pragma HLS LOOP_TRIPCOUNT max=3\n  }\n}") ==
        V{"unbounded-loop@1"});  // the pragma belongs to the inner loop
  CHECK(summary("do {\n  --x;\n} while (x);") == V{"unbounded-loop@1"});
  CHECK(summary("do {\n#pragma HLS LOOP_TRIPCOUNT max=9\n  --x;\n} while (x);").empty());
  CHECK(summary("for (;;) {\n  f();\n}") == V{"unbounded-loop@1"});
  CHECK(summary("while (x) --x;") == V{"unbounded-loop@1"});
  CHECK(summary("for (int i = 0; i < 8; ++i) {\n}").empty());
}

TEST_CASE("lint: comments, strings and C-simulation-only code are exempt", "[hwgen][lint]") {
  CHECK(summary("// new std::vector throw\n/* delete\n malloc( */ int x;").empty());
  CHECK(summary("const char* s = \"new std::vector try\";").empty());
  CHECK(summary("#ifndef __SYNTHESIS__\nstd::vector<int> log;\nthrow 1;\n#endif\nint y;").empty());
  CHECK(summary("#if !defined(__SYNTHESIS__)\nint* p = new int;\n#else\nint* q = new int;\n#endif") ==
        V{"dynamic-memory@4"});
  CHECK(summary("#ifdef __SYNTHESIS__\nint a;\n#else\nstd::string s;\n#endif").empty());
  CHECK(summary("#ifdef __SYNTHESIS__\nstd::string s;\n#endif") == V{"std-container@2"});
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

TEST_CASE("lint: the sdhls library passes, the simulation shim does not", "[hwgen][lint]") {
  const std::filesystem::path root(SPARSEDSE_SOURCE_DIR);
  int headers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "hwgen" / "sdhls")) {
    if (entry.path().extension() != ".hpp") continue;
    ++headers;
    const auto findings = lint_hls_source(read_text(entry.path()), entry.path().filename().string());
    for (const LintFinding& f : findings) INFO(sparsedse::hwgen::to_string(f));
    CHECK(findings.empty());
  }
  CHECK(headers >= 9);
  // An emitter-style kernel (m_axi pointers, C-sim loader under #ifndef __SYNTHESIS__) passes too.
  const std::filesystem::path kernel = root / "test" / "hwgen" / "cxx14" / "example_kernel.cpp";
  for (const LintFinding& f : lint_hls_source(read_text(kernel), "example_kernel.cpp"))
    FAIL(sparsedse::hwgen::to_string(f));
  // The shim is C-simulation code (std::deque, exceptions): the lint must see that.
  const auto shim = lint_hls_source(read_text(root / "hwgen" / "sim" / "hls_stream.h"), "hls_stream.h");
  bool container = false, exception = false;
  for (const LintFinding& f : shim) {
    container |= f.rule == "std-container";
    exception |= f.rule == "exception";
  }
  CHECK(container);
  CHECK(exception);
}

}  // namespace
