#pragma once
// Channel permutation of a sparse layer's input (hls.md §3.4, model.md §5.4).
#include <vector>

namespace sparsedse::hwgen {

// True when `perm` (position p holds channel perm[p]; position p goes to stream p mod S) gives every
// stream the same set of channels as the natural order (channel c on stream c mod S): then only the
// order inside the streams differs, which does not matter for load balance, and nothing is permuted.
bool same_stream_sets(const std::vector<int>& perm, int streams);

// The read schedule of the chan_permute module: order[t][s] is the natural channel that output
// stream s emits in cycle t of a pixel (t < C/S). Stream s emits exactly the channels
// {perm[ci·S + s]}, and in every cycle the S streams read S distinct banks (bank = channel mod S), so
// the schedule is a proper edge colouring of the S×S bipartite multigraph (streams × banks) of degree
// C/S, found as C/S successive perfect matchings (König). Deterministic. Throws std::invalid_argument
// if perm is not a permutation of 0..C−1 or S does not divide C.
std::vector<std::vector<int>> permute_schedule(const std::vector<int>& perm, int streams);

}  // namespace sparsedse::hwgen
