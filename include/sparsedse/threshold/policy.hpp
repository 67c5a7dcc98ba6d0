#pragma once
// Threshold policies of the ReLU thresholding loop (model.md §8.3): which ReLUs rise in an iteration.
// The policies need only the graph IR and, for the latency-aware policy, the per-partition layer
// latencies of a hardware design; they never run inference or the optimiser.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sparsedse/ir/graph.hpp"

namespace sparsedse::threshold {

enum class Policy {
  uniform,        // every ReLU rises by the step (one global threshold)
  latency_aware,  // upstream `slowest_node`: the ReLUs feeding each partition's bottleneck rise
};
std::string_view to_string(Policy policy);  // "uniform" | "latency-aware"
std::optional<Policy> policy_from_string(std::string_view name);

// ReLUs whose threshold shapes the input of `layer`: a walk back from each of its inputs through
// layers that pass zeros on without computing new values (Split, EltwiseAdd, Concat, pooling,
// Flatten), stopping at every ReLU it meets (collected) and at anything else (Convolution,
// InnerProduct, Input: no ReLU behind it can reach this layer). Name-sorted, without duplicates.
// model.md §8.3 walks one hop; through pooling and chains of forks we walk as far as zeros travel.
// With `through_residual` (ours, option), a collected ReLU that rectifies an EltwiseAdd also brings the
// ReLUs that feed the add's branches (the nearest ReLU behind each branch, through its convolution):
// the zeros of a residual block's output depend on both branches' magnitudes, and in our ResNets
// raising that output ReLU alone barely sparsifies it (docs/results.md).
std::vector<std::string> feeding_relus(const ir::Graph& graph, ir::Vertex layer, bool through_residual = false);

// ReLUs that may not rise (frozen by the loop): a layer all of whose relieving ReLUs are frozen is no
// bottleneck candidate (under `exact_interval` it then blocks its partition), and they are never raised.
using FrozenRelus = std::set<std::string>;

// Which ReLUs relieve a bottleneck (threshold config key "bottleneck_reach").
enum class Reach {
  nearest,              // §8.3: the nearest ReLUs (feeding_relus)
  residual,             // ours: the nearest ReLUs and, behind a block's output ReLU, its branches' (`through_residual`)
  residual_when_frozen, // ours: the nearest ReLUs while one of them can rise; once all are frozen, the branches'
};
std::string_view to_string(Reach reach);  // "nearest" | "residual" | "residual-when-frozen"
std::optional<Reach> reach_from_string(std::string_view name);

// The ReLUs that an iteration relieving `layer` raises under `reach`: its feeding ReLUs less the frozen
// ones. Name-sorted; empty when no threshold can change the layer's input any more.
std::vector<std::string> relieving_relus(const ir::Graph& graph, ir::Vertex layer, Reach reach,
                                         const FrozenRelus& frozen);

// One layer of a hardware design as the latency-aware policy sees it. Names that are not layers of
// the graph (Squeeze adapters the hardware inserts) are ignored.
struct LayerLatency {
  std::string layer;
  double latency = 0.0;  // cycles per image in the design (model.md §4.4 / §5.5)
  bool sparse = false;   // the design runs it as a sparse convolution (it has sparsity information)
  // The latency it would have if every input window were all zeros: the part (input streaming,
  // pipeline) no threshold can remove. Equal to `latency` for a dense layer. 0 = unknown.
  double floor = 0.0;
  // Off-chip weight bits it streams per image (model.md §4.6: stream_bw · latency, so a layer that gets
  // faster streams fewer); 0 = its weights stay on chip.
  double weight_bits = 0.0;
  bool operator==(const LayerLatency&) const = default;
};

// One partition of a hardware design as the latency-aware policy sees it.
struct PartitionLatency {
  std::vector<LayerLatency> layers;
  bool memory_bound = false;  // off-chip bandwidth, not a layer, sets its rate (slow-down factor > 1)
  bool operator==(const PartitionLatency&) const = default;
};
using PartitionLatencies = std::vector<PartitionLatency>;

// How the latency-aware policy picks a partition's bottleneck.
struct BottleneckRule {
  // Only layers the design runs sparse (upstream takes the slowest layer "with sparsity information", §8.3).
  bool sparse_only = true;
  // Ours: skip layers already at their floor (more zeros cannot make them faster). Upstream: false.
  bool above_floor = true;
  // Ours, for a fixed design: skip a partition whose interval (the largest latency) is held by a layer
  // no threshold can speed up, since raising others cannot shorten it. Meaningless for a design that is
  // re-optimised (freed resources move), so the loop enables it only for the baseline-hardware run.
  bool exact_interval = false;
  // Ours, optional: also take every other candidate whose latency is within this fraction of the slowest
  // one's (0.03 = within 3 %). In a balanced design the next-slowest layers hold the interval as soon as
  // the slowest is relieved, so raising one ReLU at a time buys almost nothing. 0 = the slowest alone (§8.3).
  double band = 0.0;
  // Which ReLUs relieve a bottleneck (Reach). nearest = §8.3.
  Reach reach = Reach::nearest;
  // Ours, for a fixed design: in a partition whose rate memory bandwidth sets, the bottleneck is the
  // candidate streaming the most weight bits per image (its traffic falls with its latency), not the
  // slowest layer, which would not speed the partition up. Without such a candidate the slowest layer is
  // taken as usual. A re-optimised design moves weights on and off chip at every step, so the loop enables
  // it only for the baseline-hardware run (on ResNet-18 it spent the optimised run's budget on the stem).
  bool memory_aware = false;
};

// Which BottleneckRule the latency-aware policy uses (threshold config key "bottleneck").
enum class BottleneckChoice {
  relievable,  // ours, default: the slowest layer a threshold can still speed up (above its floor); on a
               // fixed design's memory-bound partition, the one streaming the most weights (memory_aware)
  interval,    // ours: the same, but on a fixed design only while such a layer (or the memory) holds the interval
  slowest,     // upstream (§8.3): the slowest layer with sparsity information, floors and memory ignored
};
std::string_view to_string(BottleneckChoice choice);
std::optional<BottleneckChoice> bottleneck_choice_from_string(std::string_view name);
// The rule of `choice` for a run steered by a fixed design (`fixed_design`) or a re-optimised one.
BottleneckRule bottleneck_rule(BottleneckChoice choice, bool sparse_only, bool fixed_design, double band,
                               Reach reach = Reach::nearest);

// A layer whose input sparsity a ReLU threshold can still change: a Convolution or InnerProduct with at
// least one relieving ReLU under `reach`.
bool threshold_sensitive(const ir::Graph& graph, ir::Vertex layer, const FrozenRelus& frozen = {},
                         Reach reach = Reach::nearest);

// The bottleneck a threshold can relieve in each partition: among the threshold-sensitive layers that
// pass `rule`, the one with the largest latency (with `rule.memory_aware`, in a memory-bound partition,
// the one streaming the most weight bits, if any streams); ties go to the smaller name. A partition
// without such a layer (or blocked by `exact_interval`) contributes nothing. Per contributing partition
// its bottleneck, then (with `rule.band`, not for the memory) the other candidates within the band,
// slowest first.
std::vector<std::string> slowest_sensitive_layers(const ir::Graph& graph, const PartitionLatencies& partitions,
                                                  const BottleneckRule& rule = {}, const FrozenRelus& frozen = {});

// The ReLUs an iteration raises: every ReLU (uniform) or the union of the relieving ReLUs of each
// partition's slowest sensitive layer (latency-aware), less the frozen ones. Name-sorted; each ReLU at most once.
std::vector<std::string> relus_to_raise(Policy policy, const ir::Graph& graph, const PartitionLatencies& partitions,
                                        const BottleneckRule& rule = {}, const FrozenRelus& frozen = {});

// Every ReLU of the graph, name-sorted.
std::vector<std::string> relu_names(const ir::Graph& graph);

// Threshold per ReLU name; every ReLU of the model is listed (absent = 0).
using ThresholdMap = std::map<std::string, double>;

struct RaiseRule {
  double step = 0.05;
  bool accumulate = true;      // Q17 corrected: t += step. Faithful (false): t = step, never accumulating.
  double max_threshold = 1e9;  // a threshold never rises past this (the data format's range)
};

// Thresholds after raising `relus` by `rule`, rounded to 1e-9 so that sums of decimal steps print as
// decimals (0.02 + 0.02 → 0.04). Thresholds never fall: a rule that would lower one leaves it alone.
ThresholdMap raise(const ThresholdMap& current, const std::vector<std::string>& relus, const RaiseRule& rule);

}  // namespace sparsedse::threshold
