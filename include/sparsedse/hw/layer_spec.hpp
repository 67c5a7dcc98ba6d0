#pragma once
// The single-layer JSON of `sparsedse estimate LAYER.json` (docs/estimate.md) and its result.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/options.hpp"

namespace sparsedse::hw {

struct LayerSpec {
  HwLayer layer;
  ModelOptions options;  // from "semantics"
};

// Parses one layer description; `file` names the source for errors. Omitted fields take the spec
// defaults; a "sparsity" histogram makes a convolution / inner product sparse; unknown keys, bad
// values and infeasible folding factors are InputErrors naming the file and field.
LayerSpec parse_layer_spec(const nlohmann::json& j, const std::string& file);

// {"latency", "pipeline_depth", "rate_in", "rate_out", "resources": {"LUT","FF","DSP","BRAM","URAM"}}
nlohmann::json estimate_json(const HwLayer& layer, const ModelOptions& options);
nlohmann::json to_json(const Resources& r);

}  // namespace sparsedse::hw
