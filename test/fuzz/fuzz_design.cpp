// Design files (read back, rebuilt and re-evaluated).
#include "fuzz.hpp"
#include "sparsedse/dse/design.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] { sparsedse::dse::read_design(fuzz::write("design.json", data, size)); });
}
