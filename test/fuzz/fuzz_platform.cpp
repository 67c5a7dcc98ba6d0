// Platform descriptions.
#include "fuzz.hpp"
#include "sparsedse/hw/platform.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] { sparsedse::hw::load_platform(fuzz::write("platform.json", data, size)); });
}
