// A partition kernel written the way the emitter will generate one (hls.md §2, §5.2): config structs,
// weight arrays and one DATAFLOW top of library calls. Compiled as C++14 (the Vitis dialect), once for
// C-simulation and once with -D__SYNTHESIS__, and run by test_example_kernel.cpp.
// The partition: mem_read (2 streams) → 3×3 conv (8×8×4 → 4 filters, pad 1, cin 2, cout 2, fine 3,
// bias) → threshold_relu (t = 0.1) per stream → mem_write.
#ifndef SDHLS_TEST_EXAMPLE_KERNEL_HPP
#define SDHLS_TEST_EXAMPLE_KERNEL_HPP

#include <cstdint>

#include "ap_int.h"

namespace example {

const unsigned kRows = 8, kCols = 8, kChannels = 4, kFilters = 4, kCin = 2, kCout = 2, kFine = 3;
const unsigned kCs = kChannels / kCin, kFl = kFilters / kCout, kChunks = 9 / kFine;
const unsigned kDepth = kCs * kFl * kChunks;
const int kAccWidth = 37, kAccInt = 21;  // accumulator_format({16,8}, {16,8}, 4·9) = {37, 16}
constexpr double kThreshold = 0.1;

// C-simulation loader (hls.md §2): raw weights w[f][c][k] and biases at the accumulator format.
void load_weights(const std::int64_t* weights, const std::int64_t* bias);

}  // namespace example

void example_kernel(const ap_uint<512>* in, ap_uint<512>* out, int batch);
void example_kernel_synthesis_build(const ap_uint<512>* in, ap_uint<512>* out, int batch);

#endif
