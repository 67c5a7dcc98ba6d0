// Thresholds files ({"default": t, "relu": {...}}) and thresholding configs, from the same input.
#include "fuzz.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/threshold/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::fs::path path = fuzz::write("thresholds.json", data, size);
  fuzz::run([&] { sparsedse::engine::Thresholds::read(path.string()); });
  return fuzz::run([&] { sparsedse::threshold::read_threshold_config(path); });
}
