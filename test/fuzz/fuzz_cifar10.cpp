// CIFAR-10 binary batches (a gzipped batch too), loaded with a subset and preprocessed.
#include "fuzz.hpp"
#include "sparsedse/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] {
    sparsedse::data::DatasetSpec spec;
    spec.format = sparsedse::data::Format::Cifar10Bin;
    spec.images = {fuzz::write("data_batch.bin", data, size)};
    spec.mean = {0.5, 0.4, 0.3};
    spec.std = {0.2, 0.25, 0.3};
    const std::int64_t offset = size >= 2 * 3073 ? 1 : 0;  // exercise the subset too
    const sparsedse::data::Dataset d = sparsedse::data::Dataset::load(spec, {.offset = offset, .limit = 3});
    d.image(0);
    d.image(d.size() - 1);
  });
}
