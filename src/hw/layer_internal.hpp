#pragma once
// Private helpers shared by the layer model's source files.
#include "sparsedse/hw/layer.hpp"

namespace sparsedse::hw {

// Resources of a layer from its module chain plus weights, bias and streaming (§6.5–§6.6); also
// fills m.weights_ram and m.weights_stream_bits_per_cycle.
Resources layer_resources(const HwLayer& layer, const ModuleChain& chain, const ModelOptions& options,
                          LayerMetrics& m);

}  // namespace sparsedse::hw
