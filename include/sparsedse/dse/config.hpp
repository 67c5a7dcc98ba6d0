#pragma once
// Optimiser configuration (model.md §7.2): the JSON files in configs/optimisers/, with the sections and
// keys of upstream's TOML files. Unknown keys are errors, so a typo never silently falls back to a default.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/hw/layer.hpp"
#include "sparsedse/hw/options.hpp"

namespace sparsedse::dse {

enum class Objective { throughput, latency };  // model.md §4.7 solver cost

struct TransformSwitch {
  bool apply = true;
  double probability = 0.0;  // relative weight when a transform is drawn (normalised over enabled ones)
};

struct FineTransform : TransformSwitch {
  bool start_complete = false;  // start with the maximum feasible fine on every conv
};

struct WeightsReloadingTransform : TransformSwitch {
  bool start_max = false;  // start with the maximum weights-reloading factor on every partition
};

struct PartitionTransform : TransformSwitch {
  bool start_complete = false;  // start from one partition per allowed cut (§7.1 step 4)
  bool allow_split = true;      // allowed_type contains "split"
  bool allow_merge = true;      // allowed_type contains "merge"
  // [prev_op, next_op] layer-kind pairs a horizontal cut may sit between ("*" = any); empty = any cut.
  std::vector<std::pair<std::string, std::string>> allowed_partitions;
  // Single-layer partitions of these kinds are merged into the previous / next one after a complete split.
  std::vector<std::string> single_layer_merge_pre, single_layer_merge_post;
};

// model.md §7.4. Defaults are upstream's dataclass defaults, plus our additions (marked).
struct Annealing {
  double T = 10.0;
  double T_min = 0.007;
  double k = 0.001;
  double cool = 0.97;
  int iterations = 10;              // moves per temperature step (one chain)
  std::uint64_t seed = 0;           // the CLI --seed overrides it
  int max_rejected_chains = 10000;  // ours (Q13): stop after this many infeasible chains in a row
  int start_loop = 1000;            // random moves allowed to reach a feasible start
  bool normalise_cost = false;      // Q13 option: Δcost / |cost_0| instead of Δcost
  bool warm_start = true;           // ours: start every chain from the rule-based design, so SA never ends worse
  // Ours: the Metropolis test uses cost + |cost|·resource_weight·(mean LUT/FF/DSP/BRAM utilisation), so
  // among designs of equal cost the annealer drifts to cheaper ones (freeing room for the bottleneck).
  // The best design is still chosen by cost alone. 0 = faithful.
  double resource_weight = 0.0;
  int temperature_steps() const;    // ⌈ln(T_min/T) / ln(cool)⌉
};

template <class T>
T with_probability(double probability) {
  T t;
  t.probability = probability;
  return t;
}

struct OptimiserConfig {
  // [general]
  Objective objective = Objective::throughput;
  int batch_size = 256;
  double resource_allocation = 0.9;
  double ram_usage = -1.0;  // < 0: same as resource_allocation
  bool bram_to_lut = true;
  bool off_chip_streaming = true;
  bool balance_bram_uram = true;

  // [transforms]
  TransformSwitch coarse{true, 0.4};
  FineTransform fine = with_probability<FineTransform>(0.3);
  WeightsReloadingTransform weights_reloading = with_probability<WeightsReloadingTransform>(0.05);
  PartitionTransform partition = with_probability<PartitionTransform>(0.05);
  TransformSwitch bram_uram_balancing{true, 0.1};  // ours: flips one weighted layer between BRAM and URAM
  TransformSwitch off_chip_streaming_transform{true, 0.05};
  TransformSwitch sparsity{true, 0.05};  // ours: dense <-> sparse mode of a conv with statistics
  TransformSwitch bottleneck{true, 0.0};  // ours: raise one folding factor of the slowest node one step

  Annealing annealing;

  double effective_ram_usage() const { return ram_usage < 0 ? resource_allocation : ram_usage; }
  // The constraint settings of the hardware model (§6.7) taken from [general].
  void apply_to(hw::ModelOptions& options) const;
};

// Parse and validate an optimiser config. `where` names the source (file) in error messages.
// Throws InputError naming the file and the key on an unknown key, a wrong type or a bad value.
OptimiserConfig optimiser_config_from_json(const nlohmann::json& doc, const std::string& where);
OptimiserConfig read_optimiser_config(const std::filesystem::path& path);
// A config by file path or by name: NAME resolves to NAME.json in $SPARSEDSE_OPTIMISERS, then
// ./configs/optimisers, then the source tree's configs/optimisers. Unknown names are InputErrors.
OptimiserConfig find_optimiser_config(const std::string& name_or_path);
inline constexpr const char* kDefaultOptimiserConfig = "default";
nlohmann::json to_json(const OptimiserConfig& config);

std::string_view to_string(Objective objective);

// Layer-kind patterns of the partition settings: "*", an hw kind name ("ConvolutionSparse"), or a
// family ("Convolution" matches every convolution kind, "ReLU" also ThresholdedReLU).
bool kind_matches(std::string_view pattern, hw::LayerKind kind);
bool is_kind_pattern(std::string_view pattern);

}  // namespace sparsedse::dse
