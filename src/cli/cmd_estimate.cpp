// `sparsedse estimate LAYER.json`: latency, pipeline depth, rates and resources of one layer
// (docs/estimate.md, model.md §4–§6).
#include <iostream>

#include <nlohmann/json.hpp>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/hw/layer_spec.hpp"

namespace sparsedse::cli {

void add_estimate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("estimate", "Estimate the latency (cycles per image), pipeline depth, rates and "
                                             "resources of one hardware layer described in JSON (docs/estimate.md)");
  auto layer = std::make_shared<std::string>();
  cmd->add_option("layer", *layer, "layer description (JSON)")->required()->check(CLI::ExistingFile);
  cmd->callback([layer]() {
    const hw::LayerSpec spec = hw::parse_layer_spec(read_json(*layer), *layer);
    std::cout << hw::estimate_json(spec.layer, spec.options).dump(2) << "\n";
  });
}

}  // namespace sparsedse::cli
