// Engine throughput: images/s of Engine::run on one batch, repeated, plus peak RSS.
//
//   bench_engine [MODEL.onnx|zoo:NAME] [--batch 64] [--threads 2] [--numerics float|fixed[:W.F]]
//                [--seconds 10] [--min-runs 3] [--json] [--write-model FILE.onnx] [--gemm]
//
// Default model: zoo:resnet18-cifar with 1 input channel (full width, 1×32×32), the workload of
// docs/benchmarks.md. benchmarks/engine_vs_peers.sh runs this next to PyTorch and onnxruntime.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/common/error.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/engine/gemm.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"

using namespace sparsedse;
using Clock = std::chrono::steady_clock;

namespace {

// Process CPU time (all threads): robust to other load on the machine, unlike wall time.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

ir::Graph load(const std::string& model) {
  if (model.rfind("zoo:", 0) == 0) {
    frontend::ZooOptions o;
    o.in_channels = 1;
    return frontend::zoo_model(model.substr(4), o);
  }
  return frontend::load_model(model);
}

// GEMM kernel speed on the ResNet-18 conv shapes (M filters, K = C·9, N = 256 columns), single thread,
// B packed outside the timing.
void gemm_peak() {
  const auto& k = engine::gemm::best_kernel<float>();
  const auto& kd = engine::gemm::best_kernel<double>();
  const auto& ki = engine::gemm::best_kernel<std::int16_t>();
  for (const auto& [m, depth] : std::vector<std::pair<int, int>>{{64, 576}, {128, 1152}, {256, 2304}, {512, 4608}}) {
    const int n = 256;
    std::vector<float> a(std::size_t(m) * depth, 0.5f), b(std::size_t(depth) * n, 0.25f), c(std::size_t(m) * n);
    std::vector<double> ad(a.begin(), a.end()), bd(b.begin(), b.end()), cd(c.size());
    std::vector<std::int16_t> ai(a.size(), 3), bi(b.size(), 5);
    std::vector<std::int32_t> ci(c.size());
    auto pai = engine::gemm::pack_a(ai.data(), m, depth, depth, ki);
    engine::gemm::AlignedVector<std::int16_t> pbi;
    engine::gemm::pack_b(bi.data(), depth, n, n, ki, pbi);
    auto pa = engine::gemm::pack_a(a.data(), m, depth, depth, k);
    auto pad = engine::gemm::pack_a(ad.data(), m, depth, depth, kd);
    engine::gemm::AlignedVector<float> pb;
    engine::gemm::AlignedVector<double> pbd;
    engine::gemm::pack_b(b.data(), depth, n, n, k, pb);
    engine::gemm::pack_b(bd.data(), depth, n, n, kd, pbd);
    auto time = [&](auto&& f) {  // best of 20 (CPU time)
      f();
      double best = 1e30;
      for (int r = 0; r < 20; ++r) {
        const double t0 = cpu_seconds();
        f();
        best = std::min(best, cpu_seconds() - t0);
      }
      return 2.0 * m * n * depth / best / 1e9;
    };
    double f32 = time([&] { engine::gemm::multiply(pa, pb.data(), n, c.data(), n, k); });
    double f64 = time([&] { engine::gemm::multiply(pad, pbd.data(), n, cd.data(), n, kd); });
    double i16 = time([&] { engine::gemm::multiply(pai, pbi.data(), n, ci.data(), n, ki); });
    std::printf("gemm kernel (%s, 1 thread, %dx%dx%d): float %.1f, double %.1f, int16 (%s) %.1f GOP/s (CPU time)\n",
                engine::gemm::to_string(k.isa).c_str(), m, depth, n, f32, f64, engine::gemm::to_string(ki.isa).c_str(),
                i16);
  }
}

// The minimum over runs of each layer: the least disturbed by other processes.
struct LayerTimer : engine::ActivationObserver {
  double mark = cpu_seconds();
  std::map<std::string, double> seconds, run;
  std::map<std::string, std::int64_t> macs;
  void observe(const ir::Layer&, int, const engine::Tensor&) override { mark = cpu_seconds(); }
  void end_run() {
    for (const auto& [name, t] : run) seconds[name] = seconds.count(name) ? std::min(seconds[name], t) : t;
    run.clear();
  }
  void observe_output(const ir::Layer& l, const engine::Tensor&) override {
    run[std::string(ir::to_string(l.kind)) + " " + l.name] += cpu_seconds() - mark;
    macs[std::string(ir::to_string(l.kind)) + " " + l.name] = l.macs();
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string model = "zoo:resnet18-cifar", numerics_text = "float", write_model;
  int batch = 64, threads = 2, min_runs = 3;
  double seconds = 10.0;
  bool json = false, gemm = false, profile = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--batch") batch = std::atoi(next().c_str());
    else if (a == "--threads") threads = std::atoi(next().c_str());
    else if (a == "--numerics") numerics_text = next();
    else if (a == "--seconds") seconds = std::atof(next().c_str());
    else if (a == "--min-runs") min_runs = std::atoi(next().c_str());
    else if (a == "--json") json = true;
    else if (a == "--gemm") gemm = true;
    else if (a == "--profile") profile = true;
    else if (a == "--write-model") write_model = next();
    else if (!a.empty() && a[0] != '-') model = a;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  try {
    if (!write_model.empty()) {
      frontend::ZooOptions o;
      o.in_channels = 1;
      frontend::write_zoo_model(model.rfind("zoo:", 0) == 0 ? model.substr(4) : "resnet18-cifar", o, write_model);
      std::printf("wrote %s\n", write_model.c_str());
      return 0;
    }
    if (gemm) gemm_peak();
    const ir::Graph graph = load(model);
    const engine::Engine engine(graph, engine::Numerics::parse(numerics_text), threads);
    engine::Tensor input(batch, engine.input_shape());
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& x : input.data) x = nd(rng);
    engine.run(input);  // warm-up: thread pools, scratch buffers
    std::vector<double> times;
    const auto start = Clock::now();
    while (int(times.size()) < min_runs ||
           std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
      const auto t0 = Clock::now();
      engine::Tensor out = engine.run(input);
      times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    if (profile) {
      LayerTimer timer;
      for (int r = 0; r < std::max(1, min_runs); ++r) {
        engine.run(input, &timer);
        timer.end_run();
      }
      std::vector<std::pair<double, std::string>> rows;
      double total = 0;
      for (const auto& [name, t] : timer.seconds) {
        rows.emplace_back(t, name);
        total += t;
      }
      std::sort(rows.rbegin(), rows.rend());
      for (const auto& [t, name] : rows)
        std::printf("%8.2f ms %5.1f %% %7.1f GFLOP/s (CPU time)  %s\n", 1e3 * t, 100 * t / total,
                    timer.macs[name] ? 2.0 * double(timer.macs[name]) * batch / t / 1e9 : 0.0, name.c_str());
      std::printf("total %.1f ms CPU time per batch (sum of per-layer minima over %d runs)\n", 1e3 * total,
                  std::max(1, min_runs));
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    const double ips = batch / median;
    if (json) {
      nlohmann::json j = {{"engine", "sparsedse"},
                          {"numerics", engine.numerics().to_string()},
                          {"isa", engine::gemm::to_string(engine::gemm::best_kernel<float>().isa)},
                          {"batch", batch},
                          {"threads", threads},
                          {"runs", times.size()},
                          {"median_s", median},
                          {"images_per_s", ips},
                          {"peak_rss_mib", peak_rss_mib()}};
      std::cout << j.dump() << "\n";
    } else {
      std::printf("%s: %s, batch %d, %d threads, %s kernels: %.1f images/s (median of %zu runs, %.3f s), "
                  "%.2f GMAC/image, peak RSS %.0f MiB\n",
                  model.c_str(), engine.numerics().to_string().c_str(), batch, threads,
                  engine::gemm::to_string(engine::gemm::best_kernel<float>().isa).c_str(), ips, times.size(), median,
                  double(graph.total_macs()) / 1e9, peak_rss_mib());
    }
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
