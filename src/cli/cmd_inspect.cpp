// `sparsedse inspect`: the layers of a model with shapes, MACs and parameters, as a table or JSON.
#include <cstdio>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/frontend/model.hpp"

namespace sparsedse::cli {

namespace {

struct InspectOptions {
  std::string model;
  bool json = false;
};

nlohmann::ordered_json shape_json(const ir::Shape& s) { return {s.channels, s.rows, s.cols}; }

// An Input layer "consumes" the tensor it provides.
const ir::Shape& input_shape(const ir::Layer& l) { return l.input_shapes.empty() ? l.output_shape : l.input_shape(); }

std::string millions(std::int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f M", double(n) / 1e6);
  return buf;
}

void run_inspect(const InspectOptions& o) {
  ir::Graph g = frontend::load_model(o.model);
  std::vector<ir::Vertex> order = g.topological_order();
  if (o.json) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (ir::Vertex v : order) {
      const ir::Layer& l = g.layer(v);
      layers.push_back({{"name", l.name},
                        {"kind", std::string(ir::to_string(l.kind))},
                        {"input_shape", shape_json(input_shape(l))},
                        {"output_shape", shape_json(l.output_shape)},
                        {"macs", l.macs()},
                        {"params", l.params()}});
    }
    nlohmann::ordered_json doc = {{"layers", layers}, {"total_macs", g.total_macs()}, {"total_params", g.total_params()}};
    std::cout << doc.dump(2) << "\n";
    return;
  }
  std::size_t name_width = 5;
  for (ir::Vertex v : order) name_width = std::max(name_width, g.layer(v).name.size());
  auto row = [&](const std::string& name, const std::string& kind, const std::string& in, const std::string& out,
                 const std::string& macs, const std::string& params) {
    std::printf("%-*s  %-17s  %-12s  %-12s  %13s  %11s\n", int(name_width), name.c_str(), kind.c_str(), in.c_str(),
                out.c_str(), macs.c_str(), params.c_str());
  };
  std::printf("model %s: %zu layers\n", g.name.c_str(), g.size());
  row("layer", "kind", "input", "output", "MACs", "params");
  for (ir::Vertex v : order) {
    const ir::Layer& l = g.layer(v);
    std::string in = ir::to_string(input_shape(l));
    if (l.input_shapes.size() > 1) in += " +" + std::to_string(l.input_shapes.size() - 1);
    row(l.name, std::string(ir::to_string(l.kind)), in, ir::to_string(l.output_shape), std::to_string(l.macs()),
        std::to_string(l.params()));
  }
  row("total", "", "", "", std::to_string(g.total_macs()), std::to_string(g.total_params()));
  std::printf("%s MACs, %s params per image\n", millions(g.total_macs()).c_str(), millions(g.total_params()).c_str());
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Print a model's layers (kind, shapes [C,H,W], MACs, parameters) and totals");
  cmd->add_option("MODEL", o->model, "model file: .onnx or .json (JSON IR)")->required();
  cmd->add_flag("--json", o->json,
                "print JSON: {\"layers\":[{name,kind,input_shape,output_shape,macs,params}...],"
                "\"total_macs\":N,\"total_params\":N}");
  cmd->callback([o] { run_inspect(*o); });
}

}  // namespace sparsedse::cli
