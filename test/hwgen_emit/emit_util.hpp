#pragma once
// Small networks, hand-folded designs and the compile-and-run helper of the HLS emitter tests.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/hw/platform.hpp"
#include "sparsedse/hwgen/project.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/ir/passes.hpp"

namespace emit_test {

using namespace sparsedse;
namespace fs = std::filesystem;

// --- networks ---------------------------------------------------------------------------------------

class NetBuilder {
 public:
  NetBuilder(std::string name, int c, int h, int w, std::uint64_t seed) : rng_(seed) {
    g_.name = std::move(name);
    ir::Layer l;
    l.name = "input";
    l.kind = ir::LayerKind::Input;
    l.output_tensor = "input";
    l.output_shape = {c, h, w};
    g_.add_layer(l);
  }

  // He-normal weights and small random biases, so activations stay in the 16-bit range.
  void conv(const std::string& name, const std::string& from, int c, int f, int k, int stride, int pad, bool bias = true) {
    ir::Layer l = base(name, ir::LayerKind::Convolution);
    l.filters = f;
    l.window = {k, k, stride, stride, pad, pad, pad, pad};
    l.weights = normal(std::int64_t(f) * c * k * k, std::sqrt(2.0 / (c * k * k)));
    if (bias) l.bias = normal(f, 0.1);
    add(l, {from});
  }
  void fc(const std::string& name, const std::string& from, int inputs, int outputs) {
    ir::Layer l = base(name, ir::LayerKind::InnerProduct);
    l.filters = outputs;
    l.weights = normal(std::int64_t(inputs) * outputs, std::sqrt(2.0 / inputs));
    l.bias = normal(outputs, 0.1);
    add(l, {from});
  }
  void relu(const std::string& name, const std::string& from, float threshold = 0.0f) {
    ir::Layer l = base(name, ir::LayerKind::ReLU);
    l.threshold = threshold;
    add(l, {from});
  }
  void pool(const std::string& name, const std::string& from, bool max, int k, int stride, int pad) {
    ir::Layer l = base(name, max ? ir::LayerKind::MaxPool : ir::LayerKind::AveragePool);
    l.window = {k, k, stride, stride, pad, pad, pad, pad};
    l.count_include_pad = true;
    add(l, {from});
  }
  void layer(const std::string& name, ir::LayerKind kind, const std::vector<std::string>& from) {
    add(base(name, kind), from);
  }
  // Window histograms with per-channel zero fractions base + spread·((7c) mod C)/C (binomial over K²).
  void stats(const std::string& name, int channels, int k, double base, double spread) {
    ir::SparsityStats s;
    s.kernel_rows = s.kernel_cols = k;
    s.windows = 1000;
    const int k2 = k * k;
    for (int c = 0; c < channels; ++c) {
      const double p = std::min(0.95, base + spread * static_cast<double>((c * 7) % channels) / channels);
      std::vector<double> row(static_cast<std::size_t>(k2 + 1));
      double total = 0;
      for (int z = 0; z <= k2; ++z) {
        row[static_cast<std::size_t>(z)] =
            std::tgamma(k2 + 1.0) / (std::tgamma(z + 1.0) * std::tgamma(k2 - z + 1.0)) * std::pow(p, z) *
            std::pow(1 - p, k2 - z);
        total += row[static_cast<std::size_t>(z)];
      }
      for (double& x : row) x /= total;
      s.histogram.push_back(row);
    }
    g_.layer(name).sparsity = s;
  }
  ir::Graph finish() {
    ir::insert_splits(g_);
    ir::infer_shapes(g_);
    ir::validate(g_);
    return g_;
  }

 private:
  static ir::Layer base(const std::string& name, ir::LayerKind kind) {
    ir::Layer l;
    l.name = name;
    l.kind = kind;
    l.output_tensor = name;
    return l;
  }
  // Box-Muller on mt19937_64 (whose sequence the standard fixes): the same weights everywhere, which
  // the golden-file test needs.
  Eigen::VectorXf normal(std::int64_t n, double sigma) {
    Eigen::VectorXf v(n);
    for (std::int64_t i = 0; i < n; ++i) {
      const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1p-53;
      const double u2 = static_cast<double>(rng_() >> 11) * 0x1p-53;
      v[i] = static_cast<float>(sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2));
    }
    return v;
  }
  void add(const ir::Layer& l, const std::vector<std::string>& from) {
    const ir::Vertex v = g_.add_layer(l);
    for (std::size_t p = 0; p < from.size(); ++p) g_.connect(g_.vertex(from[p]), v, static_cast<int>(p));
  }
  ir::Graph g_;
  std::mt19937_64 rng_;
};

// A residual block with sparse layers, cut into two partitions after the stem:
// input 3×10×10 → stem (3×3, 8) → stem_relu | → split → b_conv1 (3×3, sparse) → b_relu1 → b_conv2
// (3×3, sparse) → add (+ identity) → relu → gap → flatten → fc (10, sparse InnerProduct).
inline ir::Graph residual_net() {
  NetBuilder b("resblock", 3, 10, 10, 11);
  b.conv("stem", "input", 3, 8, 3, 1, 1);
  b.relu("stem_relu", "stem");
  b.conv("b_conv1", "stem_relu", 8, 8, 3, 1, 1);
  b.relu("b_relu1", "b_conv1");
  b.conv("b_conv2", "b_relu1", 8, 8, 3, 1, 1);
  b.layer("add", ir::LayerKind::EltwiseAdd, {"b_conv2", "stem_relu"});
  b.relu("relu", "add");
  b.layer("gap", ir::LayerKind::GlobalAveragePool, {"relu"});
  b.layer("flatten", ir::LayerKind::Flatten, {"gap"});
  b.fc("fc", "flatten", 8, 10);
  b.stats("b_conv1", 8, 3, 0.2, 0.6);
  b.stats("b_conv2", 8, 3, 0.3, 0.5);
  b.stats("fc", 8, 1, 0.1, 0.6);
  return b.finish();
}

// Pools, a thresholded ReLU, a sparse 1×1 conv, a bias-free conv, a concat and a stride-2 conv:
// input 4×12×12 → c1 (3×3, 8) → t1 (t = 0.3) → mp (2×2/2) → split → {ca (1×1, 6, sparse), cb (3×3, 4,
// no bias)} → cat → c2 (3×3/2, 8) → r2 → ap (avg 3×3/1, pad 1) → gap → flatten → fc (5).
inline ir::Graph mixed_net() {
  NetBuilder b("mixed", 4, 12, 12, 23);
  b.conv("c1", "input", 4, 8, 3, 1, 1);
  b.relu("t1", "c1", 0.3f);
  b.pool("mp", "t1", true, 2, 2, 0);
  b.conv("ca", "mp", 8, 6, 1, 1, 0);
  b.conv("cb", "mp", 8, 4, 3, 1, 1, false);
  b.layer("cat", ir::LayerKind::Concat, {"ca", "cb"});
  b.conv("c2", "cat", 10, 8, 3, 2, 1);
  b.relu("r2", "c2");
  b.pool("ap", "r2", false, 3, 1, 1);
  b.layer("gap", ir::LayerKind::GlobalAveragePool, {"ap"});
  b.layer("flatten", ir::LayerKind::Flatten, {"gap"});
  b.fc("fc", "flatten", 8, 5);
  b.stats("ca", 8, 1, 0.3, 0.5);
  return b.finish();
}

// --- designs ----------------------------------------------------------------------------------------

// The start design of the optimiser (one partition, folding 1) for `platform`.
inline dse::Design start_design(const ir::Graph& g, const std::string& platform = "u250") {
  dse::OptimiserConfig config;
  config.batch_size = 16;
  return dse::initial_design(g, hw::find_platform(platform), hw::ModelOptions{}, config);
}

// Set the folding of a layer by name: {cin, cout, fine} for Conv / InnerProduct, coarse otherwise.
inline void fold(dse::Design& d, const std::string& name, int cin, int cout = 0, int fine = 1) {
  hw::HwLayer& l = d.network.layers[static_cast<std::size_t>(d.network.index(name))];
  if (hw::is_weighted(l.kind)) l.folding = hw::Folding{cin, cout, 1, fine};
  else hw::set_coarse(l, cin);
}

// Cut the single partition after each named layer, apply weights reloading factors (partition index →
// wr), evaluate, and round-trip through the design file so every test design is one `sparsedse
// optimise` could have written.
inline dse::Design finish_design(dse::Design d, const std::vector<std::string>& cuts = {},
                                 const std::map<int, int>& wr = {}) {
  std::vector<hw::Partition> parts;
  hw::Partition cur;
  cur.batch_size = d.batch_size;
  cur.enable_wr = false;
  for (int v = 0; v < d.network.size(); ++v) {
    cur.nodes.push_back(v);
    for (const std::string& c : cuts)
      if (d.network.names[static_cast<std::size_t>(v)] == c) {
        parts.push_back(cur);
        cur.nodes.clear();
      }
  }
  if (!cur.nodes.empty()) parts.push_back(cur);
  for (const auto& [p, factor] : wr) {
    parts.at(static_cast<std::size_t>(p)).enable_wr = true;
    hw::apply_weights_reloading(d.network, parts.at(static_cast<std::size_t>(p)), factor);
  }
  d.partitions = parts;
  dse::evaluate(d);
  return dse::design_from_json(dse::to_json(d), "test design");
}

// --- running generated projects -------------------------------------------------------------------

// A scratch directory removed at scope exit unless the test failed (then kept for inspection).
struct ScratchDir {
  fs::path path;
  explicit ScratchDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("sparsedse_hwgen_emit_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  bool keep = false;
  ~ScratchDir() {
    if (!keep) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

struct RunResult {
  int status = -1;
  std::string log;
  double seconds = 0;
};

// Run a shell command with stdout+stderr captured.
inline RunResult run(const std::string& command, const fs::path& log) {
  RunResult r;
  const auto t0 = std::chrono::steady_clock::now();
  r.status = std::system((command + " > '" + log.string() + "' 2>&1").c_str());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.log = ss.str();
  return r;
}

// Build a partition's C-simulation with its Makefile (g++ -std=c++14 -O2 against the shim).
inline RunResult build_csim(const fs::path& project, const std::string& partition) {
  return run("make -s -j2 -C '" + (project / partition).string() + "' build/" + partition + "_csim", project / (partition + "_build.log"));
}

// Run the testbench (optionally threaded); 0 = every output word matched.
inline RunResult run_csim(const fs::path& project, const std::string& partition, const std::string& args = "") {
  const fs::path dir = project / partition;
  return run("cd '" + dir.string() + "' && ./build/" + partition + "_csim tb/data " + args,
             project / (partition + "_run.log"));
}

// Random images for a graph's input.
inline engine::Tensor images_for(const ir::Graph& g, int n, std::uint64_t seed = 5) {
  return hwgen::random_images(g.layer(g.inputs().at(0)).output_shape, n, seed);
}

}  // namespace emit_test
