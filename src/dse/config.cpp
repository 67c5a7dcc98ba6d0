// Optimiser configuration files (model.md §7.2).
#include "sparsedse/dse/config.hpp"

#include <array>
#include <cmath>
#include <cstdlib>

#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/json_fields.hpp"

namespace sparsedse::dse {

namespace {

using nlohmann::json;

constexpr std::array kKinds = {
    hw::LayerKind::convolution, hw::LayerKind::convolution_sparse, hw::LayerKind::convolution_pointwise_sparse,
    hw::LayerKind::inner_product, hw::LayerKind::inner_product_sparse, hw::LayerKind::pooling,
    hw::LayerKind::global_pooling, hw::LayerKind::relu, hw::LayerKind::thresholded_relu,
    hw::LayerKind::eltwise, hw::LayerKind::concat, hw::LayerKind::split, hw::LayerKind::squeeze};

// A section that may be absent (then every key takes its default).
JsonFields section(const JsonFields& parent, const std::string& key) {
  static const json empty = json::object();
  return parent.has(key) ? parent.object(key) : JsonFields(empty, parent.file(), parent.path() + "/" + key);
}

void read_switch(const JsonFields& s, TransformSwitch& t) {
  t.apply = s.boolean("apply_transform", t.apply);
  t.probability = s.number("probability", t.probability);
  if (t.probability < 0) s.fail("probability", "a relative probability >= 0");
}

std::vector<std::string> kind_list(const JsonFields& s, const std::string& key) {
  std::vector<std::string> out;
  if (!s.has(key)) return out;
  const json& v = s.raw(key);
  if (!v.is_array()) s.fail(key, "a list of layer kinds");
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || !is_kind_pattern(v[i].get<std::string>()))
      throw InputError(s.where(key) + "/" + std::to_string(i),
                       "expected a layer kind such as \"Convolution\", \"ReLU\", \"EltWise\" or \"*\"");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

void read_partition(const JsonFields& s, PartitionTransform& p) {
  s.allow_only({"apply_transform", "probability", "start_complete", "allowed_type", "allowed_partitions", "vertical",
                "allowed_single_layer_merge_pre", "allowed_single_layer_merge_post"});
  read_switch(s, p);
  p.start_complete = s.boolean("start_complete", p.start_complete);
  if (s.has("allowed_type")) {
    const json& v = s.raw("allowed_type");
    if (!v.is_array()) s.fail("allowed_type", "a list of \"split\" / \"merge\"");
    p.allow_split = p.allow_merge = false;
    for (const json& t : v) {
      if (t == "split") p.allow_split = true;
      else if (t == "merge") p.allow_merge = true;
      else s.fail("allowed_type", "a list of \"split\" / \"merge\"");
    }
  }
  if (s.has("allowed_partitions")) {
    const json& v = s.raw("allowed_partitions");
    if (!v.is_array()) s.fail("allowed_partitions", "a list of [prev_op, next_op] pairs");
    for (std::size_t i = 0; i < v.size(); ++i) {
      const json& pair = v[i];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string() ||
          !is_kind_pattern(pair[0].get<std::string>()) || !is_kind_pattern(pair[1].get<std::string>()))
        throw InputError(s.where("allowed_partitions") + "/" + std::to_string(i),
                         "expected a pair [prev_op, next_op] of layer kinds or \"*\"");
      p.allowed_partitions.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
  }
  if (s.boolean("vertical", false)) s.fail("vertical", "false (vertical partitioning is not supported)");
  p.single_layer_merge_pre = kind_list(s, "allowed_single_layer_merge_pre");
  p.single_layer_merge_post = kind_list(s, "allowed_single_layer_merge_post");
}

}  // namespace

int Annealing::temperature_steps() const {
  if (T <= T_min) return 0;
  return static_cast<int>(std::ceil(std::log(T_min / T) / std::log(cool)));
}

std::string_view to_string(Objective objective) {
  return objective == Objective::throughput ? "throughput" : "latency";
}

bool kind_matches(std::string_view pattern, hw::LayerKind kind) {
  if (pattern == "*" || pattern == hw::to_string(kind)) return true;
  if (pattern == "Convolution") return hw::is_convolution(kind);
  if (pattern == "InnerProduct") return hw::is_inner_product(kind);
  if (pattern == "ReLU") return kind == hw::LayerKind::thresholded_relu;
  return false;
}

bool is_kind_pattern(std::string_view pattern) {
  if (pattern == "*") return true;
  for (hw::LayerKind k : kKinds)
    if (pattern == hw::to_string(k)) return true;
  return false;
}

void OptimiserConfig::apply_to(hw::ModelOptions& options) const {
  options.rsc_allocation = resource_allocation;
  options.ram_usage = ram_usage < 0 ? std::optional<double>{} : std::optional<double>{ram_usage};
  options.bram_to_lut = bram_to_lut;
}

OptimiserConfig optimiser_config_from_json(const json& doc, const std::string& where) {
  OptimiserConfig c;
  const JsonFields root(doc, where);
  root.allow_only({"general", "transforms", "annealing"});

  const JsonFields general = section(root, "general");
  general.allow_only({"objective", "batch_size", "resource_allocation", "ram_usage", "bram_to_lut",
                      "off_chip_streaming", "balance_bram_uram"});
  c.objective = general.choice("objective", {"throughput", "latency"}, "throughput") == "throughput"
                    ? Objective::throughput
                    : Objective::latency;
  c.batch_size = static_cast<int>(general.integer_at_least("batch_size", 1, c.batch_size));
  c.resource_allocation = general.number("resource_allocation", c.resource_allocation);
  if (!(c.resource_allocation > 0 && c.resource_allocation <= 1))
    general.fail("resource_allocation", "a fraction in (0, 1]");
  if (general.has("ram_usage")) {
    c.ram_usage = general.number("ram_usage");
    if (!(c.ram_usage > 0 && c.ram_usage <= 1)) general.fail("ram_usage", "a fraction in (0, 1]");
  }
  c.bram_to_lut = general.boolean("bram_to_lut", c.bram_to_lut);
  c.off_chip_streaming = general.boolean("off_chip_streaming", c.off_chip_streaming);
  c.balance_bram_uram = general.boolean("balance_bram_uram", c.balance_bram_uram);

  const JsonFields transforms = section(root, "transforms");
  transforms.allow_only({"coarse", "fine", "weights_reloading", "partition", "bram_uram_balancing",
                         "off_chip_streaming", "sparsity", "bottleneck"});
  const std::vector<std::string> switch_keys{"apply_transform", "probability"};
  {
    const JsonFields s = section(transforms, "coarse");
    s.allow_only(switch_keys);
    read_switch(s, c.coarse);
  }
  {
    const JsonFields s = section(transforms, "fine");
    s.allow_only({"apply_transform", "probability", "start_complete"});
    read_switch(s, c.fine);
    c.fine.start_complete = s.boolean("start_complete", c.fine.start_complete);
  }
  {
    const JsonFields s = section(transforms, "weights_reloading");
    s.allow_only({"apply_transform", "probability", "start_max"});
    read_switch(s, c.weights_reloading);
    c.weights_reloading.start_max = s.boolean("start_max", c.weights_reloading.start_max);
  }
  read_partition(section(transforms, "partition"), c.partition);
  for (auto [key, target] : {std::pair{"bram_uram_balancing", &c.bram_uram_balancing},
                             std::pair{"off_chip_streaming", &c.off_chip_streaming_transform},
                             std::pair{"sparsity", &c.sparsity}, std::pair{"bottleneck", &c.bottleneck}}) {
    const JsonFields s = section(transforms, key);
    s.allow_only(switch_keys);
    read_switch(s, *target);
  }

  const JsonFields annealing = section(root, "annealing");
  annealing.allow_only({"T", "T_min", "k", "cool", "iterations", "transform_iterations", "seed",
                        "max_rejected_chains", "start_loop", "normalise_cost", "warm_start", "resource_weight"});
  Annealing& a = c.annealing;
  a.T = annealing.number("T", a.T);
  a.T_min = annealing.number("T_min", a.T_min);
  a.k = annealing.number("k", a.k);
  a.cool = annealing.number("cool", a.cool);
  if (annealing.has("iterations") && annealing.has("transform_iterations"))
    annealing.fail("transform_iterations", "only one of \"iterations\" and its alias \"transform_iterations\"");
  // Q13: upstream's key is accepted as an alias.
  const std::string iterations_key = annealing.has("transform_iterations") ? "transform_iterations" : "iterations";
  a.iterations = static_cast<int>(annealing.integer_at_least(iterations_key, 1, a.iterations));
  if (annealing.has("seed")) {
    const json& v = annealing.raw("seed");
    if (!v.is_number_unsigned()) annealing.fail("seed", "a non-negative integer");
    a.seed = v.get<std::uint64_t>();
  }
  a.max_rejected_chains = static_cast<int>(annealing.integer_at_least("max_rejected_chains", 1, a.max_rejected_chains));
  a.start_loop = static_cast<int>(annealing.integer_at_least("start_loop", 0, a.start_loop));
  a.normalise_cost = annealing.boolean("normalise_cost", a.normalise_cost);
  a.warm_start = annealing.boolean("warm_start", a.warm_start);
  a.resource_weight = annealing.number("resource_weight", a.resource_weight);
  if (a.resource_weight < 0) annealing.fail("resource_weight", "a weight >= 0");
  if (!(a.T > 0)) annealing.fail("T", "a start temperature > 0");
  if (!(a.T_min > 0)) annealing.fail("T_min", "a minimum temperature > 0");
  if (a.T_min > a.T)
    annealing.fail("T_min", "T_min <= T (the start temperature), got T_min = " + json(a.T_min).dump() +
                                " > T = " + json(a.T).dump());
  if (!(a.k > 0)) annealing.fail("k", "a Boltzmann constant > 0");
  if (!(a.cool > 0 && a.cool < 1)) annealing.fail("cool", "a cooling factor in (0, 1)");
  return c;
}

OptimiserConfig read_optimiser_config(const std::filesystem::path& path) {
  return optimiser_config_from_json(read_json(path), path.string());
}

OptimiserConfig find_optimiser_config(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json"))
    return read_optimiser_config(name_or_path);
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("SPARSEDSE_OPTIMISERS")) dirs.emplace_back(env);
  dirs.emplace_back("configs/optimisers");
#ifdef SPARSEDSE_SOURCE_DIR
  dirs.emplace_back(fs::path(SPARSEDSE_SOURCE_DIR) / "configs" / "optimisers");
#endif
  for (const fs::path& dir : dirs) {
    const fs::path file = dir / (name_or_path + ".json");
    if (path_exists(file)) return read_optimiser_config(file);
  }
  throw InputError("optimiser config " + name_or_path, "unknown config (looked for " + name_or_path +
                                                           ".json in $SPARSEDSE_OPTIMISERS and configs/optimisers)");
}

json to_json(const OptimiserConfig& c) {
  auto sw = [](const TransformSwitch& t) { return json{{"apply_transform", t.apply}, {"probability", t.probability}}; };
  json partition = sw(c.partition);
  partition["start_complete"] = c.partition.start_complete;
  json types = json::array();
  if (c.partition.allow_split) types.push_back("split");
  if (c.partition.allow_merge) types.push_back("merge");
  partition["allowed_type"] = types;
  json pairs = json::array();
  for (const auto& [a, b] : c.partition.allowed_partitions) pairs.push_back({a, b});
  partition["allowed_partitions"] = pairs;
  partition["vertical"] = false;
  partition["allowed_single_layer_merge_pre"] = c.partition.single_layer_merge_pre;
  partition["allowed_single_layer_merge_post"] = c.partition.single_layer_merge_post;
  json fine = sw(c.fine);
  fine["start_complete"] = c.fine.start_complete;
  json wr = sw(c.weights_reloading);
  wr["start_max"] = c.weights_reloading.start_max;
  json general{{"objective", std::string(to_string(c.objective))},
               {"batch_size", c.batch_size},
               {"resource_allocation", c.resource_allocation},
               {"bram_to_lut", c.bram_to_lut},
               {"off_chip_streaming", c.off_chip_streaming},
               {"balance_bram_uram", c.balance_bram_uram}};
  if (c.ram_usage >= 0) general["ram_usage"] = c.ram_usage;
  const Annealing& a = c.annealing;
  return json{{"general", general},
              {"transforms",
               {{"coarse", sw(c.coarse)},
                {"fine", fine},
                {"weights_reloading", wr},
                {"partition", partition},
                {"bram_uram_balancing", sw(c.bram_uram_balancing)},
                {"off_chip_streaming", sw(c.off_chip_streaming_transform)},
                {"sparsity", sw(c.sparsity)},
                {"bottleneck", sw(c.bottleneck)}}},
              {"annealing",
               {{"T", a.T},
                {"T_min", a.T_min},
                {"k", a.k},
                {"cool", a.cool},
                {"iterations", a.iterations},
                {"seed", a.seed},
                {"max_rejected_chains", a.max_rejected_chains},
                {"start_loop", a.start_loop},
                {"normalise_cost", a.normalise_cost},
                {"warm_start", a.warm_start},
                {"resource_weight", a.resource_weight}}}};
}

}  // namespace sparsedse::dse
