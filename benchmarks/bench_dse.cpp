// Design-space exploration (docs/benchmarks.md, "Design-space exploration"): zoo ResNet-18 and
// ResNet-50 (CIFAR) on the U250 (16 bit, 250 MHz, batch 256).
//   1. dense: throughput of each solver and its ratio to the DSP bound N_DSP·f/MACs (facts.md §3);
//   2. annealing against random search with the same number of moves, from the same cold start;
//   3. speed: moves per second per core (each move applied and evaluated), thread CPU time;
//   4. sparse (synthetic window histograms) against dense on the same platform.
//
//   bench_dse [--quick]      (--quick: shorter schedules, for a smoke run)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <chrono>

#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/frontend/zoo.hpp"

namespace {

using namespace sparsedse;

double cpu_seconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
double thread_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Binomial window histograms with a per-channel zero probability 0.3 .. 0.7 (mean 0.5) on every conv
// but the stem (whose input is the image).
void attach_histograms(ir::Graph& g) {
  for (ir::Vertex v = 0; v < g.size(); ++v) {
    ir::Layer& l = g.layer(v);
    if (l.kind != ir::LayerKind::Convolution || l.input_shape().channels <= 3) continue;
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

struct Model {
  std::string name;
  ir::Graph graph;
  double bound = 0;  // images/s
};

struct Run {
  dse::OptimiseResult result;
  double wall = 0, cpu = 0;
};

Run timed(const Model& m, const hw::Platform& platform, const dse::OptimiserConfig& config, dse::Solver solver,
          int chains, std::uint64_t seed = 1) {
  dse::OptimiseOptions run;
  run.solver = solver;
  run.chains = chains;
  run.seed = seed;
  Run r;
  const double w0 = wall_seconds(), c0 = cpu_seconds();
  r.result = dse::optimise(m.graph, platform, {}, config, run);
  r.wall = wall_seconds() - w0;
  r.cpu = cpu_seconds() - c0;
  return r;
}

void dense_table(const std::vector<Model>& models, const hw::Platform& platform, const dse::OptimiserConfig& sa) {
  std::printf("\n## Dense designs (u250, 16 bit, 250 MHz, batch 256)\n\n");
  std::printf("| model | solver | throughput (img/s) | / DSP bound | latency (s) | partitions | DSP | LUT %% | wall (s) | CPU (s) | moves |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Model& m : models) {
    struct Case {
      const char* label;
      dse::Solver solver;
      int chains;
      const dse::OptimiserConfig* config;
    };
    const dse::OptimiserConfig plain;
    // The DSP bound counts the whole device; the shipped configs allocate 90 % of it. The same search
    // with resource_allocation 1.0 shows how much of the gap to the bound is that allocation.
    dse::OptimiserConfig whole = sa;
    whole.resource_allocation = 1.0;
    const Case cases[] = {{"rule", dse::Solver::rule, 1, &sa},
                          {"greedy", dse::Solver::greedy, 1, &sa},
                          {"sa (upstream defaults)", dse::Solver::sa, 1, &plain},
                          {"sa (default.json)", dse::Solver::sa, 1, &sa},
                          {"sa (default.json, 2 chains)", dse::Solver::sa, 2, &sa},
                          {"rule (resource_allocation 1.0)", dse::Solver::rule, 1, &whole},
                          {"sa (default.json, resource_allocation 1.0)", dse::Solver::sa, 1, &whole}};
    for (const Case& c : cases) {
      const Run r = timed(m, platform, *c.config, c.solver, c.chains);
      const dse::Design& d = r.result.design;
      const hw::Resources& res = d.partition_metrics[0].resources;
      std::printf("| %s | %s | %.1f | %.3f | %.5f | %zu | %lld | %.1f | %.2f | %.2f | %lld |\n", m.name.c_str(), c.label,
                  d.metrics.throughput, d.metrics.throughput / m.bound, d.metrics.latency_s, d.partitions.size(),
                  static_cast<long long>(res.dsp), 100.0 * d.partition_metrics[0].utilisation.lut, r.wall, r.cpu,
                  static_cast<long long>(r.result.stats.moves));
      std::fflush(stdout);
    }
  }
}

void random_search_table(const std::vector<Model>& models, const hw::Platform& platform,
                         const dse::OptimiserConfig& sa) {
  std::printf("\n## Annealing vs random search (same moves, same start)\n\n");
  std::printf("Starts: cold = folding 1, one partition, memory allocated; rule = the rule-based design "
              "(what default.json's warm_start anneals from).\n\n");
  std::printf("| model | start | seed | moves | start (img/s) | SA (img/s) | random search (img/s) | SA / random |\n"
              "|---|---|---|---|---|---|---|---|\n");
  for (const Model& m : models) {
    const dse::Design start = dse::initial_design(m.graph, platform, {}, sa);
    dse::SearchState cold(start, dse::mode_table(m.graph, start.network, start.options));
    const dse::Transforms t(cold, sa);
    dse::make_feasible(cold, t, sa);  // memory allocation only: folding stays 1
    dse::SearchState rule = cold;
    dse::rule_solver(rule, t, sa);
    for (const auto& [label, base] : {std::pair<const char*, const dse::SearchState*>{"cold", &cold}, {"rule", &rule}})
      for (std::uint64_t seed = 1; seed <= 2; ++seed) {
        dse::SearchState a = *base, b = *base;
        dse::SolverStats stats;
        const auto annealed = dse::anneal(a, t, sa, seed, &stats);
        const auto random = dse::random_search(b, t, stats.moves, seed);
        std::printf("| %s | %s | %llu | %lld | %.1f | %.1f | %.1f | %.2f |\n", m.name.c_str(), label,
                    static_cast<unsigned long long>(seed), static_cast<long long>(stats.moves), -base->cost(),
                    -annealed.cost, -random.cost, annealed.cost / random.cost);
        std::fflush(stdout);
      }
  }
}

void speed_table(const Model& m, const hw::Platform& platform, const dse::OptimiserConfig& sa) {
  std::printf("\n## Speed (%s, one chain, every move applied and evaluated)\n\n", m.name.c_str());
  const dse::Design start = dse::initial_design(m.graph, platform, {}, sa);
  dse::SearchState s(start, dse::mode_table(m.graph, start.network, start.options));
  const dse::Transforms t(s, sa);
  dse::rule_solver(s, t, sa);
  dse::OptimiserConfig one = sa;
  one.annealing.iterations = 1;
  dse::SolverStats stats;
  const double c0 = thread_seconds(), w0 = wall_seconds();
  dse::anneal(s, t, one, 1, &stats);
  const double cpu = thread_seconds() - c0, wall = wall_seconds() - w0;
  std::printf("| moves | evaluations | thread CPU (s) | wall (s) | moves/s per core (CPU) | moves/s (wall) |\n|---|---|---|---|---|---|\n");
  std::printf("| %lld | %lld | %.2f | %.2f | %.0f | %.0f |\n", static_cast<long long>(stats.moves),
              static_cast<long long>(stats.evaluations), cpu, wall, stats.moves / cpu, stats.moves / wall);
}

void sparse_table(std::vector<Model>& models, const hw::Platform& platform, const dse::OptimiserConfig& sa) {
  std::printf("\n## Sparse vs dense (synthetic histograms: zero probability 0.3-0.7 per channel, mean 0.5)\n\n");
  std::printf("| model | solver | dense (img/s) | sparse (img/s) | sparse / dense | sparse layers |\n|---|---|---|---|---|---|\n");
  for (Model& m : models) {
    Model sparse{m.name, m.graph, m.bound};
    attach_histograms(sparse.graph);
    for (dse::Solver solver : {dse::Solver::rule, dse::Solver::sa}) {
      const Run dense_run = timed(m, platform, sa, solver, 1);
      const Run sparse_run = timed(sparse, platform, sa, solver, 1);
      int count = 0;
      for (const hw::HwLayer& l : sparse_run.result.design.network.layers) count += hw::is_sparse(l.kind);
      const double a = dense_run.result.design.metrics.throughput, b = sparse_run.result.design.metrics.throughput;
      std::printf("| %s | %s | %.1f | %.1f | %.2f | %d |\n", m.name.c_str(), std::string(dse::to_string(solver)).c_str(),
                  a, b, b / a, count);
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const hw::Platform platform = hw::find_platform("u250");
  dse::OptimiserConfig sa = dse::find_optimiser_config("default");
  if (quick) sa.annealing.cool = 0.999;
  std::vector<Model> models;
  for (const char* name : {"resnet18-cifar", "resnet50-cifar"}) {
    Model m{name, frontend::zoo_model(name)};
    m.bound = static_cast<double>(platform.device.dsp) * platform.clock_mhz * 1e6 / static_cast<double>(m.graph.total_macs());
    std::printf("%s: %.2f M MACs, DSP bound %.1f img/s\n", name, m.graph.total_macs() / 1e6, m.bound);
    models.push_back(std::move(m));
  }
  std::printf("default.json: %d temperature steps, %d moves per step\n", sa.annealing.temperature_steps(),
              sa.annealing.iterations);
  dense_table(models, platform, sa);
  random_search_table(models, platform, sa);
  speed_table(models[1], platform, sa);
  sparse_table(models, platform, sa);
  return 0;
}
