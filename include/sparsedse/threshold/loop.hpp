#pragma once
// The ReLU thresholding loop (model.md §8.2): start from thresholds 0 and the design optimised for
// them (the "baseline hardware"), then repeatedly raise thresholds by a policy (§8.3), re-profile
// the calibration set, and measure the fixed baseline design and a design re-optimised for the new
// statistics (§8.4), until no ReLU the policy would raise can rise within the top-1 budget, no threshold
// can rise, or the iteration limit is reached. A raise that breaks the budget is rolled back and halves
// the step of each ReLU it raised, up to `refinements` times per ReLU; after that the ReLU is frozen.
// Uniform raises every ReLU alike, so this is one global step; the latency-aware policy moves on to
// the next bottleneck whose ReLUs can still rise (ours: upstream stops at the first broken budget).
//
// The loop sees the world through two interfaces, so the control logic is independent of how
// accuracy and throughput are obtained: a Measurer (profiler + test set, see backends.hpp) and a
// Hardware (the DSE). Its whole state is a value (LoopState) that serialises to JSON: the driver
// writes it after every completed iteration, and a run resumed from it ends with the same result.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/ir/graph.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/threshold/accuracy.hpp"
#include "sparsedse/threshold/config.hpp"
#include "sparsedse/threshold/policy.hpp"

namespace sparsedse::threshold {

// Accuracy and sparsity at a set of thresholds.
class Measurer {
 public:
  virtual ~Measurer() = default;
  // Profile of the calibration subset (top-1 as a fraction and per image, window statistics per Conv/IP).
  virtual sparsity::ProfileResult calibrate(const ThresholdMap& thresholds) = 0;
  // Top-1 per image of the held-out test set.
  virtual TopOneHits test_hits(const ThresholdMap& thresholds) = 0;
  virtual std::int64_t test_images() const = 0;
  virtual std::int64_t calibration_images() const = 0;
};

struct ResourceUse {
  double lut = 0, ff = 0, dsp = 0, bram = 0, uram = 0;  // BRAM in BRAM18 units
  bool operator==(const ResourceUse&) const = default;
};

// A design measured on a graph carrying sparsity statistics.
struct Measured {
  nlohmann::json design;        // the design in the DSE's own file format (round-trips exactly)
  double throughput = 0.0;      // images per second
  double latency_s = 0.0;       // seconds per batch
  ResourceUse resources;
  PartitionLatencies layers;    // per partition: layer latencies, sparse flags, memory-bound (latency-aware policy)
  bool feasible = true;
};

// The hardware model: optimise a design for a graph, or re-evaluate a fixed design on it.
class Hardware {
 public:
  virtual ~Hardware() = default;
  // `warm_start` (a previous design) may be null. `seed` drives any randomness of the solver.
  virtual Measured optimise(const ir::Graph& graph, const nlohmann::json* warm_start, std::uint64_t seed) = 0;
  // The fixed design with the graph's new statistics: its sparse layers get the new histograms, its
  // dense layers stay dense, foldings and partitions are kept (model.md §8.4 `fixed`).
  virtual Measured evaluate(const nlohmann::json& design, const ir::Graph& graph) = 0;
  // The design given headroom for `limit` (the sparsest statistics it is expected to see), measured on
  // `graph`: the layers that would hold its interval there refolded where that fits and costs neither
  // multipliers nor throughput (dse::add_headroom).
  virtual Measured add_headroom(const nlohmann::json& design, const ir::Graph& graph, const ir::Graph& limit) = 0;
};

// Which design steers the latency-aware policy of a run (the slowest layers differ per design).
enum class Guide { none, baseline, optimised };
std::string_view to_string(Guide guide);

// One iteration of one run (a row of iterations.csv).
struct IterationRecord {
  std::string run;
  Policy policy = Policy::uniform;
  int iteration = 0;              // 0 = thresholds 0
  bool accepted = true;           // false: the top-1 drop exceeded the budget and the step was rolled back
  double step = 0.0;              // the step this iteration raised by (0 at iteration 0)
  std::vector<std::string> bottlenecks;  // latency-aware: the slowest sensitive layers chosen
  std::vector<std::string> raised;       // ReLUs raised this iteration
  ThresholdMap thresholds;               // every ReLU
  double top1 = 0.0, top5 = 0.0;          // calibration subset, percent
  std::map<std::string, double> mean_sparsity;  // per Conv/IP: mean zero fraction of its input windows
  std::optional<double> baseline_throughput;    // img/s of the fixed threshold-0 design
  std::optional<double> optimised_throughput;   // img/s of the re-optimised design
  std::optional<ResourceUse> optimised_resources;
  bool operator==(const IterationRecord&) const = default;
};

// The state of one run (one policy, steered by one design).
struct RunState {
  std::string name;  // "uniform", "latency-aware/baseline-hw", "latency-aware/optimised-hw"
  Policy policy = Policy::uniform;
  Guide guide = Guide::none;
  bool measure_baseline = true, measure_optimised = true;

  ThresholdMap thresholds;       // last accepted
  int accepted_iteration = 0;    // its iteration number
  // Per ReLU: its current step, halved on each of its refinements; 0 = frozen (even its smallest
  // step broke the budget, and other thresholds only rise, so it never rises again).
  ThresholdMap steps;
  std::map<std::string, int> refinements_left;
  int iteration = 0;             // last completed iteration
  bool done = false;
  std::string stop_reason;
  nlohmann::json design;         // last accepted re-optimised design (warm start); null if not measured
  PartitionLatencies guide_layers;  // latencies of the steering design at the accepted statistics
  std::optional<double> top1_test;  // percent, at `thresholds`, once the run is done
  // The top-1 drop from thresholds 0 to `thresholds`, image by image, on the calibration subset and on
  // the test set: computed with the test top-1 at thresholds 0, after every run is done.
  std::optional<PairedDrop> calibration_drop, test_drop;
  bool operator==(const RunState&) const = default;
};

// What no thresholds can beat on the baseline hardware: the threshold-0 design with every
// threshold-sensitive layer (threshold_sensitive) seeing only all-zero input windows, i.e. each ReLU at
// +inf. Its dense layers and the floors of its sparse ones remain; the slowest of them holds it.
struct Ceiling {
  double throughput = 0.0;            // images per second
  std::vector<std::string> bound_by;  // per partition: its slowest layer, or "memory bandwidth"
  bool operator==(const Ceiling&) const = default;
};

// `graph` as the limit of ever higher thresholds sees it: the statistics of every threshold-sensitive
// layer replaced by all-zero windows; the rest (e.g. the first convolution, fed by the image) kept.
ir::Graph with_all_zero_windows(const ir::Graph& graph);

struct LoopState {
  nlohmann::json fingerprint;     // what the run was started with (model, data, platform, config)
  bool started = false;           // the threshold-0 iteration is done
  double top1_zero = 0.0;         // calibration top-1 at thresholds 0, percent
  std::optional<double> top1_test_zero;  // test top-1 at thresholds 0, percent (computed at the end)
  std::int64_t calibration_images = 0, test_images = 0;
  nlohmann::json baseline_design;  // the threshold-0 design ("baseline hardware")
  double baseline_throughput = 0.0;
  ResourceUse baseline_resources;
  std::optional<Ceiling> baseline_ceiling;  // absent only in checkpoints written before it existed
  std::vector<RunState> runs;
  std::vector<IterationRecord> records;
  bool operator==(const LoopState&) const = default;

  bool done() const;
};

// The first top-level key in which two run fingerprints differ ("" if none), for resume errors.
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b);

// Whether `after` is `before` with a higher `max_iterations` at `limit` and nothing else changed.
bool raises_only_iteration_limit(const nlohmann::json& before, const nlohmann::json& after,
                                 const nlohmann::json::json_pointer& limit);

// A checkpoint carried to a higher iteration limit: when `fingerprint` (the new run's) differs from the
// state's only by a higher max_iterations at `limit`, the runs that stopped at the old limit reopen and the
// state takes the new fingerprint, so the loop goes on to the same result as a fresh run with the higher
// limit. Otherwise returns false and changes nothing.
bool extend_iteration_limit(LoopState& state, const nlohmann::json& fingerprint,
                            const nlohmann::json::json_pointer& limit);

// The checkpoint format; reading validates every field (InputError naming `where` and the path).
nlohmann::json to_json(const LoopState& state);
LoopState loop_state_from_json(const nlohmann::json& j, const std::string& where);
nlohmann::json to_json(const IterationRecord& record);
IterationRecord iteration_record_from_json(const nlohmann::json& j, const std::string& where, const std::string& path);

// Called after every step of the loop with the state and the index of the first record the step
// added (state.records.size() if it added none, e.g. when it computed a test accuracy).
using LoopObserver = std::function<void(const LoopState&, std::size_t first_new_record)>;

// Runs (or resumes) the loop over `graph` (the model at thresholds 0, Split layers inserted).
class ThresholdLoop {
 public:
  ThresholdLoop(const ir::Graph& graph, ThresholdConfig config, Measurer& measurer, Hardware& hardware);

  // A fresh state for this graph and config; `fingerprint` is stored as given.
  LoopState initial_state(nlohmann::json fingerprint) const;

  // Advance `state` by one step: the threshold-0 start, the baseline ceiling (only for a checkpoint
  // written before it existed), one iteration of the first unfinished run, or the test accuracy at
  // thresholds 0. Returns false once everything is done (the records then in their fresh-run order:
  // threshold-0 records first, then each run's).
  bool step(LoopState& state);

  // Step until done, calling `observer` after each completed iteration.
  void run(LoopState& state, const LoopObserver& observer = {});

  // A design the threshold-0 design must not be slower than (the dense reference of a job): when the
  // search from scratch ends below it, the start re-optimises from it instead.
  void compete_with(nlohmann::json reference_design) { reference_ = std::move(reference_design); }

  // The graph with `thresholds` applied and the profile's statistics attached (what the DSE sees).
  ir::Graph measured_graph(const ThresholdMap& thresholds, const sparsity::ProfileResult& profile) const;

 private:
  ThresholdMap zero_thresholds() const;  // every ReLU at 0
  void start(LoopState& state);
  void measure_ceiling(LoopState& state, const ir::Graph& limit);  // limit: with_all_zero_windows(thresholds 0)
  bool advance(LoopState& state, RunState& run);  // false: the run ended without a new record
  const sparsity::ProfileResult& calibrate(const ThresholdMap& thresholds);
  const TopOneHits& test_hits(const ThresholdMap& thresholds);
  double test_top1(const ThresholdMap& thresholds);

  const ir::Graph& graph_;
  ThresholdConfig config_;
  Measurer& measurer_;
  Hardware& hardware_;
  std::vector<std::string> relus_;
  std::optional<nlohmann::json> reference_;
  // Measurements are pure functions of the thresholds: runs that meet the same thresholds share them.
  std::map<ThresholdMap, sparsity::ProfileResult> profiles_;
  std::deque<ThresholdMap> profile_order_;
  std::map<ThresholdMap, TopOneHits> test_hits_;
};

// The record a run's result is read from: its last accepted iteration.
const IterationRecord& final_record(const LoopState& state, const RunState& run);

}  // namespace sparsedse::threshold
