#pragma once
// Job files (docs/schemas.md "Job"): one JSON that names everything a run needs — model(s), the
// calibration and test subsets, platform(s), optimiser settings, thresholding, and what to emit.
// Lists of models, platforms, policies and seeds make a sweep: one entry per combination, in the order
// models × platforms × policies × seeds. Relative paths resolve against the job file's directory.
//
//   {"name": "smoke", "description": "...",
//    "model": "zoo:resnet20-cifar?in_channels=1"  |  "models": ["../../models/resnet20-fmnist.onnx", ...],
//    "platform": "u250"  |  "platforms": ["u250", "u280"],
//    "dataset": {"calibration": {"dataset": "../datasets/fashion-mnist-train.json", "images": 200},
//                "test": {"dataset": "../datasets/fashion-mnist-test.json", "images": 500}},
//    "optimiser": "default" | "file.json" | {...},  "hardware": "file.json" | {...},
//    "thresholds": "file.json" | {...},  "policies": ["uniform", "latency-aware"],  "seeds": [0, 1, 2],
//    "emit": {"html": true, "hls": "final" | "all" | "none"}, "threads": 0}
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/dse/config.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/hw/options.hpp"
#include "sparsedse/hw/platform.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/threshold/config.hpp"

namespace sparsedse::job {

// A model file (.onnx or JSON IR) or a zoo network: "zoo:NAME" with optional query options
// "?in_channels=1&classes=10&seed=0&image_size=32" (frontend::ZooOptions).
struct ModelRef {
  std::string text;             // as written in the job; reports show this
  std::filesystem::path file;   // resolved model file (empty for a zoo model)
  std::string zoo;              // zoo network name (empty for a file)
  frontend::ZooOptions zoo_options;
  bool is_zoo() const { return !zoo.empty(); }
  std::string label() const;    // file stem or zoo name: names sweep entries
};

// `where` names the job file and field for errors. A file need not exist yet (checked when loaded).
ModelRef parse_model_ref(const std::string& text, const std::filesystem::path& base_dir, const std::string& where);
// Imports the model; a missing file is an InputError naming it and the job field that referred to it.
ir::Graph load_model(const ModelRef& ref, const std::string& where = "");

struct DatasetRef {
  std::string text;              // as written
  std::filesystem::path file;    // resolved dataset JSON
  std::int64_t images = 0;       // the first N images (test: 0 = all)
};

enum class HlsEmit { none, final, all };  // final: the best design at the budget; all: every final design

struct Emit {
  bool html = true;
  HlsEmit hls = HlsEmit::final;
};

// One point of a sweep.
struct JobEntry {
  std::string id;                // unique, filesystem-safe: "<model>_<platform>[_<policy>][_seed<N>]"
  ModelRef model;
  std::string platform_text;     // as written
  hw::Platform platform;
  threshold::ThresholdConfig thresholds;  // with this entry's policies
};

struct JobSpec {
  std::string source;            // the job file (errors, reports)
  std::string name, description;
  std::vector<ModelRef> models;
  std::vector<std::string> platform_texts;
  std::vector<hw::Platform> platforms;
  DatasetRef calibration;
  std::optional<DatasetRef> test;  // absent: the calibration dataset's images after the first N
  std::string optimiser_text;      // name, file or "inline"
  dse::OptimiserConfig optimiser;
  hw::ModelOptions hardware;
  threshold::ThresholdConfig thresholds;
  std::vector<std::vector<threshold::Policy>> policy_sets;  // the policy axis; one set = one entry
  // The seed axis (the annealer's seeds, threshold config "seed"): the spread between seeds can exceed the
  // gap between policies, so comparisons want several. Empty: the thresholds config's seed alone.
  std::vector<std::uint64_t> seeds;
  Emit emit;
  int threads = 0;                 // engine threads; <= 0 = all cores

  std::vector<JobEntry> entries() const;
  // Everything that determines the results, normalised (resolved configs, model file digests):
  // a resumed run must have the same.
  nlohmann::json fingerprint() const;
};

// Parse and validate against the schema; InputError names the file, the JSON path and what was expected,
// with a suggestion for a misspelt key. Referenced configs (platform, optimiser, thresholds) are loaded
// here, so a bad one fails before any work starts.
JobSpec job_from_json(const nlohmann::json& doc, const std::filesystem::path& file);
JobSpec read_job(const std::filesystem::path& file);

// The job `sparsedse run` runs without a JOB argument: configs/jobs/default.json under the current
// directory, then $SPARSEDSE_DATA_DIR, then the source tree.
std::filesystem::path default_job_file();

// FNV-1a 64 of a file's bytes as 16 hex digits (fingerprints, step markers).
std::string file_digest(const std::filesystem::path& path);

}  // namespace sparsedse::job
