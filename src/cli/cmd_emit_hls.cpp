// `sparsedse emit-hls`: one Vitis HLS project per partition of a design, with a bit-exact C-simulation
// testbench (hls.md, docs/hls.md).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "sparsedse/cli/commands.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/data/dataset.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/frontend/model.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/hwgen/project.hpp"

namespace sparsedse::cli {

namespace {

namespace fs = std::filesystem;

struct EmitHlsCommandOptions {
  std::string design;
  std::string model;
  std::string output;
  std::string dataset;
  int images = 16;
  std::uint64_t seed = 1;
  std::string link_platform = hwgen::EmitOptions{}.link_platform;
  std::string library;
};

// --model, else the design's model name as a file, models/<name>.onnx|.json, or a zoo name.
ir::Graph find_model(const EmitHlsCommandOptions& o, const dse::Design& design) {
  if (!o.model.empty()) return frontend::load_model(o.model);
  std::error_code ec;
  for (const fs::path& p : {fs::path(design.model), fs::path("models") / (design.model + ".onnx"),
                            fs::path("models") / (design.model + ".json")})
    if (!design.model.empty() && fs::is_regular_file(p, ec)) return frontend::load_model(p);
  for (const std::string& z : frontend::zoo_names())
    if (z == design.model) return frontend::zoo_model(z);
  throw InputError(o.design, "cannot find the model '" + design.model + "' (not a file, not in models/, not a zoo "
                                 "name); pass it with --model");
}

void run_emit_hls(const EmitHlsCommandOptions& o) {
  if (o.images < 1) throw InputError("--images", "expected at least 1 image");
  const dse::Design design = dse::read_design(o.design);
  ir::Graph graph = find_model(o, design);

  engine::Tensor images;
  ir::Shape shape;
  for (ir::Vertex v : graph.inputs()) shape = graph.layer(v).output_shape;
  if (!o.dataset.empty()) {
    const data::Dataset set = data::Dataset::load(o.dataset, data::Subset{0, o.images});
    const data::ImageShape s = set.shape();
    if (s.channels != shape.channels || s.rows != shape.rows || s.cols != shape.cols)
      throw InputError(o.dataset, "images are " + data::to_string(s) + ", the model expects " + ir::to_string(shape));
    images = engine::Tensor(static_cast<int>(set.size()), shape);
    set.fill(0, set.size(), images.data.data());
  } else {
    images = hwgen::random_images(shape, o.images, o.seed);
  }

  hwgen::HlsOptions options;
  options.emit.link_platform = o.link_platform;
  if (!o.library.empty()) options.library = o.library;
  const hwgen::HlsProject project = hwgen::build_hls_project(design, std::move(graph), images, options);
  hwgen::write_hls_project(project, o.output);

  for (const hwgen::HlsPartition& p : project.partitions) {
    std::printf("%s: %zu layers, %zu library calls, %zu FIFOs, %lld weight words; %s -> %s\n", p.name.c_str(),
                p.layers.size(), p.calls.size(), p.streams.size(), static_cast<long long>(p.weight_words()),
                p.input.layer.c_str(), p.output.layer.c_str());
    for (const std::string& n : p.notes) std::printf("  note: %s\n", n.c_str());
  }
  std::printf("wrote %zu files to %s (%d test images); run `make -C %s csim`\n", project.files.size(), o.output.c_str(),
              images.batch, o.output.c_str());
}

}  // namespace

void add_emit_hls_command(CLI::App& app) {
  auto o = std::make_shared<EmitHlsCommandOptions>();
  CLI::App* cmd = app.add_subcommand("emit-hls", "Write one Vitis HLS project per partition of a design (docs/hls.md)");
  cmd->add_option("DESIGN", o->design, "design file from `sparsedse optimise`")->required();
  cmd->add_option("-o,--output", o->output, "output directory (one p<i>/ project per partition)")->required();
  cmd->add_option("--model", o->model, "model (.onnx or JSON IR); default: the design's model name");
  cmd->add_option("--images", o->images, "testbench images")->capture_default_str();
  cmd->add_option("--dataset", o->dataset, "dataset JSON for the testbench images (default: random N(0,1) images)");
  cmd->add_option("--seed", o->seed, "seed of the random testbench images")->capture_default_str();
  cmd->add_option("--link-platform", o->link_platform, "v++ --platform string in the Makefiles")->capture_default_str();
  cmd->add_option("--hls-library", o->library, "directory with sdhls/ and sim/ (default: the sparsedse sources)");
  cmd->callback([o] { run_emit_hls(*o); });
}

}  // namespace sparsedse::cli
