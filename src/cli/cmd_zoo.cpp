// `sparsedse zoo`: write a reference network with deterministic He-initialised weights (docs/zoo.md).
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/frontend/zoo.hpp"

namespace sparsedse::cli {

namespace {

struct ZooCommandOptions {
  std::string name;
  std::string output;
  frontend::ZooOptions zoo;
};

}  // namespace

void add_zoo_command(CLI::App& app) {
  auto o = std::make_shared<ZooCommandOptions>();
  std::string names;
  for (const auto& n : frontend::zoo_names()) names += (names.empty() ? "" : ", ") + n;
  CLI::App* cmd = app.add_subcommand("zoo", "Write a zoo network (" + names + ") with deterministic He-initialised weights");
  cmd->add_option("NAME", o->name, "network: " + names)->required();
  cmd->add_option("-o,--output", o->output, "output file: FILE.onnx (or FILE.json for the JSON IR)")->required();
  cmd->add_option("--in-channels", o->zoo.in_channels, "input channels: 3 (CIFAR-10) or 1 (Fashion-MNIST)")
      ->check(CLI::IsMember({1, 3}))
      ->capture_default_str();
  cmd->add_option("--classes", o->zoo.classes, "output classes")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--seed", o->zoo.seed, "weight seed (same seed, same weights on every platform)")->capture_default_str();
  cmd->callback([o] {
    frontend::write_zoo_model(o->name, o->zoo, o->output);
    std::cerr << "wrote " << o->name << " to " << o->output << "\n";
  });
}

}  // namespace sparsedse::cli
