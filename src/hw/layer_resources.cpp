// Layer resources: module sums, weight and bias memories, off-chip streaming (model.md §6.5, §6.6, §7.3).
#include <algorithm>

#include "layer_internal.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

std::int64_t WeightMemory::stream_unit() const {
  if (unit.width == 0) return 1;
  return arrays * ceil_div(width, unit.width);
}

std::int64_t WeightMemory::stream_step(double level) const {
  if (unit.depth == 0) return 1;
  return ceil_int(level * static_cast<double>(ceil_div(depth, unit.depth)));
}

WeightMemory weight_memory(const HwLayer& l, const ModelOptions& o) {
  WeightMemory w;
  if (!is_weighted(l.kind)) return w;
  const Folding& f = l.folding;
  const std::int64_t lanes = std::int64_t{f.coarse_in} * f.coarse_out * f.coarse_group;
  const bool ip = is_inner_product(l.kind);
  const std::int64_t k2 = ip ? 1 : l.kernel_size();
  const std::int64_t c = ip ? l.workload_in() : l.channels;
  const std::int64_t per_group_filters = l.filters / l.groups;
  if (!is_sparse(l.kind)) {  // one packed array (§6.5)
    w.arrays = 1;
    w.depth = ceil_div(per_group_filters * c * k2, std::int64_t{f.fine} * lanes);
    w.width = std::int64_t{l.weight_width} * f.fine * lanes;
  } else if (o.quirks.sparse_weight_layout) {  // Q33 faithful: fine unpacked arrays per lane
    w.arrays = f.fine * lanes;
    w.depth = ceil_div(per_group_filters * c * k2, std::int64_t{f.fine} * lanes);
    w.width = l.weight_width;
  } else {  // one K²·ww-wide word per (channel, filter) of each lane (§6.6, hls.md §9.3)
    w.arrays = lanes;
    w.depth = (c / l.streams_in()) * (l.filters / (std::int64_t{f.coarse_out} * l.groups));
    w.width = k2 * l.weight_width;
  }
  if (l.double_buffered) w.depth *= 2;
  w.uram = l.use_uram;
  w.unit = w.uram ? uram_unit(w.width) : bram18_unit(w.width);
  const std::int64_t per_array = w.uram ? uram(w.depth, w.width) : bram18(w.depth, w.width, RamKind::memory);
  w.ram = per_array * w.arrays;
  if (per_array == 0 && !o.quirks.small_rom) w.rom_lut = rom_lut(w.depth, w.width) * w.arrays;  // Q15
  return w;
}

Resources layer_resources(const HwLayer& l, const ModuleChain& chain, const ModelOptions& o, LayerMetrics& m) {
  const Coefficients& beta = coefficients(o.resource_model);
  Resources r;
  for (int i = 0; i < chain.size; ++i) {
    if (chain.instances[i] == 0) continue;
    const Module& mod = chain.modules[i];
    r += resources(mod, beta) * chain.instances[i];
    // A Conv whose input is read from DRAM needs no line buffer (§6.5).
    if (mod.kind == ModuleKind::sliding_window && is_convolution(l.kind) && (l.stream_inputs & 1u))
      r.bram -= window_buffers(mod).line_bram * chain.instances[i];
  }
  if (!is_weighted(l.kind)) return r;

  const WeightMemory w = weight_memory(l, o);
  m.weights_ram = w.ram;
  std::int64_t on_chip = w.ram;
  if (l.stream_weights > 0 && w.ram > 0) {
    // §7.3: `stream_weights` RAMs move off-chip; a buffer of one unit of depth stays on chip.
    const double unit = static_cast<double>(w.stream_unit());
    const double off = std::min<double>(w.depth, l.stream_weights / unit * w.unit.depth);
    const double on = w.depth - off;
    m.weights_stream_bits_per_cycle = off * w.arrays * w.width / (on + w.unit.depth);
    on_chip = std::max<std::int64_t>(0, w.ram - l.stream_weights) + w.stream_unit();
  }
  (w.uram ? r.uram : r.bram) += on_chip;
  r.lut += w.rom_lut;

  if (l.has_bias) {  // depth ⌈F/S_out⌉, width acc·S_out
    const std::int64_t s_out = l.streams_out();
    const std::int64_t depth = ceil_div(l.filters, s_out), width = std::int64_t{l.acc_width} * s_out;
    const std::int64_t b = bram18(depth, width, RamKind::memory);
    if (b > 0) r.bram += b;
    else if (!o.quirks.small_rom) r.lut += rom_lut(depth, width);
  }
  return r;
}

}  // namespace sparsedse::hw
