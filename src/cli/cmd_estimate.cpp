// `sparsedse estimate`: one hardware layer from JSON (docs/estimate.md), or a whole design
// (`--design design.json [--stats stats.json]`), evaluated by the analytical model.
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/hw/layer_spec.hpp"
#include "sparsedse/sparsity/stats.hpp"

namespace sparsedse::cli {

namespace {
struct EstimateOptions {
  std::string layer;
  std::string design;
  std::string stats;
};

void run_estimate(const EstimateOptions& o) {
  if (!o.design.empty()) {
    dse::Design design = dse::read_design(o.design);
    if (!o.stats.empty()) design = dse::evaluate(design, sparsity::read_stats(o.stats).result.layers);
    std::cout << dse::to_json(design).dump(2) << "\n";
    return;
  }
  if (o.layer.empty()) throw InputError("estimate", "give a layer JSON file or --design design.json");
  if (!o.stats.empty()) throw InputError("--stats", "only applies with --design");
  const hw::LayerSpec spec = hw::parse_layer_spec(read_json(o.layer), o.layer);
  std::cout << hw::estimate_json(spec.layer, spec.options).dump(2) << "\n";
}
}  // namespace

void add_estimate_command(CLI::App& app) {
  auto o = std::make_shared<EstimateOptions>();
  auto* cmd = app.add_subcommand("estimate", "Estimate the latency (cycles per image), pipeline depth, rates and "
                                             "resources of one hardware layer described in JSON (docs/estimate.md), "
                                             "or evaluate a whole design");
  cmd->add_option("layer", o->layer, "layer description (JSON)");
  cmd->add_option("--design", o->design, "evaluate a design written by `sparsedse optimise`");
  cmd->add_option("--stats", o->stats, "with --design: sparsity statistics for the design's sparse layers");
  cmd->callback([o]() { run_estimate(*o); });
}

}  // namespace sparsedse::cli
