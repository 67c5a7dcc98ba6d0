#pragma once
// Options of the hardware model: semantics, quirk flags (model.md §9), sparse model choices and the
// resource-constraint settings used by feasibility checks (§6.7, §7.1).
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sparsedse::hw {

enum class Semantics { main, pass };             // Q1–Q3
enum class PointwiseModel { window, cluster };   // Q32
enum class SparseMetric { avg, min, max };       // §5.5 op_lat metric
enum class Interleaving { snake, naive };        // §5.4
enum class ResourceModel { chisel_linear };      // §6.1, swappable coefficient set
enum class ReconfCount { p, p_minus_1 };         // Q11
enum class NetworkMode { sequential, pipelined };  // §4.7: one FPGA reconfigured, or one FPGA per partition

// Each flag: false = corrected (our default), true = faithful to upstream.
struct Quirks {
  bool sparse_io = false;               // Q5: rows·rows io terms, no padding
  bool global_pool_latency = false;     // Q7: C // streams
  bool glue_latency = false;            // Q8: divides by coarse_group twice
  bool conv_squeeze_rate = false;       // Q10: squeeze ignores the K²/fine word expansion
  bool bram_to_lut_accounting = false;  // Q12: LUT += surplus·288
  bool sparse_squeeze = false;          // Q14: charge S_in − 1 squeezes in a sparse conv
  bool small_rom = false;               // Q15: arrays < 1024 bits cost nothing
  bool ip_param_size = false;           // Q21: IP parameters C·F
  bool sparse_weight_layout = false;    // Q33: fine unpacked arrays of width ww
  static Quirks all_faithful();
  bool operator==(const Quirks&) const = default;
};

struct ModelOptions {
  Semantics semantics = Semantics::main;
  Quirks quirks;
  double sparse_enable = 0.1;  // §3.4: mean zero fraction at which a conv becomes sparse
  PointwiseModel pointwise_model = PointwiseModel::window;
  SparseMetric sparse_metric = SparseMetric::avg;
  Interleaving interleaving = Interleaving::snake;
  ResourceModel resource_model = ResourceModel::chisel_linear;
  ReconfCount reconf_count = ReconfCount::p;
  // §4.7 network metrics. `pipelined` runs every partition on its own FPGA, linked by Ethernet
  // (the platform's `ethernet` section is then required; docs/estimate.md "Network modes").
  NetworkMode network_mode = NetworkMode::sequential;
  bool sparse_inner_product = true;  // an IP with sparsity statistics may use the K² = 1 window model

  // Default number formats of layers built from the IR (§3.3).
  int data_width = 16;
  int weight_width = 16;
  int acc_width = 32;

  // Constraints (§6.7): LUT/FF/DSP/bandwidth ≤ rsc_allocation·budget, BRAM/URAM ≤ ram_usage·budget.
  double rsc_allocation = 0.9;
  std::optional<double> ram_usage;  // defaults to rsc_allocation
  bool bram_to_lut = true;

  double ram_fraction() const { return ram_usage.value_or(rsc_allocation); }

  // Defaults of a semantics: `pass` sets every quirk faithful and sparse_enable = 0.2 (§3.4, §9).
  static ModelOptions for_semantics(Semantics semantics);
};

// Reads {"semantics", "quirks": {id: "corrected"|"faithful"}, "sparse_enable", "pointwise_model",
// "sparse_metric", "interleaving", "resource_model", "reconf_count", "network_mode", "sparse_inner_product",
// "data_width", "weight_width", "acc_width", "rsc_allocation", "ram_usage", "bram_to_lut"}.
// `semantics` is applied first, so the other keys override its defaults. Unknown keys are InputErrors.
ModelOptions parse_model_options(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const ModelOptions& options);

std::string to_string(Semantics s);

}  // namespace sparsedse::hw
