// The chisel linear resource model of upstream `main` @ edfbeb6, 6 d.p. (model.md §6.3).
#include "sparsedse/hw/resources.hpp"

namespace sparsedse::hw {

namespace {

constexpr Coefficients kChisel{
    .sw_logic = {6.468405, 0, 0, 3.926594, 2.450841},
    .sw_ff = {0, 0, 20.771535, 0, 0, 0, 5.212369, 3.440206, 0, 0},
    .fork_logic = {0, 0.5, 0, 0, 5.0},
    .fork_ff = {12.0, 0, 3.0},
    .vd_logic = {2.571259, 0, 0, 0, 0, 0.972873, 0, 0, 0},
    .vd_lutram = {4.524649, 0},
    .vd_lutsr = {0.167737},
    .vd_ff = {0, 0, 0, 0, 21.368624, 1.486007, 0.182025, 0},
    .svd_logic = {0, 0, 0, 0.074392, 0.910098, 0.029494, 0.001588, 0, 0},
    .svd_lutram = {0.534851, 15.015918},
    .svd_lutsr = {0.204938},
    .svd_ff = {0, 0, 33.051202, 0.567977, 0},
    .accum_logic = {0.853533, 0, 3.51036, 0, 0, 0, 0},
    .accum_lutram = {13.673791, 0.016783, 0.925211, 0},
    .accum_ff = {0, 3.209794, 0, 0, 0.007326, 0.288851, 0},
    .glue_logic = {1.261656, 0, 0, 0},
    .glue_lutram = {8.878748, 0},
    .glue_lutsr = {0.160899, 0.195291},
    .glue_ff = {9.537512, 0.360808, 0, 0.051063, 1.028054, 0},
    .bias_logic = {0.8125},
    .bias_lutram = {0},
    .bias_ff = {2.1875, 0, 0},
    .pool_logic = {2.504765, 0.885226, 0, 0, 0, 0},
    .pool_lutram = {8.0, 0},
    .pool_ff = {0.18672, 2.15676, 5.372071, 0},
    .gpool_logic = {28.143908, 0, 0, 0, 0},
    .gpool_lutram = {8.0},
    .gpool_ff = {0, 0, 0, 0.641057, 0},
    .squeeze_logic = {0, 2.2269, 0, 0, 235.5860, 0, 3.2930, 0},
    .squeeze_lutram = {48.8293},
    .squeeze_ff = {0, 15.8739, 3.4849, 0, 5.6949, 1084.9015},
    .relu_lut = 16,
    .relu_ff = 35,
    .eltwise_lut = 49,
    .eltwise_ff = 23,
};

}  // namespace

const Coefficients& coefficients(ResourceModel model) {
  switch (model) {
    case ResourceModel::chisel_linear:
      return kChisel;
  }
  return kChisel;
}

}  // namespace sparsedse::hw
