#pragma once
// An analytic stand-in for the engine and the DSE, for testing the loop's control logic (rollback,
// refinement, monotonicity, resume) with answers worked out by hand. The end-to-end test runs the
// real profiler and optimiser.
//
// Network (2×4×4 input, 2 channels everywhere):
//   input → c1 → r1 → pool → pool_split ─┬→ c2 → r2 → c3 → add1 → r3 → r3_split ─┬→ c4 → r4 → c5 → add2 → r5 → gap → flatten → fc
//                                        └──────────────────────→ add1           └→ sc (1×1) ──────→ add2
// Measurer: the input windows of a Conv/IP layer L are all-zero with probability
//   z_L = min(0.95, 0.3 + 2·Σ_{r feeding L} t_r)   (c1, fed by the image: 0.05),
// and top-1 on 1000 images loses 20·max(0, t_r − knee_r) points per ReLU r (rounded to whole images; knee
// 0.05 unless the test sets one). The right images are the first ones, so a loss turns the last of them wrong.
// Hardware: layer latency 1000·(1 − z_L) cycles if the design runs L sparse (chosen when z_L ≥ 0.1 at
// optimisation time; a fixed design keeps its choice), else 1000; partitions {c1, c2, c3} and
// {c4, c5, sc, fc}; throughput = speed·10⁶ / Σ_p max latency, where every optimisation raises the
// design's `speed` by 0.5 over its warm start (1 from scratch).
#include <algorithm>
#include <cmath>

#include "sparsedse/ir/passes.hpp"
#include "sparsedse/threshold/loop.hpp"
#include "sparsedse/threshold/policy.hpp"

namespace test_world {

using namespace sparsedse;
using namespace sparsedse::threshold;

inline ir::Vertex add_layer(ir::Graph& g, const std::string& name, ir::LayerKind kind, std::vector<ir::Vertex> inputs,
                            int kernel = 0, int filters = 2) {
  ir::Layer l;
  l.name = name;
  l.kind = kind;
  l.output_tensor = name;
  if (kind == ir::LayerKind::Input) l.output_shape = {2, 4, 4};
  if (kind == ir::LayerKind::Convolution || kind == ir::LayerKind::MaxPool) {
    int pad = kernel / 2;
    l.window = {kernel, kernel, 1, 1, pad, pad, pad, pad};
  }
  if (kind == ir::LayerKind::Convolution) {
    l.filters = filters;
    l.weights = Eigen::VectorXf::Constant(filters * 2 * kernel * kernel, 0.1f);
  }
  if (kind == ir::LayerKind::InnerProduct) {
    l.filters = 3;
    l.weights = Eigen::VectorXf::Constant(3 * 2, 0.1f);
  }
  ir::Vertex v = g.add_layer(l);
  for (std::size_t port = 0; port < inputs.size(); ++port) g.connect(inputs[port], v, int(port));
  return v;
}

inline ir::Graph network() {
  using K = ir::LayerKind;
  ir::Graph g;
  g.name = "world";
  auto in = add_layer(g, "input", K::Input, {});
  auto c1 = add_layer(g, "c1", K::Convolution, {in}, 3);
  auto r1 = add_layer(g, "r1", K::ReLU, {c1});
  auto pool = add_layer(g, "pool", K::MaxPool, {r1}, 3);
  auto ps = add_layer(g, "pool_split", K::Split, {pool});
  auto c2 = add_layer(g, "c2", K::Convolution, {ps}, 3);
  auto r2 = add_layer(g, "r2", K::ReLU, {c2});
  auto c3 = add_layer(g, "c3", K::Convolution, {r2}, 3);
  auto a1 = add_layer(g, "add1", K::EltwiseAdd, {c3, ps});
  auto r3 = add_layer(g, "r3", K::ReLU, {a1});
  auto r3s = add_layer(g, "r3_split", K::Split, {r3});
  auto c4 = add_layer(g, "c4", K::Convolution, {r3s}, 3);
  auto r4 = add_layer(g, "r4", K::ReLU, {c4});
  auto c5 = add_layer(g, "c5", K::Convolution, {r4}, 3);
  auto sc = add_layer(g, "sc", K::Convolution, {r3s}, 1);
  auto a2 = add_layer(g, "add2", K::EltwiseAdd, {c5, sc});
  auto r5 = add_layer(g, "r5", K::ReLU, {a2});
  auto gap = add_layer(g, "gap", K::GlobalAveragePool, {r5});
  auto fl = add_layer(g, "flatten", K::Flatten, {gap});
  add_layer(g, "fc", K::InnerProduct, {fl});
  ir::infer_shapes(g);
  return g;
}

class WorldMeasurer : public Measurer {
 public:
  explicit WorldMeasurer(const ir::Graph& g) : g_(g) {}
  int calibrations = 0, tests = 0;
  std::map<std::string, double> knee;  // per ReLU; absent = 0.05

  double zeros_of(const std::string& layer, const ThresholdMap& t) const {
    std::vector<std::string> relus = feeding_relus(g_, g_.vertex(layer));
    if (relus.empty()) return 0.05;
    double sum = 0;
    for (const auto& r : relus) sum += t.at(r);
    return std::min(0.95, 0.3 + 2 * sum);
  }

  sparsity::ProfileResult calibrate(const ThresholdMap& t) override {
    ++calibrations;
    sparsity::ProfileResult p;
    p.images = 1000;
    double loss = 0;
    for (const auto& [r, v] : t) loss += 20 * std::max(0.0, v - (knee.count(r) ? knee.at(r) : 0.05));
    p.top1_hits = first_right(1000, std::int64_t(std::round(900 - 10 * loss)));
    p.top1 = double(std::count(p.top1_hits.begin(), p.top1_hits.end(), 1)) / 1000.0;
    p.top5 = 0.99;
    for (ir::Vertex v = 0; v < g_.size(); ++v) {
      const ir::Layer& l = g_.layer(v);
      if (!l.is_weighted()) continue;
      double z = zeros_of(l.name, t);
      ir::SparsityStats s;
      s.kernel_rows = s.kernel_cols = l.kind == ir::LayerKind::Convolution ? l.window.kernel_rows : 1;
      int bins = s.kernel_rows * s.kernel_cols + 1;
      int channels = int(l.kind == ir::LayerKind::Convolution ? l.input_shape().channels : l.input_shape().elements());
      std::vector<double> row(bins, 0.0);
      row.front() = 1 - z;
      row.back() = z;
      s.histogram.assign(channels, row);
      s.windows = 1000;
      s.mean_sparsity = z;
      p.layers[l.name] = s;
    }
    return p;
  }
  TopOneHits test_hits(const ThresholdMap& t) override {
    ++tests;
    double loss = 0;
    for (const auto& [r, v] : t) loss += 25 * std::max(0.0, v - 0.05);
    return first_right(10000, std::int64_t(std::round(8800 - 100 * loss)));
  }
  // Images [0, right) are classified right, the rest wrong: thresholds only ever lose images.
  static TopOneHits first_right(std::int64_t images, std::int64_t right) {
    TopOneHits hits(std::size_t(images), 0);
    std::fill(hits.begin(), hits.begin() + std::max<std::int64_t>(0, right), 1);
    return hits;
  }
  std::int64_t test_images() const override { return 10000; }
  std::int64_t calibration_images() const override { return 1000; }

 private:
  const ir::Graph& g_;
};

class WorldHardware : public Hardware {
 public:
  int optimisations = 0, evaluations = 0, headrooms = 0;
  // Nonzero: a re-optimisation's speed-up also depends on its seed (by seed_speed · (seed mod 4)), as an
  // annealer's result does.
  double seed_speed = 0.0;
  Measured optimise(const ir::Graph& g, const nlohmann::json* warm, std::uint64_t seed) override {
    ++optimisations;
    nlohmann::json design = {{"speed", warm ? (*warm)["speed"].get<double>() + 0.5 + seed_speed * double(seed % 4) : 1.0},
                             {"sparse", nlohmann::json::array()}};
    for (ir::Vertex v = 0; v < g.size(); ++v)
      if (g.layer(v).sparsity && g.layer(v).sparsity->mean_sparsity >= 0.1) design["sparse"].push_back(g.layer(v).name);
    return measure(design, g);
  }
  Measured evaluate(const nlohmann::json& design, const ir::Graph& g) override {
    ++evaluations;
    return measure(design, g);
  }
  // The world has no cheap layers to widen: the design comes back marked, so tests see it was asked,
  // and the mean sparsity of each layer of the limit it was given is kept.
  std::map<std::string, double> limit_sparsity;
  Measured add_headroom(const nlohmann::json& design, const ir::Graph& g, const ir::Graph& limit) override {
    ++headrooms;
    for (ir::Vertex v = 0; v < limit.size(); ++v)
      if (limit.layer(v).sparsity) limit_sparsity[limit.layer(v).name] = limit.layer(v).sparsity->mean_sparsity;
    nlohmann::json widened = design;
    widened["headroom"] = true;
    return measure(widened, g);
  }

 private:
  static Measured measure(const nlohmann::json& design, const ir::Graph& g) {
    Measured m;
    m.design = design;
    const std::vector<std::vector<std::string>> parts = {{"c1", "c2", "c3"}, {"c4", "c5", "sc", "fc"}};
    double cycles = 0;
    for (const auto& part : parts) {
      std::vector<LayerLatency> layers;
      double slowest = 0;
      for (const auto& name : part) {
        bool sparse = false;
        for (const auto& s : design["sparse"])
          if (s == name) sparse = true;
        double latency = sparse ? std::round(1000 * (1 - g.layer(name).sparsity->mean_sparsity)) : 1000;
        layers.push_back({name, latency, sparse});
        slowest = std::max(slowest, latency);
      }
      m.layers.push_back({layers});
      cycles += slowest;
    }
    m.throughput = design["speed"].get<double>() * 1e6 / cycles;
    m.latency_s = cycles / 1e8;
    m.resources = {1000.0 * design["speed"].get<double>(), 2000, 10, 20, 0};
    return m;
  }
};

}  // namespace test_world
