#pragma once
// A model on disk in either form: ONNX (`.onnx`) or the JSON IR (`.json` plus the weights sidecar
// `<stem>.weights.bin`). Every command and component that takes a model goes through load_model.
#include <filesystem>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::frontend {

// Load by extension: .onnx → ONNX import, .json → JSON IR. Anything else is an InputError.
ir::Graph load_model(const std::filesystem::path& path);

// Save by extension (.onnx or .json), atomically.
void save_model(const ir::Graph& graph, const std::filesystem::path& path);

// JSON IR (docs/ir-json.md): the graph as JSON with weights in a little-endian float32 sidecar whose
// size and CRC-32 are recorded in the JSON. Both files are written atomically, the sidecar first.
void save_json_model(const ir::Graph& graph, const std::filesystem::path& path);
ir::Graph load_json_model(const std::filesystem::path& path);

// The sidecar of a JSON model: model.json → model.weights.bin (same directory).
std::filesystem::path weights_path_for(const std::filesystem::path& json_path);

}  // namespace sparsedse::frontend
