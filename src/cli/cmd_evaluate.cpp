// `sparsedse evaluate`: re-evaluate a fixed design, optionally under other sparsity statistics
// (model.md §8.4 "baseline hardware": sparse layers get the new histograms, dense layers stay dense).
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/sparsity/stats.hpp"

namespace sparsedse::cli {

namespace {

struct EvaluateCommandOptions {
  std::string design;
  std::string stats;
  std::string output;
};

void run_evaluate(const EvaluateCommandOptions& o) {
  dse::Design design = dse::read_design(o.design);
  if (!o.stats.empty()) design = dse::evaluate(design, sparsity::read_stats(o.stats).result.layers);
  if (!o.output.empty()) dse::write_design(o.output, design);
  std::cout << dse::design_table(design);
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<EvaluateCommandOptions>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Re-evaluate a design, optionally with new sparsity statistics");
  cmd->add_option("DESIGN", o->design, "design file from `sparsedse optimise`")->required();
  cmd->add_option("--stats", o->stats, "sparsity statistics: the design's sparse layers take these histograms");
  cmd->add_option("-o,--output", o->output, "write the re-evaluated design here");
  cmd->callback([o] { run_evaluate(*o); });
}

}  // namespace sparsedse::cli
