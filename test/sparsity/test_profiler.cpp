// The profiler: counts against an independent recording of the engine's activations, incremental
// re-profiling bit-identical to profiles from scratch (with and without a tight cache), and the
// monotonicity of sparsity in the ReLU thresholds.
#include <filesystem>
#include <fstream>
#include <random>

#include <catch2/catch.hpp>

#include "networks.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/sparsity/profiler.hpp"
#include "sparsedse/sparsity/window_histogram.hpp"

using namespace sparsedse;
using sparsity::Profiler;
using sparsity::ProfilerOptions;
using sparsity::ProfileResult;

namespace {

// A raw-f32 calibration set of random 2x12x12 images with random labels 0..9, in a temp directory.
class RandomDataset {
 public:
  explicit RandomDataset(int images, unsigned seed = 5) {
    dir_ = std::filesystem::temp_directory_path() /
           ("sparsedse_profiler_" + std::to_string(::getpid()) + "_" + std::to_string(seed));
    std::filesystem::create_directories(dir_);
    std::mt19937 rng(seed);
    std::normal_distribution<float> pixel(0.0f, 1.0f);
    std::vector<float> px(std::size_t(images) * 2 * 12 * 12);
    for (float& v : px) v = pixel(rng);
    std::vector<std::uint8_t> labels(static_cast<std::size_t>(images));
    for (auto& l : labels) l = std::uint8_t(rng() % 10);
    std::ofstream(dir_ / "images.f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(px.data()), std::streamsize(px.size() * 4));
    std::ofstream(dir_ / "labels.u8", std::ios::binary)
        .write(reinterpret_cast<const char*>(labels.data()), std::streamsize(labels.size()));
    std::ofstream(dir_ / "set.json")
        << R"({"format": "raw-f32", "images": "images.f32", "labels": "labels.u8", "shape": [2, 12, 12]})";
    data = data::Dataset::load(dir_ / "set.json");
  }
  ~RandomDataset() { std::filesystem::remove_all(dir_); }
  data::Dataset data;

 private:
  std::filesystem::path dir_;
};

ir::Graph ten_class_net(unsigned seed, bool nonnegative) { return test::small_resnet(seed, nonnegative); }

ProfileResult from_scratch(const ir::Graph& g, const data::Dataset& d, const engine::Thresholds& t,
                           ProfilerOptions options = {}) {
  options.threads = 2;
  Profiler p(g, engine::Numerics{}, d, options);
  return p.profile(t);
}

engine::Thresholds uniform(float t) {
  engine::Thresholds th;
  th.default_threshold = t;
  return th;
}

// Records every layer input the engine shows, per layer and port, for all batches.
struct Recorder final : engine::ActivationObserver {
  std::map<std::string, std::vector<engine::Tensor>> inputs;  // port 0 only
  void observe(const ir::Layer& layer, int port, const engine::Tensor& input) override {
    if (port == 0) inputs[layer.name].push_back(input);
  }
};

}  // namespace

TEST_CASE("profile agrees with an independent count over the engine's activations", "[sparsity][profiler]") {
  RandomDataset set(23);
  ir::Graph g = ten_class_net(3, false);
  engine::Thresholds t = uniform(0.05f);
  t.per_relu["relu_b"] = 0.3f;

  ProfilerOptions options;
  options.batch = 8;
  options.threads = 2;
  Profiler profiler(g, engine::Numerics{}, set.data, options);
  const ProfileResult r = profiler.profile(t);
  CHECK(profiler.last_work().full_pass);
  CHECK(r.images == 23);

  // Reference: a plain engine run of all images at once, windows counted by naive loops.
  ir::Graph thresholded = g;
  engine::apply_thresholds(thresholded, t);
  engine::Engine e(thresholded, engine::Numerics{}, 2);
  engine::Tensor x(23, {2, 12, 12});
  set.data.fill(0, 23, x.data.data());
  Recorder rec;
  engine::Tensor logits = e.run(x, &rec);

  // Rank of the label: classes scoring higher, or equal with a lower index (ties go to the lower class).
  int top1 = 0, top5 = 0;
  std::vector<std::uint8_t> hits;
  for (int n = 0; n < 23; ++n) {
    const int label = set.data.label(n);
    const float* z = logits.image(n);
    int rank = 0;
    for (int c = 0; c < 10; ++c) rank += z[c] > z[label] || (z[c] == z[label] && c < label);
    top1 += rank == 0;
    top5 += rank < 5;
    hits.push_back(rank == 0);
  }
  CHECK(r.top1 == double(top1) / 23.0);
  CHECK(r.top1_hits == hits);
  CHECK(top1 > 0);
  CHECK(top1 < 23);  // both outcomes occur, so the per-image order is tested
  CHECK(r.top5 == double(top5) / 23.0);

  for (const char* name : {"conv_a", "conv_b", "conv_skip", "conv_g", "fc"}) {
    INFO(name);
    const ir::Layer& l = g.layer(name);
    REQUIRE(rec.inputs.count(name) == 1);
    const engine::Tensor& in = rec.inputs[name].at(0);
    const int kr = l.window.kernel_rows, kc = l.window.kernel_cols;
    const ir::Shape s = l.input_shape();
    const int channels = l.kind == ir::LayerKind::InnerProduct ? int(s.elements()) : s.channels;
    std::vector<std::vector<std::int64_t>> counts(std::size_t(channels), std::vector<std::int64_t>(kr * kc + 1, 0));
    if (l.kind == ir::LayerKind::InnerProduct) {
      for (int n = 0; n < in.batch; ++n)
        for (int e = 0; e < channels; ++e) ++counts[std::size_t(e)][in.image(n)[e] == 0.0f];
    } else {
      const ir::Window& w = l.window;
      for (int n = 0; n < in.batch; ++n)
        for (int c = 0; c < s.channels; ++c)
          for (int top = -w.pad_top; top + kr <= s.rows + w.pad_bottom; top += w.stride_rows)
            for (int left = -w.pad_left; left + kc <= s.cols + w.pad_right; left += w.stride_cols) {
              int zeros = 0;
              for (int i = top; i < top + kr; ++i)
                for (int j = left; j < left + kc; ++j)
                  zeros += (i < 0 || j < 0 || i >= s.rows || j >= s.cols) ||
                           in.image(n)[(std::size_t(c) * s.rows + i) * s.cols + j] == 0.0f;
              ++counts[std::size_t(c)][std::size_t(zeros)];
            }
    }
    CHECK(r.layers.at(name).counts == counts);
  }
  CHECK(r.layers.size() == 5);

  for (const char* relu : {"relu_a", "relu_b", "relu_c", "relu_g", "relu_d"}) {
    INFO(relu);
    // Each ReLU's output is the input of its consumer (through a split where it forks).
    const ir::Vertex v = g.vertex(relu);
    ir::Vertex consumer = g.successors(v).at(0);
    if (g.layer(consumer).kind == ir::LayerKind::Split) consumer = g.successors(consumer).at(0);
    const engine::Tensor& out = rec.inputs.at(g.layer(consumer).name).at(0);
    CHECK(r.relu_zero_fraction.at(relu) == double(sparsity::count_zeros(out)) / double(out.data.size()));
  }
  CHECK(r.relu_zero_fraction.at("relu_b") > 0.0);
}

TEST_CASE("incremental re-profiling is bit-identical to profiling from scratch", "[sparsity][profiler]") {
  RandomDataset set(21);
  ir::Graph g = ten_class_net(11, false);

  std::vector<engine::Thresholds> steps;
  engine::Thresholds t;
  steps.push_back(t);                     // plain ReLUs
  t.per_relu["relu_d"] = 0.1f;            // last ReLU only
  steps.push_back(t);
  t.per_relu["relu_b"] = 0.2f;            // a branch feeding the residual join
  steps.push_back(t);
  t.per_relu["relu_a"] = 0.05f;           // the first ReLU (everything downstream)
  t.per_relu["relu_g"] = 0.3f;
  steps.push_back(t);
  t.default_threshold = 0.15f;            // changes relu_c (the only one without its own value)
  steps.push_back(t);
  t.per_relu.erase("relu_b");             // back to the default
  steps.push_back(t);
  steps.push_back(t);                     // nothing changed

  for (std::size_t budget : {std::size_t(2) << 30, std::size_t(0), std::size_t(30000)}) {
    DYNAMIC_SECTION("cache budget " << budget) {
      ProfilerOptions options;
      options.cache_bytes = budget;
      options.batch = 5;
      options.threads = 2;
      Profiler p(g, engine::Numerics{}, set.data, options);
      if (budget == 0) CHECK(p.cached_layers() == std::vector<std::string>{"input"});
      CHECK(p.cache_bytes_used() <= std::max<std::size_t>(budget, 21 * 2 * 12 * 12 * 4));
      for (std::size_t i = 0; i < steps.size(); ++i) {
        INFO("step " << i);
        const ProfileResult incremental = p.profile(steps[i]);
        CHECK(p.last_work().full_pass == (i == 0));
        ProfilerOptions fresh_options;
        fresh_options.batch = 7;  // a different batching must not matter either
        CHECK(incremental == from_scratch(g, set.data, steps[i], fresh_options));
      }
      CHECK(p.last_work().layer_runs == 0);  // the unchanged last step reused everything
    }
  }
}

TEST_CASE("changing one late ReLU re-runs only the layers downstream of it", "[sparsity][profiler]") {
  RandomDataset set(12);
  ir::Graph g = ten_class_net(2, false);
  ProfilerOptions options;
  options.batch = 4;  // three batches
  options.threads = 2;
  Profiler p(g, engine::Numerics{}, set.data, options);
  p.profile(uniform(0.0f));
  engine::Thresholds t;
  t.per_relu["relu_d"] = 0.2f;
  p.profile(t);
  // relu_d, gap, flatten, fc: four layers per batch; only fc's histogram moves.
  CHECK_FALSE(p.last_work().full_pass);
  CHECK(p.last_work().layer_runs == 4 * 3);
  CHECK(p.last_work().recomputed_runs == 0);
  CHECK(p.last_work().recounted == std::vector<std::string>{"fc"});

  // With only the input kept, the pool feeding relu_d must be recomputed from the input as well.
  options.cache_bytes = 0;
  Profiler tight(g, engine::Numerics{}, set.data, options);
  tight.profile(uniform(0.0f));
  tight.profile(t);
  CHECK(tight.last_work().recomputed_runs > 0);
  CHECK(tight.last_work().recounted == std::vector<std::string>{"fc"});

  t.per_relu["relu_a"] = 0.1f;
  p.profile(t);
  CHECK(p.last_work().recounted == std::vector<std::string>{"conv_b", "conv_skip", "conv_g", "fc"});
}

TEST_CASE("a higher threshold never lowers sparsity", "[sparsity][profiler]") {
  RandomDataset set(16, 9);
  SECTION("uniform thresholds on a monotone network") {
    // With non-negative weights every activation is a non-decreasing function of its inputs and a
    // non-increasing one of every threshold, so no layer may lose zeros as the thresholds rise.
    ir::Graph g = ten_class_net(4, true);
    ProfilerOptions options;
    options.threads = 2;
    Profiler p(g, engine::Numerics{}, set.data, options);
    ProfileResult previous = p.profile(uniform(0.0f));
    for (float th : {0.01f, 0.03f, 0.06f, 0.1f, 0.2f, 0.5f, 1.0f}) {
      ProfileResult r = p.profile(uniform(th));
      for (const auto& [name, s] : r.layers) {
        INFO(name << " at threshold " << th);
        CHECK(s.mean_sparsity >= previous.layers.at(name).mean_sparsity);
      }
      for (const auto& [name, f] : r.relu_zero_fraction) CHECK(f >= previous.relu_zero_fraction.at(name));
      previous = r;
    }
    CHECK(previous.layers.at("conv_b").mean_sparsity > 0.5);
  }
  SECTION("the layers a ReLU feeds directly, any weights") {
    ir::Graph g = ten_class_net(8, false);
    Profiler p(g, engine::Numerics{}, set.data, {});
    ProfileResult previous = p.profile(uniform(0.0f));
    engine::Thresholds t;
    for (float th : {0.02f, 0.05f, 0.1f, 0.3f}) {
      t.per_relu["relu_a"] = th;
      ProfileResult r = p.profile(t);
      for (const char* name : {"conv_b", "conv_skip"}) {
        INFO(name << " at threshold " << th);
        CHECK(r.layers.at(name).mean_sparsity >= previous.layers.at(name).mean_sparsity);
        // Per window the zero count only grows: the mass in the all-zero bin cannot shrink.
        const auto& now = r.layers.at(name).counts;
        const auto& before = previous.layers.at(name).counts;
        for (std::size_t c = 0; c < now.size(); ++c) CHECK(now[c].back() >= before[c].back());
      }
      CHECK(r.layers.at("conv_a") == previous.layers.at("conv_a"));  // upstream of relu_a
      previous = r;
    }
  }
}

TEST_CASE("profiler rejects bad thresholds and mismatched data", "[sparsity][profiler]") {
  RandomDataset set(4);
  ir::Graph g = ten_class_net(1, false);
  Profiler p(g, engine::Numerics{}, set.data, {});
  engine::Thresholds t;
  t.per_relu["conv_a"] = 0.1f;
  CHECK_THROWS_AS(p.profile(t), InputError);
  t.per_relu = {{"relu_zz", 0.1f}};
  CHECK_THROWS_WITH(p.profile(t), Catch::Contains("relu_zz"));
  // Still usable after an error.
  CHECK(p.profile(uniform(0.0f)).images == 4);

  ir::Graph other = test::small_resnet(1, false, 10);  // expects 2x10x10 images
  CHECK_THROWS_AS(Profiler(other, engine::Numerics{}, set.data, {}), InputError);
}

TEST_CASE("float numerics profile too", "[sparsity][profiler]") {
  RandomDataset set(10);
  ir::Graph g = ten_class_net(6, false);
  engine::Numerics numerics = engine::Numerics::parse("float");
  ProfilerOptions options;
  options.threads = 2;
  Profiler p(g, numerics, set.data, options);
  p.profile(uniform(0.0f));
  engine::Thresholds t;
  t.per_relu["relu_c"] = 0.1f;
  const ProfileResult r = p.profile(t);
  Profiler fresh(g, numerics, set.data, options);
  CHECK(r == fresh.profile(t));
}

TEST_CASE("hist_source products: zero products per window and filter, against a brute-force count (Q16)",
          "[sparsity][profiler]") {
  RandomDataset set(9);
  ir::Graph g = ten_class_net(4, false);
  // Zero weights of three kinds: exact zeros, one whole filter, and weights that are non-zero in float
  // but round to 0 in the 16.8 weight format (|w| < 2^-9).
  for (ir::Vertex v = 0; v < g.size(); ++v) {
    ir::Layer& l = g.layer(v);
    if (!sparsity::has_window_statistics(l)) continue;
    const Eigen::Index per_filter = l.weights.size() / l.filters;
    for (Eigen::Index i = 0; i < l.weights.size(); ++i) {
      if (i % 5 == 0) l.weights[i] = 0.0f;
      if (i % 7 == 3) l.weights[i] = 1e-4f;
      if (i / per_filter == 1) l.weights[i] = 0.0f;
    }
  }
  const engine::Thresholds t = uniform(0.1f);
  for (const bool fixed : {false, true}) {
    INFO((fixed ? "fixed:16.8" : "float"));
    engine::Numerics numerics;
    if (!fixed) numerics.mode = engine::Numerics::Mode::Float;
    ProfilerOptions options;
    options.threads = 2;
    options.hist_source = sparsity::HistSource::products;
    const ProfileResult r = Profiler(g, numerics, set.data, options).profile(t);
    options.hist_source = sparsity::HistSource::activations;
    const ProfileResult plain = Profiler(g, numerics, set.data, options).profile(t);
    CHECK(r.top1 == plain.top1);

    ir::Graph thresholded = g;
    engine::apply_thresholds(thresholded, t);
    engine::Engine e(thresholded, numerics, 2);
    engine::Tensor x(9, {2, 12, 12});
    set.data.fill(0, 9, x.data.data());
    Recorder rec;
    e.run(x, &rec);
    for (const char* name : {"conv_a", "conv_b", "conv_skip", "conv_g", "fc"}) {
      INFO(name);
      const ir::Layer& l = g.layer(name);
      const engine::Tensor& in = rec.inputs.at(name).at(0);
      const bool ip = l.kind == ir::LayerKind::InnerProduct;
      const ir::Window w = ip ? ir::Window{} : l.window;
      const int kr = w.kernel_rows, kc = w.kernel_cols, groups = ip ? 1 : l.groups;
      const ir::Shape s = ip ? ir::Shape{int(l.input_shape().elements()), 1, 1} : l.input_shape();
      const int cg = s.channels / groups, fg = l.filters / groups;
      auto weight_zero = [&](int f, int c, int k) {
        const float value = l.weights[Eigen::Index((std::size_t(f) * cg + std::size_t(c % cg)) * (kr * kc) + k)];
        return fixed ? quantize_data(double(value), numerics.weight_format(name)) == 0 : value == 0.0f;
      };
      std::vector<std::vector<std::int64_t>> counts(std::size_t(s.channels), std::vector<std::int64_t>(kr * kc + 1, 0));
      for (int n = 0; n < in.batch; ++n)
        for (int c = 0; c < s.channels; ++c)
          for (int top = -w.pad_top; top + kr <= s.rows + w.pad_bottom; top += w.stride_rows)
            for (int left = -w.pad_left; left + kc <= s.cols + w.pad_right; left += w.stride_cols)
              for (int f = (c / cg) * fg; f < (c / cg + 1) * fg; ++f) {
                int zeros = 0;
                for (int i = top; i < top + kr; ++i)
                  for (int j = left; j < left + kc; ++j)
                    zeros += (i < 0 || j < 0 || i >= s.rows || j >= s.cols) ||
                             in.image(n)[(std::size_t(c) * s.rows + i) * s.cols + j] == 0.0f ||
                             weight_zero(f, c, (i - top) * kc + (j - left));
                ++counts[std::size_t(c)][std::size_t(zeros)];
              }
      CHECK(r.layers.at(name).counts == counts);
      // Zero weights only add zeros: never less sparse than the activations alone.
      CHECK(r.layers.at(name).mean_sparsity > plain.layers.at(name).mean_sparsity);
    }
  }
}

TEST_CASE("hist_source products without zero weights is the activation statistic, once per filter",
          "[sparsity][profiler]") {
  RandomDataset set(7);
  const ir::Graph g = ten_class_net(5, false);
  ProfilerOptions options;
  options.threads = 2;
  // Float: no weight of the random network is zero (in 16.8 fixed point some small ones round to 0).
  engine::Numerics numerics;
  numerics.mode = engine::Numerics::Mode::Float;
  const ProfileResult plain = Profiler(g, numerics, set.data, options).profile(uniform(0.0f));
  options.hist_source = sparsity::HistSource::products;
  const ProfileResult r = Profiler(g, numerics, set.data, options).profile(uniform(0.0f));
  for (const auto& [name, stats] : plain.layers) {
    INFO(name);
    const ir::Layer& l = g.layer(name);
    const std::int64_t filters_per_channel = l.filters / (l.kind == ir::LayerKind::Convolution ? l.groups : 1);
    for (std::size_t c = 0; c < stats.counts.size(); ++c)
      for (std::size_t z = 0; z < stats.counts[c].size(); ++z)
        CHECK(r.layers.at(name).counts[c][z] == stats.counts[c][z] * filters_per_channel);
    CHECK(r.layers.at(name).mean_sparsity == Approx(stats.mean_sparsity).epsilon(1e-12));
  }
}
