#pragma once
// Sparse profiles of hardware layers from IR statistics (model.md §5.1), shared by the fixed-design
// re-evaluation (§8.4) and the dense/sparse mode transform.
#include <memory>
#include <string>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/options.hpp"
#include "sparsedse/ir/layer.hpp"

namespace sparsedse::dse {

// The profile `layer` would use with `stats`: a Convolution's C × (K²+1) histogram, or an
// InnerProduct's K² = 1 rows spread over its flattened features (as hw::build_network does).
// Throws InputError naming `where` if the statistics do not match the layer's kernel or channels.
std::shared_ptr<const hw::SparseProfile> profile_for(const hw::HwLayer& layer, const ir::SparsityStats& stats,
                                                     const std::string& where);

// The sparse kind a weighted layer may switch to under `options`, or the layer's own kind if none
// (grouped convolutions, 1×1 under `pass`, inner products when disabled).
hw::LayerKind sparse_kind_for(const hw::HwLayer& layer, const hw::ModelOptions& options);
// The dense counterpart of a (sparse) weighted kind.
hw::LayerKind dense_kind_for(hw::LayerKind kind);

}  // namespace sparsedse::dse
