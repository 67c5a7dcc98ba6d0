// `sparsedse optimise`: design-space exploration of a model for a platform (model.md §7), written as
// a design file; `sparsedse evaluate`'s counterpart.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/hw/platform.hpp"
#include "sparsedse/job/distribution.hpp"
#include "sparsedse/sparsity/stats.hpp"

namespace sparsedse::cli {

namespace {

struct OptimiseCommandOptions {
  std::string model;
  std::string platform = hw::kDefaultPlatform;
  std::string stats;
  std::string config = dse::kDefaultOptimiserConfig;
  std::string model_options;
  std::string warm_start;
  std::string solver = "sa";
  int chains = 1;
  std::uint64_t seed = 0;
  int batch = 0;
  bool has_seed = false, has_batch = false;
  std::string output;
};

void run_optimise(const OptimiseCommandOptions& o) {
  const dse::Solver solver = dse::solver_from_string(o.solver);
  if (o.chains < 1) throw InputError("--chains", "expected at least 1 chain");
  dse::OptimiserConfig config = dse::find_optimiser_config(o.config);
  if (o.has_batch) {
    if (o.batch < 1) throw InputError("--batch", "expected a batch size >= 1");
    config.batch_size = o.batch;
  }
  const hw::Platform platform = hw::find_platform(o.platform);
  const hw::ModelOptions options =
      o.model_options.empty() ? hw::ModelOptions{} : hw::parse_model_options(read_json(o.model_options), o.model_options);
  ir::Graph graph = frontend::load_model(o.model);
  if (!o.stats.empty()) sparsity::attach(graph, sparsity::read_stats(o.stats));

  std::optional<dse::Design> warm;
  dse::OptimiseOptions run;
  run.solver = solver;
  run.chains = o.chains;
  if (o.has_seed) run.seed = o.seed;
  if (!o.warm_start.empty()) {
    warm = dse::read_design(o.warm_start);
    run.warm_start = &*warm;
  }

  // Under mpirun the annealing chains are shared out over the ranks (chain c on rank c mod N) and rank 0
  // keeps the best, so the design equals a single process's with the same seed and chain count.
  const std::unique_ptr<job::Distribution> mpi = solver == dse::Solver::sa ? job::mpi_distribution() : nullptr;
  const auto start = std::chrono::steady_clock::now();
  dse::OptimiseResult result;
  if (mpi && mpi->size() > 1) {
    std::string mine;
    if (mpi->rank() < o.chains) {
      run.first_chain = mpi->rank();
      run.chain_stride = mpi->size();
      std::string chains;
      for (int c = run.first_chain; c < o.chains; c += run.chain_stride) chains += " " + std::to_string(c);
      std::fprintf(stderr, "optimise: rank %d of %d runs annealing chains%s\n", mpi->rank(), mpi->size(), chains.c_str());
      result = dse::optimise(graph, platform, options, config, run);
      mine = nlohmann::json{{"cost", result.design.cost()}, {"chain", result.winner_chain},
                            {"moves", result.stats.moves}, {"evaluations", result.stats.evaluations},
                            {"design", dse::to_json(result.design)}}.dump();
    }
    const std::vector<std::string> all = mpi->gather(mine);
    if (mpi->rank() != 0) return;
    nlohmann::json best;
    result.stats = {};
    for (const std::string& text : all) {
      if (text.empty()) continue;
      nlohmann::json r = nlohmann::json::parse(text);
      result.stats.moves += r.at("moves").get<std::int64_t>();
      result.stats.evaluations += r.at("evaluations").get<std::int64_t>();
      const double cost = r.at("cost").get<double>(), best_cost = best.is_null() ? 0.0 : best.at("cost").get<double>();
      if (best.is_null() || cost < best_cost || (cost == best_cost && r.at("chain") < best.at("chain"))) best = std::move(r);
    }
    result.design = dse::design_from_json(best.at("design"), "annealing chain " + best.at("chain").dump());
  } else {
    result = dse::optimise(graph, platform, options, config, run);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  dse::write_design(o.output, result.design);

  std::cout << dse::design_table(result.design);
  const double macs = static_cast<double>(graph.total_macs());
  if (macs > 0) {
    const double bound = static_cast<double>(platform.usable.dsp) * platform.clock_mhz * 1e6 / macs;
    std::printf("dense DSP bound N_DSP·f/MACs = %.1f images/s; design reaches %.3f of it\n", bound,
                result.design.metrics.throughput / bound);
  }
  std::fprintf(stderr, "%s solver: %lld moves, %lld evaluations in %.2f s; wrote %s\n",
               std::string(dse::to_string(solver)).c_str(), static_cast<long long>(result.stats.moves),
               static_cast<long long>(result.stats.evaluations), seconds, o.output.c_str());
  if (!result.design.feasible()) throw InputError(o.output, "the best design found does not fit the platform");
}

}  // namespace

void add_optimise_command(CLI::App& app) {
  auto o = std::make_shared<OptimiseCommandOptions>();
  CLI::App* cmd = app.add_subcommand("optimise", "Optimise a streaming accelerator design for a platform (partitions and folding)");
  cmd->add_option("MODEL", o->model, "model: .onnx or JSON IR (.json)")->required();
  cmd->add_option("-o,--output", o->output, "design file to write (JSON)")->required();
  cmd->add_option("--platform", o->platform, "platform name (configs/platforms) or file")->capture_default_str();
  cmd->add_option("--stats", o->stats, "sparsity statistics from `sparsedse profile` (sparse layers, model.md §3.4)");
  cmd->add_option("--config", o->config, "optimiser config name (configs/optimisers) or file")->capture_default_str();
  cmd->add_option("--model-options", o->model_options, "hardware model options file (semantics, quirks, widths)");
  cmd->add_option("--solver", o->solver, "sa (simulated annealing), greedy (partition greedy) or rule (raise the slowest node)")
      ->check(CLI::IsMember({"sa", "greedy", "rule"}))
      ->capture_default_str();
  cmd->add_option("--chains", o->chains, "independent annealing chains run in parallel; the best is kept")
      ->check(CLI::Range(1, dse::kMaxChains))
      ->capture_default_str();
  CLI::Option* seed =
      cmd->add_option("--seed", o->seed, "random seed (overrides annealing.seed); same inputs and seed, same design");
  CLI::Option* batch = cmd->add_option("--batch", o->batch, "batch size (overrides general.batch_size)");
  cmd->add_option("--warm-start", o->warm_start, "start from this design's folding and partitions");
  cmd->callback([o, seed, batch] {
    o->has_seed = seed->count() > 0;
    o->has_batch = batch->count() > 0;
    run_optimise(*o);
  });
}

}  // namespace sparsedse::cli
