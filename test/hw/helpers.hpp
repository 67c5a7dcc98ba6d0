#pragma once
// Builders for the hand-computed cases of model.md §4.9, §5.9, §6.8.
#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/platform.hpp"

namespace sparsedse::hw::test {

inline HwLayer conv(int h, int w, int c, int f, int k, int stride, int pad, int cin, int cout, int fine,
                    bool bias = true, int groups = 1, int cg = 1) {
  HwLayer l;
  l.kind = LayerKind::convolution;
  l.rows = h;
  l.cols = w;
  l.channels = c;
  l.filters = f;
  l.kernel_rows = l.kernel_cols = k;
  l.stride_rows = l.stride_cols = stride;
  l.pad_top = l.pad_bottom = l.pad_left = l.pad_right = pad;
  l.groups = groups;
  l.has_bias = bias;
  l.folding = {cin, cout, cg, fine};
  return l;
}

// E1: 16×16×8 → 16, 3×3, stride 1, pad 1, cin 2, cout 4, fine 3, bias.
inline HwLayer e1() { return conv(16, 16, 8, 16, 3, 1, 1, 2, 4, 3); }

inline HwLayer simple(LayerKind kind, int h, int w, int c, int coarse) {
  HwLayer l;
  l.kind = kind;
  l.rows = h;
  l.cols = w;
  l.channels = c;
  l.folding = {coarse, coarse, 1, 1};
  return l;
}

// The U250's totals (model.md §6.9) without a shell region; tests add what else they need.
inline Platform u250_like() {
  Platform p;
  p.name = "test";
  p.device = {1728000, 3456000, 12288, 5376, 1280};
  p.usable = p.device;
  p.clock_mhz = 250;
  p.memory_bandwidth_gbps = 614.4;
  p.reconfiguration_time_s = 0.08255;
  return p;
}

}  // namespace sparsedse::hw::test
