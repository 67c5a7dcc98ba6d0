#pragma once
// Runner for ONNX's own node test vectors (Debian libonnx-testdata): model.onnx plus
// test_data_set_0/{input,output}_*.pb. See docs/conformance.md for the harness rules.
#include <filesystem>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "sparsedse/engine/engine.hpp"

namespace test_engine {

inline const std::filesystem::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

struct OnnxTensor {
  std::string name;
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};

struct ConformanceOutcome {
  bool imported = false;
  std::string error;        // the InputError text when import (or running) was refused
  double max_error = 0.0;   // max |got − expected| / (|expected| + 0.1) over all outputs
  std::size_t compared = 0;  // elements compared
  bool within_tolerance = false;  // |got − expected| ≤ 1e-4·|expected| + 1e-5 everywhere
};

OnnxTensor read_tensor_pb(const std::filesystem::path& path);

// Harness rules (docs/conformance.md):
//  * parameters fed as graph inputs (Conv W/B, Gemm B/C, MatMul B, BatchNormalization statistics,
//    Clip bounds) are bound as initializers with the values of test_data_set_0;
//  * element-wise vectors (Relu, ThresholdedRelu, Add, Clip, Dropout, Identity) of rank 1 or 3 are
//    lifted to rank 2 or 4 by a leading dimension of 1 (same data, same order);
//  * GlobalAveragePool / GlobalMaxPool vectors (stamped opset 1, semantics unchanged since) are
//    re-stamped opset 13;
//  * BatchNormalization vectors get an identity 1×1 Conv in front, into which the BN folds.
ConformanceOutcome run_node_test(const std::string& test_name);

}  // namespace test_engine
