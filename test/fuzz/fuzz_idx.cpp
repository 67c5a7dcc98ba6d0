// IDX datasets (split() input: the images file, then the labels file; either may be gzipped), loaded
// and preprocessed (first and last image).
#include "fuzz.hpp"
#include "sparsedse/data/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] {
    const auto [images, labels] = fuzz::split(data, size);
    sparsedse::data::DatasetSpec spec;
    spec.format = sparsedse::data::Format::Idx;
    spec.images = {fuzz::write("images.idx", images)};
    spec.labels = fuzz::write("labels.idx", labels);
    spec.pad = {1, 0, 2, 1};
    const sparsedse::data::Dataset d = sparsedse::data::Dataset::load(spec);
    d.image(0);
    d.image(d.size() - 1);
  });
}
