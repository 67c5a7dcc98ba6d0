// The optimiser entry point (model.md §7.1).
#include "sparsedse/dse/optimise.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "profiles.hpp"
#include "random.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::dse {

std::string_view to_string(Solver solver) {
  switch (solver) {
    case Solver::sa: return "sa";
    case Solver::greedy: return "greedy";
    case Solver::rule: return "rule";
  }
  return "?";
}

Solver solver_from_string(std::string_view name) {
  if (name == "sa") return Solver::sa;
  if (name == "greedy") return Solver::greedy;
  if (name == "rule") return Solver::rule;
  throw InputError("--solver", "unknown solver '" + std::string(name) + "'; expected sa, greedy or rule");
}

Design initial_design(const ir::Graph& graph, const hw::Platform& platform, hw::ModelOptions options,
                      const OptimiserConfig& config) {
  config.apply_to(options);
  Design d;
  d.model = graph.name;
  d.platform = platform;
  d.options = options;
  d.objective = config.objective;
  d.batch_size = config.batch_size;
  d.network = hw::build_network(graph, options);
  hw::Network& net = d.network;
  if (net.size() == 0) throw InputError(graph.name, "the model has no hardware layers");

  if (config.fine.start_complete)
    for (int v = 0; v < net.size(); ++v)
      if (hw::is_convolution(net.layers[v].kind)) net.layers[v].folding.fine = net.feasible[v].fine.back();

  // One partition, or one per allowed cut (§7.1 step 4).
  std::vector<int> bounds;  // last layer of each partition
  if (config.partition.start_complete) bounds = allowed_cuts(net, config.partition);
  bounds.push_back(net.size() - 1);
  std::vector<std::vector<int>> ranges;
  for (int first = 0; int last : bounds) {
    std::vector<int>& r = ranges.emplace_back();
    for (int v = first; v <= last; ++v) r.push_back(v);
    first = last + 1;
  }
  auto listed = [&](const std::vector<std::string>& kinds, int v) {
    return std::any_of(kinds.begin(), kinds.end(), [&](const std::string& k) { return kind_matches(k, net.layers[v].kind); });
  };
  for (std::size_t i = 1; i < ranges.size();) {  // single layers merged into the previous partition
    if (ranges[i].size() == 1 && listed(config.partition.single_layer_merge_pre, ranges[i][0])) {
      ranges[i - 1].push_back(ranges[i][0]);
      ranges.erase(ranges.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (std::size_t i = 0; i + 1 < ranges.size();) {  // ... and into the next one
    if (ranges[i].size() == 1 && listed(config.partition.single_layer_merge_post, ranges[i][0])) {
      ranges[i + 1].insert(ranges[i + 1].begin(), ranges[i][0]);
      ranges.erase(ranges.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (std::vector<int>& r : ranges) {
    hw::Partition p;
    p.nodes = std::move(r);
    p.batch_size = d.batch_size;
    p.enable_wr = config.weights_reloading.apply;
    hw::apply_weights_reloading(net, p, 1);  // finds the WR layer
    if (config.weights_reloading.start_max && p.wr_layer >= 0) {
      const std::vector<int> wr = hw::feasible_weights_reloading(net.layers[p.wr_layer]);
      hw::apply_weights_reloading(net, p, wr.back());
    }
    d.partitions.push_back(std::move(p));
  }
  evaluate(d);
  return d;
}

ModeTable mode_table(const ir::Graph& graph, const hw::Network& net, const hw::ModelOptions& options) {
  ModeTable modes(net.size());
  for (int v = 0; v < net.size(); ++v) {
    const hw::HwLayer& l = net.layers[v];
    if (!hw::is_weighted(l.kind) || !graph.contains(net.names[v])) continue;
    const ir::Layer& layer = graph.layer(net.names[v]);
    if (!layer.sparsity) continue;
    ModeOption& m = modes[v];
    m.dense = dense_kind_for(l.kind);
    m.sparse = hw::is_sparse(l.kind) ? l.kind : sparse_kind_for(l, options);
    if (m.sparse == m.dense) continue;
    m.profile = l.sparsity ? l.sparsity : profile_for(l, *layer.sparsity, graph.name + ": layer '" + net.names[v] + "'");
    m.available = true;
  }
  return modes;
}

namespace {

// Kinds that are the same hardware up to mode or threshold (a ReLU gains a threshold in the loop, §8.1).
bool same_family(hw::LayerKind a, hw::LayerKind b) {
  auto relu = [](hw::LayerKind k) { return k == hw::LayerKind::relu || k == hw::LayerKind::thresholded_relu; };
  return dense_kind_for(a) == dense_kind_for(b) || (relu(a) && relu(b));
}

// The rule-based solver from the §3.4 dense/sparse selection; ours: when layers can switch mode, also
// from all-dense (with and without mode switches) and keep the best, so statistics never make the
// result worse than the dense design.
void rule_from_both_modes(SearchState& state, const Transforms& transforms, const OptimiserConfig& config,
                          const ModeTable& modes, SolverStats* stats) {
  bool switchable = false;
  for (int v = 0; v < state.size(); ++v) switchable = switchable || state.mode_option(v).available;
  if (!switchable) {
    rule_solver(state, transforms, config, stats);
    return;
  }
  SearchState dense = state;
  for (int v = 0; v < dense.size(); ++v)
    if (dense.mode_option(v).available && hw::is_sparse(dense.layer(v).kind)) dense.toggle_mode(v);
  dense.commit();
  SearchState fixed(dense.design(), {});  // no mode switches: the dense design itself
  rule_solver(state, transforms, config, stats);
  rule_solver(dense, transforms, config, stats);
  rule_solver(fixed, transforms, config, stats);
  auto better = [](const SearchState& a, const SearchState& b) {
    return a.feasible() && (!b.feasible() || a.cost() < b.cost());
  };
  if (better(fixed, dense)) dense = SearchState(fixed.design(), modes);
  if (better(dense, state)) state = std::move(dense);
}

}  // namespace

Design adopt(const Design& warm, Design d, const ModeTable& modes) {
  hw::Network& net = d.network;
  if (warm.network.size() != net.size())
    throw InputError("warm start", "the design has " + std::to_string(warm.network.size()) +
                                       " hardware layers, the model has " + std::to_string(net.size()));
  for (int v = 0; v < net.size(); ++v) {
    const hw::HwLayer& w = warm.network.layers[v];
    hw::HwLayer& l = net.layers[v];
    if (warm.network.names[v] != net.names[v] || !same_family(w.kind, l.kind))
      throw InputError("warm start", "layer " + std::to_string(v) + " is '" + warm.network.names[v] + "' (" +
                                         hw::to_string(w.kind) + ") in the design but '" + net.names[v] + "' (" +
                                         hw::to_string(l.kind) + ") in the model");
    const bool available = v < static_cast<int>(modes.size()) && modes[v].available;
    if (hw::is_sparse(w.kind) && !hw::is_sparse(l.kind) && available) {
      l.kind = modes[v].sparse;
      l.sparsity = modes[v].profile;
    } else if (!hw::is_sparse(w.kind) && hw::is_sparse(l.kind)) {
      l.kind = dense_kind_for(l.kind);
      l.sparsity.reset();
    }
    l.folding = w.folding;  // valid before weights reloading too: divisors of F/wr divide F
    l.use_uram = w.use_uram;
    l.stream_weights = w.stream_weights;
    l.stream_inputs = w.stream_inputs;
    l.stream_outputs = w.stream_outputs;
    net.refresh_feasible(v);
    hw::fix_coarse(l, net.feasible[v]);
  }
  d.partitions.clear();
  for (const hw::Partition& wp : warm.partitions) {
    hw::Partition p;
    p.nodes = wp.nodes;
    p.batch_size = d.batch_size;
    p.enable_wr = wp.enable_wr;
    p.slow_down_factor = wp.slow_down_factor;
    hw::apply_weights_reloading(net, p, 1);
    if (wp.wr_factor > 1 && p.wr_layer >= 0) {
      const std::vector<int> wr = hw::feasible_weights_reloading(net.layers[p.wr_layer]);
      if (std::binary_search(wr.begin(), wr.end(), wp.wr_factor)) hw::apply_weights_reloading(net, p, wp.wr_factor);
    }
    d.partitions.push_back(std::move(p));
  }
  evaluate(d);
  return d;
}

OptimiseResult optimise(const ir::Graph& graph, const hw::Platform& platform, const hw::ModelOptions& options,
                        const OptimiserConfig& config, const OptimiseOptions& run) {
  if (run.chains < 1) throw InputError("--chains", "expected at least 1 chain");
  const std::uint64_t seed = run.seed.value_or(config.annealing.seed);
  Design start = initial_design(graph, platform, options, config);
  const ModeTable modes = mode_table(graph, start.network, start.options);
  if (run.warm_start) start = adopt(*run.warm_start, std::move(start), modes);

  OptimiseResult result;
  result.start_cost = start.cost();
  SearchState state(std::move(start), modes);
  const Transforms transforms(state, config);

  if (run.solver == Solver::rule) {
    rule_from_both_modes(state, transforms, config, modes, &result.stats);
    result.design = state.design();
    return result;
  }
  if (run.solver == Solver::greedy) {
    greedy_solver(state, transforms, config, &result.stats);
    result.design = state.design();
    return result;
  }

  // Simulated annealing: every chain starts from the rule-based design (ours), so the result is never
  // worse than that baseline; a warm start from a given design replaces it.
  if (!run.warm_start && config.annealing.warm_start)
    rule_from_both_modes(state, transforms, config, modes, &result.stats);
  if (run.first_chain < 0 || run.chain_stride < 1 || run.first_chain >= run.chains)
    throw std::invalid_argument("dse::optimise: chain share outside the chains");
  std::vector<int> mine;  // the chain indices this process runs
  for (int c = run.first_chain; c < run.chains; c += run.chain_stride) mine.push_back(c);
  const int n = static_cast<int>(mine.size());
  std::vector<SearchState::Snapshot> best(n);
  std::vector<SolverStats> stats(n);
  std::vector<std::exception_ptr> errors(n);
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < n; ++i) {
    try {
      SearchState chain = state;
      best[i] = anneal(chain, transforms, config, chain_seed(seed, static_cast<std::uint64_t>(mine[i])), &stats[i]);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  }
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  int winner = 0;
  for (int i = 1; i < n; ++i)
    if (best[i].cost < best[winner].cost) winner = i;  // ties: the lowest chain index
  for (const SolverStats& s : stats) result.stats += s;
  result.design = state.design_of(best[winner]);
  result.winner_chain = mine[winner];
  return result;
}

}  // namespace sparsedse::dse
