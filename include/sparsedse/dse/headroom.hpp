#pragma once
// Headroom for a design that is kept while its statistics change (the "baseline hardware" of the
// thresholding loop, model.md §8.4 `fixed`). The optimiser folds every layer just fast enough for the
// statistics it was given, so the layers zeros cannot speed up (ReLU, fork, add and pooling layers,
// and the convolutions whose rate is set by reading their input) often sit at that rate: once more
// zeros make the sparse convolutions faster, one of them holds the interval and the fixed design
// cannot follow. Widening them costs LUTs; re-splitting a convolution's multipliers costs none; only a
// convolution that neither can speed up (one reading the image) takes spare multipliers of the allocation.
#include "sparsedse/dse/design.hpp"

namespace sparsedse::ir {
class Graph;
}

namespace sparsedse::dse {

// `design` (evaluated on `graph`'s statistics) refolded so that its interval on `limit` (the sparsest
// statistics it is expected to see) is as short as it gets at the least price: repeatedly, every layer
// holding a partition's interval on `limit` moves together, a DSP-free layer to its next coarse factor, a
// weighted layer to the coarse_in × coarse_out split of no larger product that is fastest on `limit` (a
// dense one with statistics also in the sparse mode), or, when none is faster, to the fewest extra
// multipliers that are. A step is kept only if it shortens that interval while the design still fits
// its allocation and its cost on `graph` rises by at most 0.1 % (a refolded layer may deepen the pipeline
// fill), so the design keeps its own throughput to within 0.1 %. Partitions, weights reloading and memory
// placement are kept.
Design add_headroom(const Design& design, const ir::Graph& graph, const ir::Graph& limit);

}  // namespace sparsedse::dse
