// `sparsedse convert`: between ONNX and the JSON IR (either direction), through the graph IR.
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/frontend/model.hpp"

namespace sparsedse::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
};

}  // namespace

void add_convert_command(CLI::App& app) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a model between ONNX and the JSON IR (MODEL.json + MODEL.weights.bin), via the graph IR");
  cmd->add_option("MODEL", o->input, "input model: .onnx or .json")->required();
  cmd->add_option("-o,--output", o->output, "output model: .json (writes the .weights.bin beside it) or .onnx")
      ->required();
  cmd->callback([o] {
    ir::Graph g = frontend::load_model(o->input);
    frontend::save_model(g, o->output);
    std::cerr << "wrote " << o->output << " (" << g.size() << " layers)\n";
  });
}

}  // namespace sparsedse::cli
