#include "sparsedse/threshold/config.hpp"

#include <algorithm>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/json_fields.hpp"

namespace sparsedse::threshold {

std::string_view to_string(HardwareMode mode) {
  switch (mode) {
    case HardwareMode::both: return "both";
    case HardwareMode::baseline: return "baseline";
    case HardwareMode::optimised: return "optimised";
  }
  return "?";
}

bool ThresholdConfig::runs(Policy p) const { return std::find(policies.begin(), policies.end(), p) != policies.end(); }

std::vector<Policy> parse_policies(const std::string& text, const std::string& where) {
  if (text == "both") return {Policy::uniform, Policy::latency_aware};
  if (auto p = policy_from_string(text)) return {*p};
  throw InputError(where, "expected \"uniform\", \"latency-aware\" or \"both\", got \"" + text + "\"");
}

ThresholdConfig threshold_config_from_json(const nlohmann::json& doc, const std::string& where) {
  JsonFields f(doc, where);
  f.allow_only({"policy", "hardware", "step", "refinements", "budget", "raise_share", "calibration", "test_images", "max_iterations", "accumulate",
                "sparse_only", "bottleneck", "bottleneck_band", "bottleneck_reach", "max_threshold", "headroom", "numerics", "hist_source", "solver", "anneal", "chains", "seed"});
  ThresholdConfig c;
  c.policies = parse_policies(f.choice("policy", {"uniform", "latency-aware", "both"}, "both"), f.where("policy"));
  std::string hw = f.choice("hardware", {"both", "baseline", "optimised"}, "both");
  c.hardware = hw == "baseline" ? HardwareMode::baseline : hw == "optimised" ? HardwareMode::optimised : HardwareMode::both;
  c.step = f.positive("step", c.step);
  c.refinements = int(f.integer_at_least("refinements", 0, c.refinements));
  c.budget = f.number("budget", c.budget);
  if (c.budget < 0) f.fail("budget", "a non-negative number of top-1 percentage points");
  c.raise_share = f.number("raise_share", c.raise_share);
  if (!(c.raise_share > 0 && c.raise_share <= 1)) f.fail("raise_share", "a share of the budget in (0, 1]");
  c.calibration = f.integer_at_least("calibration", 1, c.calibration);
  c.test_images = f.integer_at_least("test_images", 0, c.test_images);
  c.max_iterations = int(f.integer_at_least("max_iterations", 1, c.max_iterations));
  c.accumulate = f.boolean("accumulate", c.accumulate);
  c.sparse_only = f.boolean("sparse_only", c.sparse_only);
  c.bottleneck =
      *bottleneck_choice_from_string(f.choice("bottleneck", {"relievable", "interval", "slowest"}, "relievable"));
  c.bottleneck_band = f.number("bottleneck_band", c.bottleneck_band);
  if (!(c.bottleneck_band >= 0 && c.bottleneck_band < 1)) f.fail("bottleneck_band", "a fraction in [0, 1)");
  c.bottleneck_reach =
      *reach_from_string(f.choice("bottleneck_reach", {"nearest", "residual", "residual-when-frozen"},
                                  std::string(to_string(c.bottleneck_reach))));
  c.max_threshold = f.positive("max_threshold", c.max_threshold);
  c.headroom = f.boolean("headroom", c.headroom);
  if (c.step > c.max_threshold) f.fail("step", "a step no larger than max_threshold");
  c.numerics = f.string("numerics", c.numerics);
  if (c.numerics != "float" && c.numerics != "fixed" && c.numerics.rfind("fixed:", 0) != 0)
    f.fail("numerics", "\"fixed\", \"fixed:W.F\" or \"float\", got \"" + c.numerics + "\"");
  c.hist_source = *sparsity::hist_source_from_string(f.choice("hist_source", {"activations", "products"}, "activations"));
  c.solver = dse::solver_from_string(f.choice("solver", {"greedy", "sa", "rule"}, "greedy"));
  c.anneal = f.boolean("anneal", c.anneal);
  const long long chains = f.integer_at_least("chains", 1, c.chains);
  if (chains > dse::kMaxChains) f.fail("chains", "at most " + std::to_string(dse::kMaxChains) + " chains");
  c.chains = int(chains);
  long long seed = f.integer_at_least("seed", 0, 0);
  c.seed = std::uint64_t(seed);
  return c;
}

ThresholdConfig read_threshold_config(const std::filesystem::path& path) {
  return threshold_config_from_json(read_json(path), path.string());
}

nlohmann::json to_json(const ThresholdConfig& c) {
  std::string policy = c.policies.size() == 2 ? "both" : std::string(to_string(c.policies.at(0)));
  return {{"policy", policy},
          {"hardware", to_string(c.hardware)},
          {"step", c.step},
          {"refinements", c.refinements},
          {"budget", c.budget},
          {"raise_share", c.raise_share},
          {"calibration", c.calibration},
          {"test_images", c.test_images},
          {"max_iterations", c.max_iterations},
          {"accumulate", c.accumulate},
          {"sparse_only", c.sparse_only},
          {"bottleneck", to_string(c.bottleneck)},
          {"bottleneck_band", c.bottleneck_band},
          {"bottleneck_reach", to_string(c.bottleneck_reach)},
          {"max_threshold", c.max_threshold},
          {"headroom", c.headroom},
          {"numerics", c.numerics},
          {"hist_source", sparsity::to_string(c.hist_source)},
          {"solver", dse::to_string(c.solver)},
          {"anneal", c.anneal},
          {"chains", c.chains},
          {"seed", c.seed}};
}

}  // namespace sparsedse::threshold
