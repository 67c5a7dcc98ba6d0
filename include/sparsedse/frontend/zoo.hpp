#pragma once
// The model zoo: CIFAR-style reference networks with deterministic He-initialised weights, as ONNX
// models whose node names follow the naming contract shared with tools/train (docs/zoo.md).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::frontend {

struct ZooOptions {
  int in_channels = 3;      // 3 for CIFAR-10, 1 for Fashion-MNIST (padded to 32×32)
  int classes = 10;
  std::uint64_t seed = 0;   // same seed → bit-identical weights on every platform
  int image_size = 32;      // input rows = cols
};

// resnet18-cifar, resnet20-cifar, resnet50-cifar, vgg11-cifar.
const std::vector<std::string>& zoo_names();

// The network as an ONNX model (opset 13). Unknown names and bad options are InputErrors.
onnx::ModelProto zoo_onnx(const std::string& name, const ZooOptions& options = {});

// The same network imported into the IR (splits inserted), as load_model would return it.
ir::Graph zoo_model(const std::string& name, const ZooOptions& options = {});

// Write the network to `path` (.onnx, or .json for the JSON IR), atomically.
void write_zoo_model(const std::string& name, const ZooOptions& options, const std::filesystem::path& path);

}  // namespace sparsedse::frontend
