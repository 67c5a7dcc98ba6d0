#include "onnx_tensor.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "sparsedse/common/error.hpp"

namespace sparsedse::frontend {

namespace {

constexpr std::int64_t kMaxElements = std::int64_t(1) << 31;

// Little-endian element `i` of width `Bytes` from raw_data.
template <int Bytes>
std::uint64_t raw_element(const std::string& raw, std::size_t i) {
  std::uint64_t u = 0;
  for (int b = 0; b < Bytes; ++b) u |= std::uint64_t(std::uint8_t(raw[i * Bytes + b])) << (8 * b);
  return u;
}

}  // namespace

std::int64_t ConstTensor::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : dims) n *= d;
  return n;
}

std::string ConstTensor::dims_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

float half_to_float(std::uint16_t h) {
  const bool negative = h & 0x8000u;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(float(mantissa), -24);  // zero or subnormal
  else if (exponent == 31)
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    magnitude = std::ldexp(float(mantissa | 0x400), exponent - 25);
  return negative ? -magnitude : magnitude;
}

ConstTensor decode_tensor(const onnx::TensorProto& t, const std::string& where) {
  ConstTensor out;
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    throw InputError(where, "tensor '" + t.name() + "' keeps its data in an external file; save the model with "
                            "the weights inside it (external data is not supported)");
  std::int64_t n = 1;
  for (std::int64_t d : t.dims()) {
    if (d < 0) throw InputError(where, "tensor '" + t.name() + "' has a negative dimension");
    out.dims.push_back(d);
    if (n != 0 && d > kMaxElements / n)  // checked before multiplying: n · d may not fit in 64 bits
      throw InputError(where, "tensor '" + t.name() + "' is too large (more than 2^31 elements)");
    n *= d;
  }
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  auto check_count = [&](std::int64_t count, const char* field) {
    if (count != n)
      throw InputError(where, "tensor '" + t.name() + "' has " + std::to_string(count) + " values in " + field +
                                  ", expected " + std::to_string(n) + " for dims " + out.dims_string() +
                                  " (truncated or inconsistent tensor)");
  };
  auto check_raw = [&](std::size_t element_bytes) {
    if (raw.size() != std::size_t(n) * element_bytes)
      throw InputError(where, "tensor '" + t.name() + "' has " + std::to_string(raw.size()) +
                                  " bytes of raw_data, expected " + std::to_string(std::size_t(n) * element_bytes) +
                                  " for dims " + out.dims_string() + " (truncated or inconsistent tensor)");
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (has_raw) {
        check_raw(4);
        out.floats.resize(std::size_t(n));  // after the check: dims may claim 2^31 elements
        for (std::size_t i = 0; i < out.floats.size(); ++i)
          out.floats[i] = std::bit_cast<float>(std::uint32_t(raw_element<4>(raw, i)));
      } else {
        check_count(t.float_data_size(), "float_data");
        out.floats.resize(std::size_t(n));
        std::copy(t.float_data().begin(), t.float_data().end(), out.floats.begin());
      }
      break;
    case onnx::TensorProto::FLOAT16:
      if (has_raw) {
        check_raw(2);
        out.floats.resize(std::size_t(n));
        for (std::size_t i = 0; i < out.floats.size(); ++i)
          out.floats[i] = half_to_float(std::uint16_t(raw_element<2>(raw, i)));
      } else {
        // The ONNX spec stores float16 bit patterns in the low 16 bits of int32_data.
        check_count(t.int32_data_size(), "int32_data");
        out.floats.resize(std::size_t(n));
        for (int i = 0; i < t.int32_data_size(); ++i)
          out.floats[std::size_t(i)] = half_to_float(std::uint16_t(t.int32_data(i) & 0xffff));
      }
      break;
    case onnx::TensorProto::DOUBLE:
      if (has_raw) {
        check_raw(8);
        out.floats.resize(std::size_t(n));
        for (std::size_t i = 0; i < out.floats.size(); ++i)
          out.floats[i] = float(std::bit_cast<double>(raw_element<8>(raw, i)));
      } else {
        check_count(t.double_data_size(), "double_data");
        out.floats.resize(std::size_t(n));
        for (int i = 0; i < t.double_data_size(); ++i) out.floats[std::size_t(i)] = float(t.double_data(i));
      }
      break;
    case onnx::TensorProto::INT64:
      out.is_float = false;
      if (has_raw) {
        check_raw(8);
        out.ints.resize(std::size_t(n));
        for (std::size_t i = 0; i < out.ints.size(); ++i) out.ints[i] = std::int64_t(raw_element<8>(raw, i));
      } else {
        check_count(t.int64_data_size(), "int64_data");
        out.ints.resize(std::size_t(n));
        std::copy(t.int64_data().begin(), t.int64_data().end(), out.ints.begin());
      }
      break;
    case onnx::TensorProto::INT32:
      out.is_float = false;
      if (has_raw) {
        check_raw(4);
        out.ints.resize(std::size_t(n));
        for (std::size_t i = 0; i < out.ints.size(); ++i)
          out.ints[i] = std::int32_t(std::uint32_t(raw_element<4>(raw, i)));
      } else {
        check_count(t.int32_data_size(), "int32_data");
        out.ints.resize(std::size_t(n));
        std::copy(t.int32_data().begin(), t.int32_data().end(), out.ints.begin());
      }
      break;
    default:
      throw InputError(where, "tensor '" + t.name() + "' has data type " +
                                  (onnx::TensorProto::DataType_IsValid(t.data_type())
                                       ? onnx::TensorProto::DataType_Name(onnx::TensorProto::DataType(t.data_type()))
                                       : std::to_string(t.data_type())) +
                                  "; expected FLOAT, FLOAT16, DOUBLE, INT64 or INT32");
  }
  return out;
}

}  // namespace sparsedse::frontend
