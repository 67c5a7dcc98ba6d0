#include "hls_step.hpp"

#include <algorithm>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/hwgen/project.hpp"

namespace sparsedse::job {

namespace fs = std::filesystem;
using nlohmann::json;

std::string hls_dir_name(const std::string& design_name) {
  std::string s = design_name;
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::vector<std::string> emit_hls(const ir::Graph& graph, const data::Dataset& images, const fs::path& dir,
                                  const std::vector<report::NamedDesign>& designs) {
  ir::Shape shape;
  for (ir::Vertex v : graph.inputs()) shape = graph.layer(v).output_shape;
  const int count = int(std::min<std::int64_t>(kHlsTestbenchImages, images.size()));
  engine::Tensor tb(count, shape);
  images.fill(0, count, tb.data.data());

  std::vector<std::string> written;
  json status = json::array();
  for (const report::NamedDesign& d : designs) {
    const std::string sub = "hls/" + hls_dir_name(d.name);
    json entry = {{"design", d.name}, {"file", d.file}, {"dir", sub}};
    try {
      const hwgen::HlsProject project = hwgen::build_hls_project(d.design, graph, tb);
      fs::remove_all(dir / sub);  // a resumed step must not keep files of an earlier emission
      hwgen::write_hls_project(project, dir / sub);
      json files = json::array();
      std::vector<std::string> names;
      for (const hwgen::EmittedFile& f : project.files) names.push_back(f.path);
      std::sort(names.begin(), names.end());
      for (const std::string& n : names) {
        written.push_back(sub + "/" + n);
        files.push_back(n);
      }
      entry["emitted"] = true;
      entry["partitions"] = project.partitions.size();
      entry["files"] = files;
    } catch (const InputError& e) {
      entry["emitted"] = false;
      entry["reason"] = e.what();
    }
    status.push_back(entry);
  }
  write_json_atomic(dir / "hls" / "status.json", status);
  written.push_back("hls/status.json");
  return written;
}

std::vector<report::HlsProject> hls_projects(const fs::path& dir) {
  std::vector<report::HlsProject> out;
  const fs::path file = dir / "hls" / "status.json";
  if (!path_exists(file)) return out;
  for (const json& e : read_json(file)) {
    report::HlsProject p;
    p.design = e.at("design").get<std::string>();
    p.dir = e.at("dir").get<std::string>();
    p.emitted = e.at("emitted").get<bool>();
    if (p.emitted) {
      // The entry points a user opens first; the full list is in each partition's manifest.json.
      for (const json& f : e.at("files")) {
        const std::string name = f.get<std::string>();
        if (name == "Makefile" || name == "README.md" || name.ends_with("/manifest.json")) p.files.push_back(name);
      }
    } else {
      p.reason = e.value("reason", "");
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sparsedse::job
