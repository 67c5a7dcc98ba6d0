// The project builder: lowering + emitters + golden data + manifests + lint (hls.md §2, §11).
#include "sparsedse/hwgen/project.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <tuple>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/hwgen/lint.hpp"

namespace sparsedse::hwgen {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json resources_json(const hw::Resources& r) {
  return json{{"LUT", r.lut}, {"FF", r.ff}, {"DSP", r.dsp}, {"BRAM", r.bram}, {"URAM", r.uram}};
}

json port_json(const Port& q, const std::string& file) {
  return json{{"layer", q.layer},
              {"shape", {q.shape.channels, q.shape.rows, q.shape.cols}},
              {"format", {q.format.width, q.format.frac}},
              {"streams", q.streams},
              {"words_per_image", q.words()},
              {"beats_per_image", q.beats()},
              {"data", file}};
}

// Append the little-endian bytes of raw codes packed `width` bits per word into 512-bit beats, one
// image per whole number of beats (hls.md §3.3).
void pack_image(std::string& out, const std::vector<std::int64_t>& words, int width) {
  const std::size_t lanes = static_cast<std::size_t>(512 / width);
  const std::size_t beats = (words.size() + lanes - 1) / lanes;
  const std::size_t base = out.size();
  out.append(beats * 64, '\0');
  const std::uint64_t mask = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
  for (std::size_t j = 0; j < words.size(); ++j) {
    const std::uint64_t u = static_cast<std::uint64_t>(words[j]) & mask;
    const std::size_t bit0 = (j / lanes) * 512 + (j % lanes) * static_cast<std::size_t>(width);
    for (int b = 0; b < width; ++b)
      if ((u >> b) & 1) {
        const std::size_t bit = bit0 + static_cast<std::size_t>(b);
        out[base + bit / 8] = static_cast<char>(static_cast<unsigned char>(out[base + bit / 8]) | (1u << (bit % 8)));
      }
  }
}

// Image n of a tensor as raw codes in NHWC order (channels fastest, hls.md §3.1).
std::vector<std::int64_t> nhwc_raw(const engine::Tensor& t, int n, FixedFormat f) {
  const ir::Shape& s = t.shape;
  const float* x = t.image(n);
  std::vector<std::int64_t> w(static_cast<std::size_t>(s.elements()));
  std::size_t j = 0;
  for (int h = 0; h < s.rows; ++h)
    for (int c0 = 0; c0 < s.cols; ++c0)
      for (int c = 0; c < s.channels; ++c) {
        const double v = x[(static_cast<std::size_t>(c) * s.rows + static_cast<std::size_t>(h)) * s.cols +
                           static_cast<std::size_t>(c0)];
        const double raw = std::ldexp(v, f.frac);
        if (raw != std::floor(raw)) throw std::logic_error("hwgen: engine value off its fixed-point grid");
        w[j++] = static_cast<std::int64_t>(raw);
      }
  return w;
}

std::string port_file(const engine::Tensor& t, const Port& q) {
  std::string bytes;
  for (int n = 0; n < t.batch; ++n) pack_image(bytes, nhwc_raw(t, n, q.format), q.format.width);
  return bytes;
}

std::string weights_file(const HlsPartition& p) {
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(p.weight_words()) * 8);
  for (const Rom& r : p.roms) {
    if (!r.loaded) continue;
    for (std::int64_t v : r.values) {
      const std::uint64_t u = static_cast<std::uint64_t>(v);
      for (int b = 0; b < 8; ++b) bytes += static_cast<char>((u >> (8 * b)) & 0xff);
    }
  }
  return bytes;
}

// tb/data/wts.bin, also what a host writes to the gmem2 buffer (hls.md §5.2): every weight block in
// wr_load port order (word ((addr·cin + i)·cout + o)·lanes + lane), each padded to whole beats, then
// every bias block. The lowering lists the weight RAM before the bias RAM.
std::string reload_file(const HlsPartition& p) {
  std::string bytes;
  for (const Rom& r : p.roms) {
    if (!r.reload) continue;
    const int cin = r.dims[0], cout = r.dims[1], depth = r.dims[2], lanes = r.dims[3];
    const std::int64_t block = r.size();
    if (static_cast<std::int64_t>(r.values.size()) != block * r.blocks)
      throw std::logic_error("hwgen: reload RAM " + r.name + " holds " + std::to_string(r.values.size()) +
                             " values, expected " + std::to_string(block * r.blocks));
    for (int b = 0; b < r.blocks; ++b) {
      std::vector<std::int64_t> words(static_cast<std::size_t>(block));
      for (int i = 0; i < cin; ++i)
        for (int o = 0; o < cout; ++o)
          for (int a = 0; a < depth; ++a)
            for (int l = 0; l < lanes; ++l)
              words[static_cast<std::size_t>(((std::int64_t{a} * cin + i) * cout + o) * lanes + l)] =
                  r.values[static_cast<std::size_t>(b * block + ((std::int64_t{i} * cout + o) * depth + a) * lanes + l)];
      pack_image(bytes, words, r.format.width);
    }
  }
  return bytes;
}

const char* kind_name(EmittedFile::Kind k) {
  switch (k) {
    case EmittedFile::Kind::synthesizable: return "synthesizable";
    case EmittedFile::Kind::testbench: return "testbench";
    case EmittedFile::Kind::script: return "script";
    case EmittedFile::Kind::data: return "data";
    case EmittedFile::Kind::doc: return "doc";
  }
  return "?";
}

// The library and shim files copied into the project (name-sorted for determinism).
std::vector<EmittedFile> library_files(const fs::path& root) {
  std::vector<EmittedFile> files;
  for (const auto& [sub, ext, kind] : {std::tuple<const char*, const char*, EmittedFile::Kind>{
                                           "sdhls", ".hpp", EmittedFile::Kind::synthesizable},
                                       {"sim", ".h", EmittedFile::Kind::testbench}}) {
    const fs::path dir = root / sub;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw InputError(dir.string(), "HLS library directory not found (set SPARSEDSE_HLS_LIBRARY to the hwgen/ "
                                     "directory of the sparsedse sources)");
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ext) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const fs::path& f : paths)
      files.push_back({std::string(std::string(sub) == "sdhls" ? "lib/sdhls/" : "sim/") + f.filename().string(),
                       read_file(f), kind});
  }
  return files;
}

}  // namespace

fs::path hls_library_dir() {
  if (const char* env = std::getenv("SPARSEDSE_HLS_LIBRARY")) return fs::path(env);
  return fs::path(SPARSEDSE_SOURCE_DIR) / "hwgen";
}

engine::Tensor random_images(const ir::Shape& shape, int count, std::uint64_t seed) {
  engine::Tensor t(count, shape);
  std::mt19937_64 rng(seed);
  // Box-Muller on the standard-fixed mt19937_64 sequence: the same images with every standard library.
  for (std::size_t i = 0; i < t.data.size(); i += 2) {
    const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * 0x1p-53;
    const double u2 = static_cast<double>(rng() >> 11) * 0x1p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    t.data[i] = static_cast<float>(r * std::cos(2 * M_PI * u2));
    if (i + 1 < t.data.size()) t.data[i + 1] = static_cast<float>(r * std::sin(2 * M_PI * u2));
  }
  return t;
}

json partition_manifest(const HlsPartition& p, const std::vector<EmittedFile>& files, int images) {
  json layers = json::array();
  for (const LayerSummary& s : p.layers) {
    layers.push_back(json{{"name", s.name},
                          {"identifier", s.id},
                          {"type", s.kind},
                          {"folding",
                           {{"coarse_in", s.folding.coarse_in},
                            {"coarse_out", s.folding.coarse_out},
                            {"fine", s.folding.fine}}},
                          {"sparse", s.sparse},
                          {"input_order", s.permutation.empty() ? json(nullptr) : json(s.permutation)},
                          {"formats", s.formats},
                          {"configs", s.configs},
                          {"predicted",
                           {{"latency", s.predicted.latency},
                            {"pipeline_depth", s.predicted.pipeline_depth},
                            {"resources", resources_json(s.predicted.resources)}}}});
  }
  json fifos = json::array();
  for (const StreamArray& s : p.streams)
    fifos.push_back(json{{"name", s.name}, {"element", s.element}, {"dims", s.dims}, {"depth", s.depth}});
  json weights = json::array();
  std::int64_t offset = 0;
  for (const Rom& r : p.roms) {
    json j{{"array", r.name}, {"layer", r.layer}, {"dims", r.dims}, {"format", {r.format.width, r.format.frac}},
           {"storage", r.storage}, {"loaded", r.loaded}};
    if (r.loaded) {
      j["offset"] = offset;  // int64 words into tb/data/weights.bin
      offset += r.size();
    }
    weights.push_back(j);
  }
  json listed = json::array();
  for (const EmittedFile& f : files) listed.push_back(json{{"path", f.path}, {"kind", kind_name(f.kind)}});
  return json{{"format", "sparsedse-hls-partition"},
              {"version", 1},
              {"model", p.model},
              {"partition", p.index},
              {"kernel", p.kernel},
              {"platform", {{"name", p.platform_name}, {"part", p.platform_part}, {"clock_mhz", p.clock_mhz}}},
              {"batch_size", p.batch_size},
              {"ports", {{"input", port_json(p.input, "tb/data/input.bin")}, {"output", port_json(p.output, "tb/data/output.bin")}}},
              {"predicted",
               {{"interval", p.predicted.interval},
                {"pipeline_depth", p.predicted.pipeline_depth},
                {"cycles", p.predicted.cycles},
                {"latency_s", p.predicted.latency_s},
                {"resources", resources_json(p.predicted.resources)},
                {"fits", p.predicted.fits()}}},
              {"layers", layers},
              {"squeezes", p.squeezes},
              {"fifos", fifos},
              {"weights", weights},
              {"weights_reloading",
               p.wr > 1 ? json{{"factor", p.wr},
                               {"layer", p.wr_layer},
                               {"data", "tb/data/wts.bin"},
                               {"weight_block_beats", p.reload_weight_beats},
                               {"bias_block_beats", p.reload_bias_beats}}
                        : json(nullptr)},
              {"testbench", {{"images", images}, {"weights", "tb/data/weights.bin"}, {"weight_words", p.weight_words()}}},
              {"files", listed},
              {"notes", p.notes}};
}

HlsProject build_hls_project(const dse::Design& design, ir::Graph graph, const engine::Tensor& images,
                             const HlsOptions& options) {
  // The design's thresholds are part of the hardware (model.md §8.1): the golden model uses them too.
  for (int v = 0; v < design.network.size(); ++v) {
    const hw::HwLayer& l = design.network.layers[static_cast<std::size_t>(v)];
    const std::string& name = design.network.names[static_cast<std::size_t>(v)];
    if ((l.kind == hw::LayerKind::relu || l.kind == hw::LayerKind::thresholded_relu) && graph.contains(name) &&
        graph.layer(name).kind == ir::LayerKind::ReLU)
      graph.layer(name).threshold = l.threshold;
  }
  const engine::Engine eng(graph, design_numerics(design, graph));
  if (images.batch < 1) throw InputError("testbench images", "at least one image is needed");
  if (!(images.shape == eng.input_shape()))
    throw InputError("testbench images", "shape " + ir::to_string(images.shape) + ", the model expects " +
                                             ir::to_string(eng.input_shape()));

  // Golden activations of every layer (engine fixed-point mode, docs/fixed-point.md).
  std::vector<engine::Tensor> values(graph.size());
  for (ir::Vertex v : graph.topological_order()) {
    std::vector<const engine::Tensor*> in;
    if (graph.layer(v).kind == ir::LayerKind::Input) in.push_back(&images);
    else
      for (ir::Vertex u : graph.predecessors(v)) in.push_back(&values[u]);
    values[v] = eng.run_layer(v, in);
  }

  HlsProject project;
  project.model = design.model;
  const fs::path library = options.library.empty() ? hls_library_dir() : options.library;
  json index = json::array();
  for (int p = 0; p < static_cast<int>(design.partitions.size()); ++p) {
    HlsPartition hp = lower_partition(design, p, graph, eng, options.lower);
    std::vector<EmittedFile> files = emit_partition(hp, options.emit);
    const std::string dir = hp.name + "/";
    const engine::Tensor& in = values[graph.vertex(hp.input.layer)];
    const engine::Tensor& out = values[graph.vertex(hp.output.layer)];
    files.push_back({dir + "tb/data/input.bin", port_file(in, hp.input), EmittedFile::Kind::data});
    files.push_back({dir + "tb/data/output.bin", port_file(out, hp.output), EmittedFile::Kind::data});
    files.push_back({dir + "tb/data/weights.bin", weights_file(hp), EmittedFile::Kind::data});
    if (hp.wr > 1) files.push_back({dir + "tb/data/wts.bin", reload_file(hp), EmittedFile::Kind::data});
    std::vector<EmittedFile> listed = files;
    const json manifest = partition_manifest(hp, listed, images.batch);
    files.push_back({dir + "manifest.json", manifest.dump(2) + "\n", EmittedFile::Kind::doc});
    index.push_back(json{{"partition", p}, {"directory", hp.name}, {"kernel", hp.kernel},
                         {"input", hp.input.layer}, {"output", hp.output.layer}});
    for (EmittedFile& f : files) project.files.push_back(std::move(f));
    project.partitions.push_back(std::move(hp));
  }

  // Lint every synthesizable file we emit (hls.md §6); a finding is an emitter bug.
  std::string findings;
  for (const EmittedFile& f : project.files)
    if (f.kind == EmittedFile::Kind::synthesizable)
      for (const LintFinding& x : lint_hls_source(f.content, f.path)) findings += to_string(x) + "\n";
  if (!findings.empty()) throw std::runtime_error("HLS lint failed on the emitted code:\n" + findings);

  for (EmittedFile& f : library_files(library)) project.files.push_back(std::move(f));

  // Top level: Makefile over all partitions, README, manifest index.
  std::string parts;
  for (const HlsPartition& hp : project.partitions) parts += (parts.empty() ? "" : " ") + hp.name;
  std::string make = "# Generated by " + options.emit.generator + " for " + design.model + ". Do not edit.\n";
  make += "# make csim | csim-threaded | csynth | cosim | xo | link   (each partition in turn; see p*/Makefile)\n";
  make += "PARTITIONS := " + parts + "\nTARGET ?= hw\nPLATFORM ?= " + options.emit.link_platform + "\n\n";
  make += ".PHONY: csim csim-threaded csynth cosim xo link clean\n\n";
  make += "csim csim-threaded csynth cosim xo link clean:\n";
  make += "\t@for p in $(PARTITIONS); do $(MAKE) -C $$p $@ TARGET=$(TARGET) PLATFORM=$(PLATFORM) || exit 1; done\n";
  project.files.push_back({"Makefile", make, EmittedFile::Kind::script});

  std::string readme = "# HLS projects of " + design.model + "\n\n";
  readme += "Generated by " + options.emit.generator + " (`sparsedse emit-hls`, docs/hls.md) for " + design.platform.name +
            " (`" + design.platform.part + "`). One project per partition; each xclbin is loaded in turn, and the "
            "activations between partitions go through device memory (hls.md §10.3).\n\n";
  readme += "* `lib/sdhls/`: the HLS module library; `sim/`: our C-simulation shim (hls_stream.h, ap_int.h, "
            "ap_fixed.h); both copied from the sparsedse sources.\n";
  readme += "* `p<i>/`: one Vitis HLS project per partition (see its README.md and manifest.json).\n\n";
  readme += "```\nmake csim            # every partition: g++ C-simulation, bit-exact against the engine\n";
  readme += "make csim-threaded   # threaded bounded FIFOs with the deadlock watchdog\n";
  readme += "make csynth          # needs vitis_hls; tools/hls-synth.sh collects the reports\n";
  readme += "make link TARGET=hw_emu PLATFORM=<installed platform>\n```\n\n";
  readme += "| partition | kernel | input | output |\n|---|---|---|---|\n";
  for (const HlsPartition& hp : project.partitions)
    readme += "| " + hp.name + " | " + hp.kernel + " | " + hp.input.layer + " | " + hp.output.layer + " |\n";
  project.files.push_back({"README.md", readme, EmittedFile::Kind::doc});
  const json top{{"format", "sparsedse-hls-project"},
                 {"version", 1},
                 {"model", design.model},
                 {"platform", {{"name", design.platform.name}, {"part", design.platform.part}}},
                 {"images", images.batch},
                 {"partitions", index}};
  project.files.push_back({"manifest.json", top.dump(2) + "\n", EmittedFile::Kind::doc});
  return project;
}

void write_hls_project(const HlsProject& project, const fs::path& dir) {
  for (const EmittedFile& f : project.files) {
    const fs::path path = dir / f.path;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) throw InputError(path.parent_path().string(), "cannot create directory: " + ec.message());
    write_file_atomic(path, f.content);
  }
}

}  // namespace sparsedse::hwgen
