// Optimiser configs (simulated annealing schedule, transforms, solver settings).
#include "fuzz.hpp"
#include "sparsedse/dse/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] { sparsedse::dse::read_optimiser_config(fuzz::write("optimiser.json", data, size)); });
}
