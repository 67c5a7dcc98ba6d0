// JSON IR reader: the model JSON and its weights sidecar (split() input: JSON, then the sidecar).
#include "fuzz.hpp"
#include "sparsedse/frontend/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] {
    const auto [json, weights] = fuzz::split(data, size);
    const fuzz::fs::path path = fuzz::write("model.json", json);
    fuzz::write("model.weights.bin", weights);
    sparsedse::frontend::load_json_model(path);
  });
}
