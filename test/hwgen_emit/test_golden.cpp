// Golden-text test of the emitted files for one small fixed network (hls.md §11.4 "emitter"): an
// emitter change shows up as a readable diff of test/data/hwgen/*.golden. After an intended change,
// regenerate them with
//   SPARSEDSE_UPDATE_GOLDEN=1 ./test_hwgen_emit "[golden]"      (run from the repository root)
// and review the diff. Also checks that emission is deterministic and that every synthesizable file
// passes the lint.
#include <catch2/catch.hpp>

#include "emit_util.hpp"
#include "sparsedse/hwgen/lint.hpp"

using namespace emit_test;

namespace {

// input 2×6×6 → c1 (3×3, 4, dense) → r1 → split → c2 (3×3, 4, sparse, fed by the split: chan_permute)
// → add (+ r1) → gap → flatten → fc (4, weights reloading in 2 passes).
ir::Graph tiny_net() {
  NetBuilder b("tiny", 2, 6, 6, 7);
  b.conv("c1", "input", 2, 4, 3, 1, 1);
  b.relu("r1", "c1");
  b.conv("c2", "r1", 4, 4, 3, 1, 1);
  b.layer("add", ir::LayerKind::EltwiseAdd, {"c2", "r1"});
  b.layer("gap", ir::LayerKind::GlobalAveragePool, {"add"});
  b.layer("flatten", ir::LayerKind::Flatten, {"gap"});
  b.fc("fc", "flatten", 4, 4);
  b.stats("c2", 4, 3, 0.2, 0.7);
  return b.finish();
}

hwgen::HlsProject tiny_project() {
  const ir::Graph g = tiny_net();
  dse::Design d = start_design(g);
  fold(d, "c1", 2, 2, 3);
  fold(d, "r1", 2);
  fold(d, "r1_split", 2);
  fold(d, "c2", 2, 1, 4);
  fold(d, "add", 2);
  fold(d, "gap", 2);
  fold(d, "fc", 2, 2);
  d = finish_design(d, {}, {{0, 2}});
  return hwgen::build_hls_project(d, g, images_for(g, 2));
}

std::string golden_name(const std::string& path) {
  std::string n = path;
  for (char& c : n)
    if (c == '/') c = '_';
  return "test/data/hwgen/tiny_" + n + ".golden";
}

}  // namespace

TEST_CASE("emitted files match the golden files", "[hwgen_emit][golden]") {
  const hwgen::HlsProject project = tiny_project();
  const bool update = std::getenv("SPARSEDSE_UPDATE_GOLDEN") != nullptr;
  int compared = 0;
  for (const hwgen::EmittedFile& f : project.files) {
    // Generated text only: not the binary data and not the copied library / shim.
    if (f.kind == hwgen::EmittedFile::Kind::data || f.path.rfind("lib/", 0) == 0 || f.path.rfind("sim/", 0) == 0)
      continue;
    const std::string golden = golden_name(f.path);
    if (update) {
      write_file_atomic(golden, f.content);
      continue;
    }
    INFO("emitted " << f.path << " differs from " << golden << " (SPARSEDSE_UPDATE_GOLDEN=1 regenerates)");
    REQUIRE(fs::exists(golden));
    CHECK(read_file(golden) == f.content);
    ++compared;
  }
  if (!update) CHECK(compared >= 15);
}

TEST_CASE("emission is deterministic and lint-clean", "[hwgen_emit][golden]") {
  const hwgen::HlsProject a = tiny_project(), b = tiny_project();
  REQUIRE(a.files.size() == b.files.size());
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    INFO(a.files[i].path);
    CHECK(a.files[i].path == b.files[i].path);
    CHECK(a.files[i].content == b.files[i].content);
  }
  int synthesizable = 0;
  for (const hwgen::EmittedFile& f : a.files) {
    if (f.kind != hwgen::EmittedFile::Kind::synthesizable) continue;
    ++synthesizable;
    INFO(f.path);
    CHECK(hwgen::lint_hls_source(f.content, f.path).empty());
  }
  CHECK(synthesizable >= 4 + 9);  // 4 generated sources + the sdhls headers
}
