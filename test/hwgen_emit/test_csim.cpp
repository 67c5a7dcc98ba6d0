// End-to-end: emit HLS projects for small residual networks and ResNet-20, compile each partition with
// g++ against our shim (the generated Makefile: -std=c++14 -O2), run the testbench on 16 images and
// require every output word to equal the engine's fixed-point result (hls.md §11.4 "partition").
// The threaded mode must complete with the model's EltWise FIFO depths and report a deadlock with
// depth 2 (hls.md §7, §11.3).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "emit_util.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"

using namespace emit_test;

namespace {

const hwgen::LayerSummary& summary(const hwgen::HlsPartition& p, const std::string& name) {
  for (const auto& l : p.layers)
    if (l.name == name) return l;
  FAIL("no layer " << name);
  throw;
}

bool has_call(const hwgen::HlsPartition& p, const std::string& function) {
  for (const auto& c : p.calls)
    if (c.function == function) return true;
  return false;
}

dse::Design residual_design(const ir::Graph& g) {
  dse::Design d = start_design(g);
  fold(d, "stem", 1, 2, 3);
  fold(d, "stem_relu", 2);
  fold(d, "stem_relu_split", 4);
  fold(d, "b_conv1", 4, 2, 5);
  fold(d, "b_relu1", 2);
  fold(d, "b_conv2", 2, 4, 9);
  fold(d, "add", 4);
  fold(d, "relu", 4);
  fold(d, "gap", 2);
  fold(d, "fc", 2, 5);
  return finish_design(d, {"stem_relu"}, {{1, 2}});  // p1 reloads the fc weights in 2 passes
}

// Compile and run every partition; require PASS on all images.
void require_bit_exact(const hwgen::HlsProject& project, ScratchDir& dir, int images) {
  for (const auto& p : project.partitions) {
    const RunResult b = build_csim(dir.path, p.name);
    INFO(b.log);
    dir.keep = b.status != 0;
    REQUIRE(b.status == 0);
    const RunResult r = run_csim(dir.path, p.name);
    INFO(r.log);
    dir.keep = r.status != 0;
    REQUIRE(r.status == 0);
    REQUIRE(r.log.find(p.name + ": PASS: " + std::to_string(images) + " images") != std::string::npos);
    WARN(p.name << ": compile " << b.seconds << " s, C-sim " << r.seconds << " s");
  }
}

}  // namespace

TEST_CASE("a residual network with sparse layers in two partitions, one with weights reloading, is bit-exact "
          "in C-simulation",
          "[hwgen_emit][csim]") {
  const ir::Graph g = residual_net();
  const dse::Design d = residual_design(g);
  REQUIRE(d.partitions.size() == 2);
  const auto kind = [&](const char* n) { return d.network.layers[static_cast<std::size_t>(d.network.index(n))].kind; };
  REQUIRE(kind("b_conv1") == hw::LayerKind::convolution_sparse);
  REQUIRE(kind("b_conv2") == hw::LayerKind::convolution_sparse);
  REQUIRE(kind("fc") == hw::LayerKind::inner_product_sparse);
  REQUIRE(kind("stem") == hw::LayerKind::convolution);

  const int images = 16;
  const hwgen::HlsProject project = hwgen::build_hls_project(d, g, images_for(g, images));
  REQUIRE(project.partitions.size() == 2);
  const hwgen::HlsPartition& p1 = project.partitions[1];
  CHECK(p1.wr == 2);
  CHECK(p1.wr_layer == "fc");
  CHECK(p1.reload_calls.size() == 2);  // weights and biases (hls.md §5.2)
  // hls.md §3.4: the block input feeds a Split → chan_permute; b_conv2's producer chain is
  // b_conv1 → b_relu1 → fold; the fc is fed through an EltWise → chan_permute (one pixel).
  CHECK(summary(p1, "b_conv1").permutation == "chan_permute");
  CHECK(summary(p1, "b_conv2").permutation == "folded into b_conv1");
  CHECK(summary(p1, "fc").permutation == "chan_permute");
  CHECK(has_call(p1, "sdhls::sparse_vdot"));
  CHECK(has_call(project.partitions[0], "sdhls::vdot"));

  ScratchDir dir("residual");
  hwgen::write_hls_project(project, dir.path);
  require_bit_exact(project, dir, images);

  // Threaded bounded FIFOs with the model's shortcut depth: completes, bit-exact; the shortcut FIFO
  // held more than 2 words and never more than its depth.
  const RunResult t = run_csim(dir.path, "p1", "--threaded --fifo-report fifo.json");
  INFO(t.log);
  REQUIRE(t.status == 0);
  const nlohmann::json report = read_json(dir.path / "p1" / "fifo.json");
  std::size_t shortcut = 0, depth = 0;
  for (const auto& f : report)
    if (f["name"].get<std::string>().rfind("stem_relu_split_to_add[", 0) == 0) {
      shortcut = std::max(shortcut, f["max_occupancy"].get<std::size_t>());
      depth = f["depth"].get<std::size_t>();
    }
  CHECK(shortcut > 2);
  CHECK(shortcut <= depth);
}

TEST_CASE("the threaded C-simulation reports a deadlock when the shortcut FIFO has depth 2", "[hwgen_emit][csim]") {
  const ir::Graph g = residual_net();
  dse::Design d = residual_design(g);
  hwgen::HlsOptions options;
  options.lower.merge_fifo_depth = 2;
  const hwgen::HlsProject project = hwgen::build_hls_project(d, g, images_for(g, 2), options);
  ScratchDir dir("deadlock");
  hwgen::write_hls_project(project, dir.path);
  const RunResult b = build_csim(dir.path, "p1");
  INFO(b.log);
  REQUIRE(b.status == 0);
  // Sequential C-sim cannot see FIFO depths: still bit-exact.
  REQUIRE(run_csim(dir.path, "p1").status == 0);
  const RunResult t = run("cd '" + (dir.path / "p1").string() + "' && SDHLS_WATCHDOG_MS=300 ./build/p1_csim tb/data --threaded",
                          dir.path / "deadlock.log");
  INFO(t.log);
  CHECK(t.status != 0);
  CHECK(t.log.find("DEADLOCK") != std::string::npos);
  // With depth 2 the EltWise reads the split port directly (no relay): the split blocks on the full
  // shortcut port while the conv path starves.
  CHECK(t.log.find("stem_relu_split_out[0][0]: 2/2  writer blocked: sdhls::split") != std::string::npos);
}

TEST_CASE("pools, a thresholded ReLU, a concat, a sparse 1x1 conv and squeezes are bit-exact in C-simulation",
          "[hwgen_emit][csim]") {
  const ir::Graph g = mixed_net();
  dse::Design d = start_design(g);
  fold(d, "c1", 2, 4, 9);
  fold(d, "t1", 4);
  fold(d, "mp", 2);
  fold(d, "mp_split", 2);
  fold(d, "ca", 4, 3, 1);
  fold(d, "cb", 2, 2, 3);
  fold(d, "cat", 2);
  fold(d, "c2", 5, 2, 9);
  fold(d, "r2", 8);
  fold(d, "ap", 2);
  fold(d, "gap", 1);
  fold(d, "fc", 8, 5);
  d = finish_design(d);
  REQUIRE(d.network.layers[static_cast<std::size_t>(d.network.index("ca"))].kind == hw::LayerKind::convolution_sparse);
  REQUIRE(d.network.layers[static_cast<std::size_t>(d.network.index("t1"))].kind == hw::LayerKind::thresholded_relu);

  const int images = 16;
  const hwgen::HlsProject project = hwgen::build_hls_project(d, g, images_for(g, images));
  const hwgen::HlsPartition& p0 = project.partitions.at(0);
  for (const char* f : {"sdhls::concat", "sdhls::squeeze", "sdhls::pool", "sdhls::threshold_relu", "sdhls::glue",
                        "sdhls::nz_check", "sdhls::global_pool"})
    CHECK(has_call(p0, f));
  ScratchDir dir("mixed");
  hwgen::write_hls_project(project, dir.path);
  require_bit_exact(project, dir, images);
}

TEST_CASE("ResNet-20 from the optimiser is bit-exact in C-simulation on 16 images", "[hwgen_emit][csim][resnet20]") {
  const fs::path trained = fs::path(SPARSEDSE_SOURCE_DIR) / "models" / "resnet20-fmnist.onnx";
  frontend::ZooOptions zoo;
  zoo.in_channels = 1;
  const ir::Graph g = fs::exists(trained) ? frontend::load_model(trained) : frontend::zoo_model("resnet20-cifar", zoo);
  dse::OptimiserConfig config = dse::find_optimiser_config("default");
  dse::OptimiseOptions run_options;
  run_options.solver = dse::Solver::greedy;
  const dse::Design d = dse::optimise(g, hw::find_platform("u250"), hw::ModelOptions{}, config, run_options).design;
  const int images = 16;
  const hwgen::HlsProject project = hwgen::build_hls_project(d, g, images_for(g, images));
  ScratchDir dir("resnet20");
  hwgen::write_hls_project(project, dir.path);
  require_bit_exact(project, dir, images);
}
