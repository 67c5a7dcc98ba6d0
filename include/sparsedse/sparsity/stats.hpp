#pragma once
// Profile results and the standalone sparsity statistics file (model.md §5.1):
//   {"model": ..., "thresholds": {"default": t0, "relu": {...}}, "images": N, "top1": ..., "top5": ...,
//    "numerics": "fixed:16.8", "hist_source": "activations" | "products",
//    "layers": {"<conv node>": {"kernel": [Kr, Kc], "channels": C, "windows": W,
//                               "histogram": [[p_0 .. p_K²] per channel], "counts": [[...]],
//                               "channel_sparsity": [s_c], "mean_sparsity": s}},
//    "relu_zero_fraction": {"<relu node>": f}}
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/engine/engine.hpp"
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::sparsity {

// What one profile of the calibration set measures.
struct ProfileResult {
  double top1 = 0.0;         // fraction of images whose label is the arg-max logit
  double top5 = 0.0;         // fraction of images whose label is among the five largest logits
  std::int64_t images = 0;
  std::vector<std::uint8_t> top1_hits;  // per image: 1 if top-1 is right (not written to statistics files)
  std::map<std::string, ir::SparsityStats> layers;   // every Convolution / InnerProduct, by node name
  std::map<std::string, double> relu_zero_fraction;  // zeros in each ReLU's output, over all images
  bool operator==(const ProfileResult&) const = default;
};

// A statistics file: the result plus what produced it.
struct Stats {
  std::string model;
  std::string numerics;          // Numerics::to_string(), e.g. "fixed:16.8"
  std::string hist_source = "activations";  // what a window's zeros are (window_histogram.hpp, Q16)
  engine::Thresholds thresholds;
  ProfileResult result;
  std::string source;            // file it was read from (for error messages); not written
};

nlohmann::json to_json(const ir::SparsityStats& stats);
nlohmann::json to_json(const Stats& stats);

// Parse and validate (InputError naming `where` + JSON path): kernel sizes ≥ 1, K²+1 bins per row,
// one row per channel, probabilities finite, non-negative and each row summing to 1 within 1e-6;
// counts (optional) non-negative, each row summing to `windows` and matching the probabilities;
// channel_sparsity (optional) equal to Σ_z h[z]·z/K² and mean_sparsity (optional) to their mean, within 1e-6.
ir::SparsityStats sparsity_stats_from_json(const nlohmann::json& j, const std::string& where);
Stats stats_from_json(const nlohmann::json& j, const std::string& where);

Stats read_stats(const std::filesystem::path& path);
void write_stats(const std::filesystem::path& path, const Stats& stats);  // atomic

// Set Layer::sparsity for every layer in the statistics. Every name must be a Convolution or
// InnerProduct of `graph` with the same kernel and input channel count; otherwise an InputError names
// the file (Stats::source) and the layer's field. Layers absent from the statistics are left alone.
void attach(ir::Graph& graph, const Stats& stats);
void attach(ir::Graph& graph, const ProfileResult& result, const std::string& where = "profile");

}  // namespace sparsedse::sparsity
