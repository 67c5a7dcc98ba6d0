#include "sparsedse/threshold/policy.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace sparsedse::threshold {

std::string_view to_string(Policy policy) {
  switch (policy) {
    case Policy::uniform: return "uniform";
    case Policy::latency_aware: return "latency-aware";
  }
  return "?";
}

std::optional<Policy> policy_from_string(std::string_view name) {
  if (name == "uniform") return Policy::uniform;
  if (name == "latency-aware" || name == "slowest_node") return Policy::latency_aware;
  return std::nullopt;
}

std::string_view to_string(BottleneckChoice choice) {
  switch (choice) {
    case BottleneckChoice::relievable: return "relievable";
    case BottleneckChoice::interval: return "interval";
    case BottleneckChoice::slowest: return "slowest";
  }
  return "?";
}

std::optional<BottleneckChoice> bottleneck_choice_from_string(std::string_view name) {
  for (BottleneckChoice c : {BottleneckChoice::relievable, BottleneckChoice::interval, BottleneckChoice::slowest})
    if (name == to_string(c)) return c;
  return std::nullopt;
}

std::string_view to_string(Reach reach) {
  switch (reach) {
    case Reach::nearest: return "nearest";
    case Reach::residual: return "residual";
    case Reach::residual_when_frozen: return "residual-when-frozen";
  }
  return "?";
}

std::optional<Reach> reach_from_string(std::string_view name) {
  for (Reach r : {Reach::nearest, Reach::residual, Reach::residual_when_frozen})
    if (name == to_string(r)) return r;
  return std::nullopt;
}

BottleneckRule bottleneck_rule(BottleneckChoice choice, bool sparse_only, bool fixed_design, double band,
                               Reach reach) {
  const bool ours = choice != BottleneckChoice::slowest;
  return {sparse_only, ours, choice == BottleneckChoice::interval && fixed_design, band, reach, ours && fixed_design};
}

namespace {

// Layers that forward their producers' zeros without computing new values (a max/avg over zeros
// is zero, a sum of zeros is zero), so a ReLU behind them still shapes the windows downstream.
bool passes_zeros(ir::LayerKind kind) {
  switch (kind) {
    case ir::LayerKind::Split:
    case ir::LayerKind::EltwiseAdd:
    case ir::LayerKind::Concat:
    case ir::LayerKind::MaxPool:
    case ir::LayerKind::AveragePool:
    case ir::LayerKind::GlobalAveragePool:
    case ir::LayerKind::Flatten:
      return true;
    default:
      return false;
  }
}

// The walk of feeding_relus from the inputs of `layer`, collecting into `relus`.
void nearest_relus(const ir::Graph& graph, ir::Vertex layer, std::set<std::string>& relus) {
  std::set<ir::Vertex> seen;
  std::vector<ir::Vertex> stack = graph.predecessors(layer);
  while (!stack.empty()) {
    ir::Vertex v = stack.back();
    stack.pop_back();
    if (!seen.insert(v).second) continue;
    const ir::Layer& l = graph.layer(v);
    if (l.kind == ir::LayerKind::ReLU) {
      relus.insert(l.name);
    } else if (passes_zeros(l.kind)) {
      for (ir::Vertex p : graph.predecessors(v)) stack.push_back(p);
    }
  }
}

// The nearest ReLUs behind `v` on one branch of a residual add: through zero-forwarding layers, and
// through one weighted layer to the ReLUs that feed it.
void branch_relus(const ir::Graph& graph, ir::Vertex v, std::set<std::string>& relus) {
  const ir::Layer& l = graph.layer(v);
  if (l.kind == ir::LayerKind::ReLU) {
    relus.insert(l.name);
  } else if (l.is_weighted()) {
    nearest_relus(graph, v, relus);
  } else if (passes_zeros(l.kind)) {
    for (ir::Vertex p : graph.predecessors(v)) branch_relus(graph, p, relus);
  }
}

}  // namespace

std::vector<std::string> feeding_relus(const ir::Graph& graph, ir::Vertex layer, bool through_residual) {
  std::set<std::string> relus;
  nearest_relus(graph, layer, relus);
  if (through_residual) {
    std::set<std::string> blocks;
    for (const std::string& r : relus)
      for (ir::Vertex p : graph.predecessors(graph.vertex(r)))
        if (graph.layer(p).kind == ir::LayerKind::EltwiseAdd)
          for (ir::Vertex branch : graph.predecessors(p)) branch_relus(graph, branch, blocks);
    relus.merge(blocks);
  }
  return {relus.begin(), relus.end()};
}

std::vector<std::string> relieving_relus(const ir::Graph& graph, ir::Vertex layer, Reach reach,
                                         const FrozenRelus& frozen) {
  auto unfrozen = [&](bool through_residual) {
    std::vector<std::string> relus = feeding_relus(graph, layer, through_residual);
    std::erase_if(relus, [&](const std::string& r) { return frozen.count(r) > 0; });
    return relus;
  };
  std::vector<std::string> relus = unfrozen(reach == Reach::residual);
  if (relus.empty() && reach == Reach::residual_when_frozen) relus = unfrozen(true);
  return relus;
}

bool threshold_sensitive(const ir::Graph& graph, ir::Vertex layer, const FrozenRelus& frozen, Reach reach) {
  return graph.layer(layer).is_weighted() && !relieving_relus(graph, layer, reach, frozen).empty();
}

std::vector<std::string> slowest_sensitive_layers(const ir::Graph& graph, const PartitionLatencies& partitions,
                                                  const BottleneckRule& rule, const FrozenRelus& frozen) {
  auto candidate = [&](const LayerLatency& node) {
    if (!graph.contains(node.layer)) return false;  // Squeeze adapters and other hardware-only layers
    if (rule.sparse_only && !node.sparse) return false;
    if (rule.above_floor && node.latency <= node.floor) return false;
    return threshold_sensitive(graph, graph.vertex(node.layer), frozen, rule.reach);
  };
  auto slower = [](const LayerLatency* a, const LayerLatency* b) {
    return a->latency > b->latency || (a->latency == b->latency && a->layer < b->layer);
  };
  auto more_traffic = [](const LayerLatency* a, const LayerLatency* b) {
    return a->weight_bits > b->weight_bits || (a->weight_bits == b->weight_bits && a->layer < b->layer);
  };
  std::vector<std::string> slowest;
  for (const PartitionLatency& partition : partitions) {
    const std::vector<LayerLatency>& layers = partition.layers;
    std::vector<const LayerLatency*> candidates;
    for (const LayerLatency& node : layers)
      if (candidate(node)) candidates.push_back(&node);
    if (candidates.empty()) continue;
    if (rule.memory_aware && partition.memory_bound) {
      const LayerLatency* heaviest = *std::min_element(candidates.begin(), candidates.end(), more_traffic);
      if (heaviest->weight_bits > 0) {
        slowest.push_back(heaviest->layer);
        continue;
      }
    }
    std::sort(candidates.begin(), candidates.end(), slower);
    const LayerLatency& best = *candidates.front();
    if (rule.exact_interval &&
        std::any_of(layers.begin(), layers.end(),
                    [&](const LayerLatency& node) { return !candidate(node) && node.latency >= best.latency; }))
      continue;
    for (const LayerLatency* node : candidates)
      if (node == &best || (rule.band > 0 && node->latency >= (1.0 - rule.band) * best.latency))
        slowest.push_back(node->layer);
  }
  return slowest;
}

std::vector<std::string> relu_names(const ir::Graph& graph) {
  std::vector<std::string> names;
  for (ir::Vertex v = 0; v < graph.size(); ++v)
    if (graph.layer(v).kind == ir::LayerKind::ReLU) names.push_back(graph.layer(v).name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> relus_to_raise(Policy policy, const ir::Graph& graph, const PartitionLatencies& partitions,
                                        const BottleneckRule& rule, const FrozenRelus& frozen) {
  std::set<std::string> relus;  // each ReLU at most once per iteration, even if it feeds two bottlenecks
  if (policy == Policy::uniform) {
    for (std::string& r : relu_names(graph))
      if (!frozen.count(r)) relus.insert(std::move(r));
  } else {
    // relieving_relus leaves the frozen ones out already.
    for (const std::string& layer : slowest_sensitive_layers(graph, partitions, rule, frozen))
      for (std::string& r : relieving_relus(graph, graph.vertex(layer), rule.reach, frozen)) relus.insert(std::move(r));
  }
  return {relus.begin(), relus.end()};
}

ThresholdMap raise(const ThresholdMap& current, const std::vector<std::string>& relus, const RaiseRule& rule) {
  ThresholdMap next = current;
  for (const std::string& r : relus) {
    double t = current.count(r) ? current.at(r) : 0.0;
    double raised = rule.accumulate ? t + rule.step : rule.step;
    raised = std::min(std::round(raised * 1e9) / 1e9, rule.max_threshold);
    next[r] = std::max(t, raised);
  }
  return next;
}

}  // namespace sparsedse::threshold
