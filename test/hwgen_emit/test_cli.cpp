// End to end through the CLI: `sparsedse emit-hls DESIGN --model MODEL -o DIR` writes the projects and
// exits 0; bad input exits 2 with a message naming the problem (docs/hls.md).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "emit_util.hpp"
#include "sparsedse/frontend/model.hpp"

using namespace emit_test;

namespace {

RunResult cli(const std::string& args, const fs::path& log) {
  RunResult r = run(std::string(SPARSEDSE_CLI_PATH) + " emit-hls " + args, log);
  r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
  return r;
}

}  // namespace

TEST_CASE("sparsedse emit-hls writes one project per partition", "[hwgen_emit][cli]") {
  ScratchDir dir("cli");
  const ir::Graph g = residual_net();
  dse::Design d = start_design(g);
  fold(d, "stem", 1, 2, 3);
  d = finish_design(d, {"stem_relu"});
  const fs::path model = dir.path / "resblock.json", design = dir.path / "design.json", out = dir.path / "out";
  frontend::save_model(g, model);
  dse::write_design(design, d);

  const RunResult r = cli("'" + design.string() + "' --model '" + model.string() + "' -o '" + out.string() + "' --images 3",
                          dir.path / "cli.log");
  INFO(r.log);
  REQUIRE(r.status == 0);
  CHECK(r.log.find("wrote") != std::string::npos);
  for (const char* f : {"Makefile", "README.md", "manifest.json", "lib/sdhls/sdhls.hpp", "sim/hls_stream.h",
                        "p0/src/p0_top.cpp", "p1/tb/p1_tb.cpp", "p1/tb/data/output.bin", "p1/scripts/link.cfg"})
    CHECK(fs::exists(out / f));
  const nlohmann::json m = read_json(out / "p1" / "manifest.json");
  CHECK(m["testbench"]["images"] == 3);
  CHECK(m["ports"]["input"]["layer"] == "stem_relu");
  CHECK(m["platform"]["part"] == "xcu250-figd2104-2L-e");
  // Three images of the 8×10×10 partition input: ⌈800/32⌉ beats of 64 bytes each.
  CHECK(fs::file_size(out / "p1" / "tb" / "data" / "input.bin") == 3 * 25 * 64);
}

TEST_CASE("sparsedse emit-hls: bad input exits 2", "[hwgen_emit][cli]") {
  ScratchDir dir("cli_bad");
  const ir::Graph g = residual_net();
  const dse::Design d = finish_design(start_design(g));
  const fs::path design = dir.path / "design.json", other = dir.path / "mixed.json";
  dse::write_design(design, d);
  frontend::save_model(mixed_net(), other);
  RunResult r = cli("'" + design.string() + "' --model '" + other.string() + "' -o '" + (dir.path / "o").string() + "'",
                    dir.path / "a.log");
  CHECK(r.status == 2);
  CHECK(r.log.find("expects 4x12x12") == std::string::npos);  // the model's own input shape is used
  CHECK(r.log.find("not in the model") != std::string::npos);
  r = cli("'" + design.string() + "' -o '" + (dir.path / "o").string() + "'", dir.path / "b.log");
  CHECK(r.status == 2);
  CHECK(r.log.find("--model") != std::string::npos);  // "resblock" is neither a file nor a zoo name
  r = cli("'" + design.string() + "' --images 0 -o '" + (dir.path / "o").string() + "'", dir.path / "c.log");
  CHECK(r.status == 2);
}
