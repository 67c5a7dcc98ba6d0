// chan_permute schedules: edge colouring of a regular bipartite multigraph (hls.md §3.4).
#include "sparsedse/hwgen/permute.hpp"

#include <algorithm>
#include <stdexcept>

namespace sparsedse::hwgen {

namespace {

void check(const std::vector<int>& perm, int streams) {
  const int channels = static_cast<int>(perm.size());
  if (streams < 1 || channels % streams != 0)
    throw std::invalid_argument("channel permutation: " + std::to_string(streams) + " streams do not divide " +
                                std::to_string(channels) + " channels");
  std::vector<char> seen(perm.size(), 0);
  for (int c : perm) {
    if (c < 0 || c >= channels || seen[static_cast<std::size_t>(c)])
      throw std::invalid_argument("channel permutation: not a permutation of 0.." + std::to_string(channels - 1));
    seen[static_cast<std::size_t>(c)] = 1;
  }
}

// Kuhn's augmenting path for left vertex s over its unused edges; match[b] = edge index holding bank b.
bool augment(int s, const std::vector<std::vector<int>>& edges_of, const std::vector<int>& bank_of,
             const std::vector<char>& used, std::vector<int>& match, std::vector<int>& stream_of_edge,
             std::vector<char>& visited) {
  for (int e : edges_of[static_cast<std::size_t>(s)]) {
    if (used[static_cast<std::size_t>(e)]) continue;
    const int b = bank_of[static_cast<std::size_t>(e)];
    if (visited[static_cast<std::size_t>(b)]) continue;
    visited[static_cast<std::size_t>(b)] = 1;
    const int held = match[static_cast<std::size_t>(b)];
    if (held < 0 || augment(stream_of_edge[static_cast<std::size_t>(held)], edges_of, bank_of, used, match,
                            stream_of_edge, visited)) {
      match[static_cast<std::size_t>(b)] = e;
      return true;
    }
  }
  return false;
}

}  // namespace

bool same_stream_sets(const std::vector<int>& perm, int streams) {
  check(perm, streams);
  for (std::size_t p = 0; p < perm.size(); ++p)
    if (perm[p] % streams != static_cast<int>(p % static_cast<std::size_t>(streams))) return false;
  return true;
}

std::vector<std::vector<int>> permute_schedule(const std::vector<int>& perm, int streams) {
  check(perm, streams);
  const int channels = static_cast<int>(perm.size());
  const int per_stream = channels / streams;
  // Edge p: output stream p mod S → bank perm[p] mod S, carrying channel perm[p].
  std::vector<std::vector<int>> edges_of(static_cast<std::size_t>(streams));
  std::vector<int> bank_of(perm.size()), stream_of_edge(perm.size());
  for (int p = 0; p < channels; ++p) {
    edges_of[static_cast<std::size_t>(p % streams)].push_back(p);
    bank_of[static_cast<std::size_t>(p)] = perm[static_cast<std::size_t>(p)] % streams;
    stream_of_edge[static_cast<std::size_t>(p)] = p % streams;
  }
  std::vector<char> used(perm.size(), 0);
  std::vector<std::vector<int>> order(static_cast<std::size_t>(per_stream), std::vector<int>(streams, -1));
  for (int t = 0; t < per_stream; ++t) {
    // A perfect matching exists in every round: the remaining graph is regular of degree per_stream − t.
    std::vector<int> match(static_cast<std::size_t>(streams), -1);
    for (int s = 0; s < streams; ++s) {
      std::vector<char> visited(static_cast<std::size_t>(streams), 0);
      if (!augment(s, edges_of, bank_of, used, match, stream_of_edge, visited))
        throw std::logic_error("channel permutation: no perfect matching (the multigraph is not regular)");
    }
    for (int b = 0; b < streams; ++b) {
      const int e = match[static_cast<std::size_t>(b)];
      used[static_cast<std::size_t>(e)] = 1;
      order[static_cast<std::size_t>(t)][static_cast<std::size_t>(stream_of_edge[static_cast<std::size_t>(e)])] =
          perm[static_cast<std::size_t>(e)];
    }
  }
  return order;
}

}  // namespace sparsedse::hwgen
