#pragma once
// Decoding of ONNX TensorProto payloads (typed fields or little-endian raw_data) into plain vectors.
#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

namespace sparsedse::frontend {

struct ConstTensor {
  std::vector<std::int64_t> dims;   // empty for a scalar
  bool is_float = true;
  std::vector<float> floats;        // FLOAT, FLOAT16 (converted) and DOUBLE (narrowed) tensors
  std::vector<std::int64_t> ints;   // INT64 and INT32 tensors
  std::int64_t numel() const;
  std::string dims_string() const;  // "[64, 3, 3, 3]"
};

// Throws InputError naming `where` on an unsupported data type, external data, or a payload whose
// size does not match the dims.
ConstTensor decode_tensor(const onnx::TensorProto& tensor, const std::string& where);

// IEEE 754 binary16 → binary32, exact (subnormals, infinities and NaN included).
float half_to_float(std::uint16_t h);

}  // namespace sparsedse::frontend
