// bench_profile: the cost of sparsity profiling (docs/benchmarks.md, "Sparsity profiler").
//   1. plain inference of the calibration set (engine construction + Engine::run, top-1 only);
//   2. a one-pass profile (histograms of every conv and inner product, ReLU zeros, top-1/top-5), as
//      `sparsedse profile` runs it (profiler construction included);
//   3. the incremental profiler: its first (caching) pass, then a re-profile after raising one ReLU
//      threshold in the last stage.
// Goals: (2)/(1) <= 1.3 and (2)/(3, re-profile) >= 3. Each of 1 and 2 is run --repeat times,
// alternating, and the fastest run counts (the machine is shared; the minimum is the least disturbed).
// Wall and process CPU time are both shown: on a loaded machine wall time mostly measures the load, and
// with --threads 1 CPU time is the robust figure (with more threads it also counts OpenMP spin-waits).
//
//   bench_profile [--model M.onnx|zoo] [--dataset D.json] [--images N] [--relu NAME] [--threads N]
//                 [--numerics S] [--cache-mb MB] [--repeat R] [--verify]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include "sparsedse/common/error.hpp"
#include "sparsedse/data/dataset.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/sparsity/profiler.hpp"

using namespace sparsedse;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Wall and process CPU seconds of a phase.
struct Timer {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_seconds();
  static double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
  }
  struct Span {
    double wall, cpu;
  };
  Span elapsed() const { return {std::chrono::duration<double>(Clock::now() - wall).count(), cpu_seconds() - cpu}; }
};
using Span = Timer::Span;
Span fastest(Span a, Span b) { return {std::min(a.wall, b.wall), std::min(a.cpu, b.cpu)}; }

struct Args {
  std::string model = "models/resnet18-fmnist.onnx";
  std::string dataset = "configs/datasets/fashion-mnist-test.json";
  std::string relu;
  std::string numerics = "fixed:16.8";
  std::int64_t images = 1000;
  int threads = 0;
  std::size_t cache_mb = 2048;
  int repeat = 1;
  bool verify = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw InputError(arg, "needs a value");
      return argv[++i];
    };
    if (arg == "--model") a.model = next();
    else if (arg == "--dataset") a.dataset = next();
    else if (arg == "--images") a.images = std::stoll(next());
    else if (arg == "--relu") a.relu = next();
    else if (arg == "--threads") a.threads = std::stoi(next());
    else if (arg == "--numerics") a.numerics = next();
    else if (arg == "--cache-mb") a.cache_mb = std::size_t(std::stoll(next()));
    else if (arg == "--repeat") a.repeat = std::max(1, std::stoi(next()));
    else if (arg == "--verify") a.verify = true;
    else throw InputError(arg, "unknown argument");
  }
  return a;
}

// Default ReLU to raise: the earliest ReLU of the last stage (smallest feature map), the most expensive
// single change within that stage.
std::string last_stage_relu(const ir::Graph& graph) {
  std::string relu;
  int smallest = 1 << 30;
  for (ir::Vertex v : graph.topological_order()) {
    const ir::Layer& l = graph.layer(v);
    if (l.kind != ir::LayerKind::ReLU) continue;
    const int area = l.output_shape.rows * l.output_shape.cols;
    if (area < smallest) {
      smallest = area;
      relu = l.name;
    }
  }
  return relu;
}

// Plain inference: top-1 correct count.
std::int64_t plain_inference(const ir::Graph& graph, const engine::Numerics& numerics, const data::Dataset& calib,
                             int threads) {
  engine::Engine e(graph, numerics, threads);
  const int batch = sparsity::ProfilerOptions{}.batch;
  std::int64_t correct = 0;
  for (std::int64_t first = 0; first < calib.size(); first += batch) {
    engine::Tensor x(int(std::min<std::int64_t>(batch, calib.size() - first)), e.input_shape());
    calib.fill(first, x.batch, x.data.data());
    const engine::Tensor logits = e.run(x);
    for (int n = 0; n < x.batch; ++n) correct += engine::argmax_class(logits, n) == calib.label(first + n);
  }
  return correct;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    ir::Graph graph;
    std::string model_desc;
    if (args.model != "zoo" && fs::exists(args.model)) {
      graph = frontend::load_model(args.model);
      model_desc = args.model;
    } else {
      frontend::ZooOptions zoo;
      zoo.in_channels = 1;
      graph = frontend::zoo_model("resnet18-cifar", zoo);
      model_desc = "zoo resnet18-cifar (1 input channel, He-initialised weights; " + args.model + " not found)";
    }
    const data::Dataset calib = data::Dataset::load(fs::path(args.dataset), {0, args.images});
    const engine::Numerics numerics = engine::Numerics::parse(args.numerics);
    const std::string relu = args.relu.empty() ? last_stage_relu(graph) : args.relu;
    std::printf("model: %s, %.0f MMAC/image\ndataset: %s\nnumerics: %s, threads: %d, repeat: %d\n",
                model_desc.c_str(), double(graph.total_macs()) / 1e6, calib.describe().c_str(),
                numerics.to_string().c_str(), args.threads, args.repeat);

    sparsity::ProfilerOptions one_pass;
    one_pass.cache_bytes = 0;
    one_pass.threads = args.threads;
    Span t_plain{1e300, 1e300}, t_profile{1e300, 1e300};
    std::int64_t correct = 0;
    sparsity::ProfileResult r0;
    for (int rep = 0; rep < args.repeat; ++rep) {
      Timer plain;
      correct = plain_inference(graph, numerics, calib, args.threads);
      t_plain = fastest(t_plain, plain.elapsed());
      Timer profile;
      sparsity::Profiler single(graph, numerics, calib, one_pass);
      r0 = single.profile(engine::Thresholds{});
      t_profile = fastest(t_profile, profile.elapsed());
    }
    std::printf("%-26s %9s %9s\n", "phase", "wall s", "cpu s");
    std::printf("%-26s %9.2f %9.2f  top-1 %.2f %%\n", "plain inference", t_plain.wall, t_plain.cpu,
                100.0 * double(correct) / double(calib.size()));
    std::printf("%-26s %9.2f %9.2f  top-1 %.2f %%, %zu layers with statistics\n", "one-pass profile",
                t_profile.wall, t_profile.cpu, 100.0 * r0.top1, r0.layers.size());
    if (std::int64_t(r0.top1 * double(r0.images) + 0.5) != correct)
      throw std::runtime_error("profile top-1 differs from plain inference");

    sparsity::ProfilerOptions cached;
    cached.cache_bytes = args.cache_mb << 20;
    cached.threads = args.threads;
    Timer first;
    sparsity::Profiler incremental(graph, numerics, calib, cached);
    const sparsity::ProfileResult r1 = incremental.profile(engine::Thresholds{});
    const Span t_first = first.elapsed();
    std::printf("%-26s %9.2f %9.2f  cache %.0f MiB of %zu MiB, %zu layer outputs kept\n", "caching profile (first)",
                t_first.wall, t_first.cpu, double(incremental.cache_bytes_used()) / double(1 << 20), args.cache_mb,
                incremental.cached_layers().size());
    if (!(r1 == r0)) throw std::runtime_error("caching profile differs from the one-pass profile");

    engine::Thresholds raised;
    raised.per_relu[relu] = 0.05f;
    Timer again;
    const sparsity::ProfileResult r2 = incremental.profile(raised);
    const Span t_incr = again.elapsed();
    const auto& work = incremental.last_work();
    std::printf("%-26s %9.2f %9.2f  %s = 0.05: %lld layer runs (%lld recomputed), %zu histograms recounted, "
                "top-1 %.2f %%\n",
                "re-profile", t_incr.wall, t_incr.cpu, relu.c_str(), static_cast<long long>(work.layer_runs),
                static_cast<long long>(work.recomputed_runs), work.recounted.size(), 100.0 * r2.top1);

    if (args.verify) {
      sparsity::Profiler fresh(graph, numerics, calib, one_pass);
      const bool same = fresh.profile(raised) == r2;
      std::printf("verify: the re-profile %s a profile from scratch\n", same ? "equals" : "DIFFERS FROM");
      if (!same) return 1;
    }
    std::printf("\nprofile / plain inference:  wall %.3f, cpu %.3f  (goal <= 1.3)\n", t_profile.wall / t_plain.wall,
                t_profile.cpu / t_plain.cpu);
    std::printf("full profile / re-profile:  wall %.1f, cpu %.1f  (goal >= 3; caching first pass / re-profile: "
                "wall %.1f)\n",
                t_profile.wall / t_incr.wall, t_profile.cpu / t_incr.cpu, t_first.wall / t_incr.wall);
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 3;
  }
  return 0;
}
