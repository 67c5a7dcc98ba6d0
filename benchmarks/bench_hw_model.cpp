// Hardware-model speed (docs/benchmarks.md, "Hardware model"): evaluations per second of a full
// ResNet-50 (CIFAR) design and of a single-layer change (re-evaluate one layer, re-aggregate its
// partition), dense and sparse, plus the allocation count on the evaluation path.
//
//   bench_hw_model [seconds per measurement, default 1]
#include <atomic>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/hw/evaluator.hpp"

namespace {

std::atomic<long long> g_allocations{0};

}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace sparsedse;

// Binomial window histograms with a per-channel zero probability (a synthetic but plausible profile).
void attach_histograms(ir::Graph& g) {
  for (ir::Vertex v = 0; v < g.size(); ++v) {
    ir::Layer& l = g.layer(v);
    if (l.kind != ir::LayerKind::Convolution || l.input_shape().channels <= 3) continue;  // not the stem
    ir::SparsityStats s;
    s.kernel_rows = l.window.kernel_rows;
    s.kernel_cols = l.window.kernel_cols;
    const int k2 = s.kernel_rows * s.kernel_cols;
    for (int c = 0; c < l.input_shape().channels; ++c) {
      const double p = 0.3 + 0.4 * (c % 7) / 6.0;
      std::vector<double> row(k2 + 1);
      for (int z = 0; z <= k2; ++z)
        row[z] = std::tgamma(k2 + 1.0) / (std::tgamma(z + 1.0) * std::tgamma(k2 - z + 1.0)) * std::pow(p, z) *
                 std::pow(1 - p, k2 - z);
      s.histogram.push_back(row);
    }
    l.sparsity = s;
  }
}

// A plausible mid-size folding: coarse factors near 8, the largest fine for dense layers and fine 2 for
// sparse ones.
void fold(hw::Network& net) {
  for (int v = 0; v < net.size(); ++v) {
    hw::HwLayer& l = net.layers[v];
    l.folding = {8, 8, 1, hw::is_sparse(l.kind) ? 2 : 64};
    hw::fix_coarse(l, net.feasible[v]);
  }
}

// CPU time of this thread: the rates are per core even on a shared machine.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <typename F>
double rate(double seconds, F&& body) {
  long long n = 0;
  const double start = cpu_seconds();
  double elapsed = 0.0;
  do {
    for (int i = 0; i < 64; ++i) body(n++);
    elapsed = cpu_seconds() - start;
  } while (elapsed < seconds);
  return static_cast<double>(n) / elapsed;
}

void run(const char* label, const ir::Graph& graph, double seconds) {
  hw::ModelOptions options;
  hw::Network net = hw::build_network(graph, options);
  fold(net);
  hw::Evaluator ev(net, hw::find_platform("u250"), options);
  const std::vector<hw::Partition> parts{hw::whole_network_partition(net, 256)};
  ev.set_partitions(parts);
  const hw::NetworkMetrics m = ev.evaluate(parts);
  int convs = 0, sparse = 0;
  std::vector<int> weighted;
  for (int v = 0; v < net.size(); ++v) {
    if (!hw::is_weighted(net.layers[v].kind)) continue;
    weighted.push_back(v);
    ++convs;
    sparse += hw::is_sparse(net.layers[v].kind);
  }
  std::printf("%s: %d layers (%d Conv/IP, %d sparse), %d squeezes, interval %lld cycles, %.1f img/s\n", label,
              net.size(), convs, sparse, ev.partition_metrics()[0].squeezes,
              static_cast<long long>(ev.partition_metrics()[0].interval), m.throughput);

  const long long before_full = g_allocations;
  const double full = rate(seconds, [&](long long) {
    ev.refresh_all();
    ev.evaluate(parts);
  });
  const long long full_allocs = g_allocations - before_full;

  // Single-layer change: alternate one layer's coarse_in between two feasible values.
  std::vector<hw::Folding> a(net.size()), b(net.size());
  for (int v : weighted) {
    a[v] = b[v] = net.layers[v].folding;
    const auto& cin = net.feasible[v].coarse_in;
    b[v].coarse_in = cin[cin.size() / 2];
  }
  const long long before_single = g_allocations;
  const double single = rate(seconds, [&](long long n) {
    const int v = weighted[n % weighted.size()];
    net.layers[v].folding = (n / weighted.size()) % 2 ? a[v] : b[v];
    ev.refresh_layer(v);
    ev.evaluate_partition(0, parts[0]);
  });
  const long long single_allocs = g_allocations - before_single;
  const double layer_only = rate(seconds, [&](long long n) {
    const int v = weighted[n % weighted.size()];
    net.layers[v].folding = (n / weighted.size()) % 2 ? a[v] : b[v];
    ev.refresh_layer(v);
  });
  std::printf("  full design evaluation        %12.0f /s  (%.2f us)\n", full, 1e6 / full);
  std::printf("  single-layer change + partition %10.0f /s  (%.2f us)\n", single, 1e6 / single);
  std::printf("  single-layer re-evaluation    %12.0f /s  (%.3f us)\n", layer_only, 1e6 / layer_only);
  std::printf("  heap allocations during the timed loops: %lld (full), %lld (single)\n", full_allocs, single_allocs);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  ir::Graph graph = frontend::zoo_model("resnet50-cifar");
  run("ResNet-50 CIFAR, dense", graph, seconds);
  attach_histograms(graph);
  run("ResNet-50 CIFAR, sparse (binomial histograms)", graph, seconds);
  return 0;
}
