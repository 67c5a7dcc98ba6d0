#pragma once
// IR passes. Each pass transforms or checks a graph and says what it changed.
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::ir {

// Recompute every layer's input/output shapes from the Input layers in topological order, and check
// attribute consistency (weights size, channel counts, eltwise shapes). Throws InputError naming the layer.
void infer_shapes(Graph& graph);

// The output shape of one layer from its input_shapes and attributes (the per-layer step of
// infer_shapes; importers use it while they build a graph). Throws InputError naming the layer.
Shape output_shape_of(const Graph& graph, const Layer& layer);

// Insert an explicit Split layer `<producer>_split` after every layer with more than one consumer.
// Returns the number of Split layers inserted. Idempotent.
int insert_splits(Graph& graph);

// Structural checks: one Input at least, no cycle, ports contiguous, finite weights, thresholds ≥ 0.
void validate(const Graph& graph);

}  // namespace sparsedse::ir
