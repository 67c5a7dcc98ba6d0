#pragma once
// Settings of the ReLU thresholding loop (model.md §8.2–§8.4): the threshold JSON file
//   {"policy": "uniform" | "latency-aware" | "both", "hardware": "both" | "baseline" | "optimised",
//    "step": 0.05, "refinements": 2, "budget": 1.0, "raise_share": 1.0, "calibration": 1000, "test_images": 0, "max_iterations": 40,
//    "accumulate": true, "sparse_only": true, "bottleneck": "relievable" | "interval" | "slowest",
//    "bottleneck_band": 0.0, "bottleneck_reach": "nearest" | "residual" | "residual-when-frozen", "max_threshold": 8.0, "headroom": true,
//    "numerics": "fixed", "hist_source": "activations", "solver": "greedy" | "sa" | "rule", "anneal": true, "chains": 1, "seed": 0}
// Every key is optional; unknown keys are InputErrors naming the file and the key.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/dse/optimise.hpp"
#include "sparsedse/sparsity/window_histogram.hpp"
#include "sparsedse/threshold/policy.hpp"

namespace sparsedse::threshold {

// Which hardware the loop measures (model.md §8.4).
enum class HardwareMode {
  both,       // the fixed threshold-0 design and the design re-optimised every iteration
  baseline,   // only the fixed design ("baseline hardware"): no optimiser run inside the loop
  optimised,  // only the re-optimised design ("optimised hardware")
};
std::string_view to_string(HardwareMode mode);


struct ThresholdConfig {
  std::vector<Policy> policies{Policy::uniform, Policy::latency_aware};
  HardwareMode hardware = HardwareMode::both;

  // Thresholds are absolute activation values. The published loop used 0.005 on normalised inputs; on
  // our models accuracy holds to about 0.2 and collapses between 0.3 and 0.5, so 0.05 reaches the cliff
  // in ~6 uniform steps (each a full re-profile), and each of `refinements` halvings after the budget
  // is first exceeded resolves it more finely (0.05 → 0.025 → 0.0125) for one extra iteration.
  double step = 0.05;
  int refinements = 2;
  double budget = 1.0;              // allowed top-1 drop, absolute percentage points vs thresholds 0
  // Ours: the largest share of the budget one raise may spend per ReLU it raises (its top-1 drop against
  // the last accepted thresholds); a costlier raise is rolled back like one over the budget. A ReLU at an
  // accuracy cliff (a ResNet's stem ReLU) then rises in halved steps instead of spending the budget the
  // other ReLUs need in one or two raises. 1 = the budget alone (a raise of n ReLUs may spend n budgets).
  // The halved steps cost iterations: 0.5 pays on the 1 000-image, 120-iteration experiment but not on the
  // 40-iteration default job (docs/results.md, session 13), so it is set per job.
  double raise_share = 1.0;
  std::int64_t calibration = 1000;  // calibration images (model.md §5.1), the first N of the dataset
  std::int64_t test_images = 0;     // held-out images for the final accuracy; 0 = the whole test set
  int max_iterations = 40;          // accepted or rolled-back steps per run, after the threshold-0 start
  bool accumulate = true;           // Q17: corrected (cumulative) by default; false = upstream `main`
  bool sparse_only = true;          // latency-aware: bottleneck among the layers the design runs sparse
  // Latency-aware: how a partition's bottleneck is chosen (policy.hpp BottleneckChoice). The default skips
  // layers already at their floor; once a fixed design's interval is held by a layer no threshold can
  // shorten, it goes on relieving the slowest layer that can still get faster, which shortens the
  // pipeline fill ("interval" stops there instead). "slowest": upstream.
  BottleneckChoice bottleneck = BottleneckChoice::relievable;
  // Latency-aware, ours: also raise the ReLUs behind every candidate within this fraction of the slowest
  // layer's latency (policy.hpp BottleneckRule::band). 0 = the slowest layer alone, as in §8.3.
  double bottleneck_band = 0.0;
  // Latency-aware: which ReLUs relieve a bottleneck (policy.hpp Reach). "nearest" (§8.3): those reached
  // through forks, pools and adds; ours: "residual" also the ReLUs behind both branches of the residual
  // block whose output ReLU feeds it, "residual-when-frozen" (default) those only once the nearest ones
  // are frozen on the budget, so a bottleneck behind a frozen block output stays relievable.
  Reach bottleneck_reach = Reach::residual_when_frozen;
  double max_threshold = 8.0;       // no threshold rises past this (an absolute activation value)
  // Ours: refold the threshold-0 design's layers that would hold its interval with every threshold at
  // +inf (ReLU, fork, add and pooling layers wider; a conv re-split or sparse, or given spare multipliers
  // if neither helps; dse/headroom.hpp). The baseline hardware keeps its threshold-0 throughput (to 0.1 %)
  // and spends LUTs so that thresholds can speed it up past the rate the optimiser folded those layers for.
  // false = the optimiser's design as it is.
  bool headroom = true;
  std::string numerics = "fixed";   // "fixed", "fixed:W.F" or "float" (engine::Numerics::parse)
  sparsity::HistSource hist_source = sparsity::HistSource::activations;  // Q16
  dse::Solver solver = dse::Solver::greedy;  // model.md §7.5: greedy is the default inside the loop
  // Ours: after the solver, simulated annealing warm-started from its design; the better design is kept
  // (for the threshold-0 design as for every re-optimisation, so both hardware modes get the same effort).
  // On ResNet-20 greedy alone leaves ~13 % throughput to annealing at thresholds 0.
  bool anneal = true;
  // Ours: independent annealing chains per annealing run, run in parallel (OpenMP), at most dse::kMaxChains;
  // the best is kept. Chain 0 is the one-chain run, so more chains never end a single search slower;
  // over a whole loop they change the path, not the seed spread (docs/results.md, session 15).
  int chains = 1;
  std::uint64_t seed = 0;

  bool runs(Policy p) const;
  bool measures_baseline() const { return hardware != HardwareMode::optimised; }
  bool measures_optimised() const { return hardware != HardwareMode::baseline; }
};

// Parse and validate; `where` names the source file in errors.
ThresholdConfig threshold_config_from_json(const nlohmann::json& doc, const std::string& where);
ThresholdConfig read_threshold_config(const std::filesystem::path& path);
nlohmann::json to_json(const ThresholdConfig& config);

// "uniform" | "latency-aware" | "both" → the policies to run; anything else is an InputError at `where`.
std::vector<Policy> parse_policies(const std::string& text, const std::string& where);

}  // namespace sparsedse::threshold
