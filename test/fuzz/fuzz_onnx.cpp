// ONNX importer: protobuf parse, import (op mapping, folding, shape inference, validation).
#include <sstream>

#include "fuzz.hpp"
#include "sparsedse/frontend/onnx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::run([&] {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    std::ostringstream warnings;
    const onnx::ModelProto model = sparsedse::frontend::parse_onnx(bytes, "fuzz.onnx");
    sparsedse::frontend::import_onnx(model, "fuzz.onnx", {.warnings = &warnings});
  });
}
