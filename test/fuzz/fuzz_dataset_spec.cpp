// Dataset descriptions (the JSON; the image files they name are not read).
#include "fuzz.hpp"
#include "sparsedse/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] { sparsedse::data::DatasetSpec::read(fuzz::write("dataset.json", data, size)); });
}
