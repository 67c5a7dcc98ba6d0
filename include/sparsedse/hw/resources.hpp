#pragma once
// Resource vectors and the linear resource-model coefficients (model.md §6.1, §6.3).
#include <cstdint>

#include "sparsedse/hw/options.hpp"

namespace sparsedse::hw {

struct Resources {
  std::int64_t lut = 0, ff = 0, dsp = 0, bram = 0, uram = 0;  // BRAM in BRAM18 units

  Resources& operator+=(const Resources& o) {
    lut += o.lut;
    ff += o.ff;
    dsp += o.dsp;
    bram += o.bram;
    uram += o.uram;
    return *this;
  }
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator*(Resources a, std::int64_t k) {
    a.lut *= k;
    a.ff *= k;
    a.dsp *= k;
    a.bram *= k;
    a.uram *= k;
    return a;
  }
  bool operator==(const Resources&) const = default;
};

// β vectors of the linear model, one per (module, resource type). A set is swappable so that it
// can be refitted from our own synthesis reports (`resource_model`); `chisel_linear` is §6.3.
struct Coefficients {
  // SlidingWindow: Logic_LUT [st·dw, Kr−1, Kr(Kc−1), st·dw(Kr−1), st·dw·Kr(Kc−1)]
  double sw_logic[5];
  // SlidingWindow FF: [ib(rows), ib(cols), ib(ch), st·dw, st·dw·Kr·Kc, Kr·Kc, st·dw(Kr−1), st·dw·Kr(Kc−1), Kr·Kc, 1]
  double sw_ff[10];
  double fork_logic[5];  // [st·ΠK, st·dw·ΠK, st·ΠK·coarse, st·dw·ΠK·coarse, 1]
  double fork_ff[3];     // [st·ΠK, st·dw·ΠK·coarse, 1]
  double vd_logic[9];    // [fine, dw, ww, st·dw·fine, st·ww·fine, st·acc·fine, filters, ib(filters), 1]
  double vd_lutram[2];   // [lutram(ib(fine)+1, st·acc), 1]
  double vd_lutsr[1];    // [ib(fine)+1]
  double vd_ff[8];       // [acc, filters, fine, ib(filters), ib(fine)+1, st·acc·fine, st·acc, 1]
  double svd_logic[9];   // [fine, dw, ww, dw·fine, ww·fine, acc·fine, filters, ib(filters), 1]
  double svd_lutram[2];  // [lutram(ib(fine)+3, acc), 1]
  double svd_lutsr[1];   // [ib(fine)+1]
  double svd_ff[5];      // [acc, ib(filters), ib(fine)+1, acc·fine, 1]
  double accum_logic[7];   // [filters, ch, st·dw, st, ib(ch), ib(filters), 1]
  double accum_lutram[4];  // [lutram(2, st·dw), st·dw·filters, st·dw, st·filters]
  double accum_ff[7];      // [dw, st·dw, ib(ch), ib(filters), ch, filters, 1]
  double glue_logic[4];    // [st·dw·cin, st·dw·ib(cin), cin, 1]
  double glue_lutram[2];   // [lutram(ib(cin)+1, st·dw), 1]
  double glue_lutsr[2];    // [ib(cin), 1]
  double glue_ff[6];       // [cin, st·dw, ib(cin), st·dw·2^ib(cin), st·dw·cin, 1]
  double bias_logic[1];    // [st·dw]
  double bias_lutram[1];   // [st·dw·ch]
  double bias_ff[3];       // [st·dw, ib(ch), 1]
  double pool_logic[6];    // [Kr·Kc, st·dw·Kr·Kc, st·dw·ib(Kr·Kc), Kr, Kc, 1]
  double pool_lutram[2];   // [lutram(ib(Kr·Kc)+1, st·dw), 1]
  double pool_ff[4];       // [st·dw, st·dw·Kr·Kc, ib(Kr·Kc), 1]
  double gpool_logic[5];   // [acc, dw, ib(ch), ib(r·c), 1]
  double gpool_lutram[1];  // [lutram(4, dw)]
  double gpool_ff[5];      // [dw, ib(ch), ib(r·c), acc·ch, 1]
  double squeeze_logic[8];   // [buf/cin, st·dw·cout·(buf/cout), buf/cin, buf/cout, cin, cout, st·dw·cout, 1]
  double squeeze_lutram[1];  // [buffer_lutram]
  double squeeze_ff[6];      // [ib(buf/cin), buf, st·dw·cout, cout, cout·ib(buf/cout), 1]
  // Fixed-cost modules (per instance).
  std::int64_t relu_lut, relu_ff;     // ReLU, ThresholdedReLU, Pad
  std::int64_t eltwise_lut, eltwise_ff;
};

const Coefficients& coefficients(ResourceModel model);

}  // namespace sparsedse::hw
