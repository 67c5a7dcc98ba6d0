#pragma once
// Structural equality of two graphs, for round-trip tests (JSON, ONNX) and caches.
#include <string>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::ir {

// Empty when `a` and `b` are identical: the same name and layers (matched by name) with equal kinds,
// tensors, shapes, attributes, bit-equal weights and biases, equal sparsity statistics, and the same
// producers on the same ports. Otherwise a one-line description of the first difference, in `a`'s
// topological order.
std::string first_difference(const Graph& a, const Graph& b);
inline bool identical(const Graph& a, const Graph& b) { return first_difference(a, b).empty(); }

}  // namespace sparsedse::ir
