#pragma once
// Channel permutation of a sparse layer's input (model.md §5.4, hls.md §3.4): where it is realised and
// what it costs. The HLS emitter and the partition model decide with the same functions, so the model
// charges a ChannelPermute exactly where the emitter inserts a chan_permute.
#include <cstdint>
#include <vector>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/network.hpp"

namespace sparsedse::hw {

// hls.md §3.4 realisation 1: the Convolution / InnerProduct whose filters absorb the input permutation
// of weighted layer `layer`, or -1 when a chan_permute is needed. The producer must reach `layer` only
// through single-input, single-consumer channel-wise layers (ReLU, ThresholdedReLU, Pooling,
// GlobalPooling), all inside the partition `partition_nodes` (ascending network indices); it must make
// exactly the layer's input features; an InnerProduct must read a 1×1 tensor (a flattened H×W×C input
// mixes pixels and channels). Depends on the graph and the partition membership, never on the folding.
int permutation_fold_producer(const Network& network, int layer, const std::vector<int>& partition_nodes);

// H·W of the tensor an InnerProduct flattens (its producer's output; without a producer its own input
// rows·cols); 1 for every other layer.
int flattened_pixels(const Network& network, int layer);

// Whether the §5.4 interleaving puts some input feature on another stream than the natural order
// (feature j on stream j mod S); only then is a permutation realised (hls.md §3.4). The profile is in
// the IR's feature order: for `pixels` > 1 (an InnerProduct over a flattened H×W×C tensor) IR feature
// c·H·W + p is stream word p·C + c. `pixels` = 1 is a table look-up; otherwise it allocates.
bool interleaving_moves_streams(const SparseProfile& profile, int streams, int fine, bool skip, Interleaving il,
                                int pixels);
// The same for a layer at its current folding; false for a dense layer or one without statistics.
bool permutation_moves_streams(const HwLayer& layer, const ModelOptions& options, int pixels);

// The ChannelPermute auxiliary layer (§5.4, hls.md §3.4) in front of a sparse layer that reads `words`
// words per image on `streams` streams, permuted within groups of `group` words (a pixel's channels; all
// features of an InnerProduct). Cs = group/S. latency = words/S, pipeline depth = Cs, rates 1.
// Resources: S banks of 2·Cs words (bram(2·Cs, dw, memory) each, else LUTRAM), the S×S mux
// (S·dw·⌈(S−1)/3⌉ LUT: an S:1 mux per output bit from LUT6 4:1 muxes, unconfirmed), the schedule
// ROM (S·rom_lut(Cs, 16), as emitted) and S·dw output registers (docs/estimate.md).
LayerMetrics channel_permute_metrics(std::int64_t words, std::int64_t group, int streams, int data_width);

}  // namespace sparsedse::hw
