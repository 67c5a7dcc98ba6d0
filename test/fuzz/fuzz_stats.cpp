// Sparsity statistics files (window zero histograms per convolution, model.md §5.1).
#include "fuzz.hpp"
#include "sparsedse/sparsity/stats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] { sparsedse::sparsity::read_stats(fuzz::write("stats.json", data, size)); });
}
