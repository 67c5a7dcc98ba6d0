// Feasible folding sets and fix_coarse (model.md §2.3, §7.3, §7.7).
#include <algorithm>
#include <numeric>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

FoldingSpace feasible_folding(const HwLayer& l) {
  FoldingSpace s;
  s.coarse_group = {1};
  s.fine = {1};
  if (is_convolution(l.kind)) {
    s.coarse_in = factors(l.channels / l.groups);
    s.coarse_out = factors(l.filters / l.groups);
    s.coarse_group = factors(l.groups);
    const int k2 = l.kernel_size();
    if (l.kind == LayerKind::convolution) s.fine = factors(k2);
    else if (l.kind == LayerKind::convolution_sparse) {  // any integer: a non-divisor wastes the last group
      s.fine.resize(k2);
      std::iota(s.fine.begin(), s.fine.end(), 1);
    }
  } else if (is_inner_product(l.kind)) {
    s.coarse_in = factors(static_cast<int>(l.workload_in()));
    s.coarse_out = factors(l.filters);
  } else if (l.kind == LayerKind::squeeze) {
    s.coarse_in = {l.folding.coarse_in};
    s.coarse_out = {l.folding.coarse_out};
  } else if (l.kind == LayerKind::concat) {
    int g = 0;
    for (int i = 0; i < l.ports_in; ++i) g = std::gcd(g, l.port_channels[i]);
    s.coarse_in = s.coarse_out = factors(g);
  } else {
    s.coarse_in = s.coarse_out = factors(l.channels);
  }
  return s;
}

std::vector<int> feasible_weights_reloading(const HwLayer& l) {
  if (is_convolution(l.kind)) return factors(l.filters / (l.groups * l.folding.coarse_out));
  if (is_inner_product(l.kind)) return factors(l.filters / l.folding.coarse_out);
  return {1};
}

namespace {

bool contains(const std::vector<int>& v, int x) { return std::binary_search(v.begin(), v.end(), x); }

int largest_at_most(const std::vector<int>& v, int x) {
  auto it = std::upper_bound(v.begin(), v.end(), x);
  return it == v.begin() ? v.front() : *(it - 1);
}

}  // namespace

bool is_feasible(const Folding& f, const FoldingSpace& s) {
  return contains(s.coarse_in, f.coarse_in) && contains(s.coarse_out, f.coarse_out) &&
         contains(s.coarse_group, f.coarse_group) && contains(s.fine, f.fine);
}

void fix_coarse(HwLayer& l, const FoldingSpace& s) {
  Folding& f = l.folding;
  f.coarse_in = largest_at_most(s.coarse_in, f.coarse_in);
  f.coarse_out = largest_at_most(s.coarse_out, f.coarse_out);
  f.coarse_group = largest_at_most(s.coarse_group, f.coarse_group);
  f.fine = largest_at_most(s.fine, f.fine);
  if (!is_weighted(l.kind) && l.kind != LayerKind::squeeze) f.coarse_out = f.coarse_in;
}

void set_coarse(HwLayer& l, int coarse) {
  l.folding.coarse_in = coarse;
  l.folding.coarse_out = coarse;
}

int largest_port_streams(const HwLayer& l, const FoldingSpace& s, bool input, int limit) {
  const int bound = std::min(limit, input ? l.streams_in() : l.streams_out());
  const std::vector<int>& values = input ? s.coarse_in : s.coarse_out;
  const int cg = is_convolution(l.kind) ? l.folding.coarse_group : 1;
  int best = 1;
  for (int v : values)
    if (v * cg <= bound) best = std::max(best, v * cg);
  return best;
}

}  // namespace sparsedse::hw
