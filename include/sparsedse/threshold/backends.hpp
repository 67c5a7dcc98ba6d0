#pragma once
// The real world behind the thresholding loop: the sparsity profiler on the calibration subset and the
// engine on the held-out test set (a Measurer), and the DSE (a Hardware).
#include <memory>

#include "sparsedse/data/dataset.hpp"
#include "sparsedse/dse/config.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/hw/options.hpp"
#include "sparsedse/hw/platform.hpp"
#include "sparsedse/sparsity/profiler.hpp"
#include "sparsedse/threshold/loop.hpp"

namespace sparsedse::threshold {

engine::Thresholds to_engine(const ThresholdMap& thresholds);

class ProfilerMeasurer : public Measurer {
 public:
  // Both datasets must outlive the measurer. Re-profiling is incremental (sparsity/profiler.hpp).
  ProfilerMeasurer(const ir::Graph& graph, const engine::Numerics& numerics, const data::Dataset& calibration,
                   const data::Dataset& test, sparsity::ProfilerOptions options = {});
  sparsity::ProfileResult calibrate(const ThresholdMap& thresholds) override;
  TopOneHits test_hits(const ThresholdMap& thresholds) override;
  std::int64_t test_images() const override { return test_.size(); }
  std::int64_t calibration_images() const override { return calibration_images_; }

 private:
  sparsity::Profiler profiler_;
  engine::Engine engine_;
  const data::Dataset& test_;
  std::int64_t calibration_images_;
  int batch_;
};

// The figures the loop records of a design: throughput, the largest resource use of any partition
// (partitions run one after another on the same device), and per partition the layer latencies
// (Squeeze adapters excluded) with their sparse flags.
Measured measure(const dse::Design& design);

struct DseSettings {
  hw::Platform platform;
  hw::ModelOptions model;
  dse::OptimiserConfig optimiser;
  dse::Solver solver = dse::Solver::greedy;
  bool anneal = true;  // then simulated annealing from the best design, until it stops gaining
  int chains = 1;      // independent chains per annealing run (ThresholdConfig::chains)
};

// optimise(): from scratch, the solver and (with `anneal`) simulated annealing; from a warm start, the
// warm design re-evaluated on the new statistics (without `anneal`: and the solver from it). Then, with
// `anneal`, annealing from the best design, repeated while a round gains at least 0.2 %. The best
// feasible design wins (ties keep the earlier candidate). evaluate(): the fixed design, new statistics.
class DseHardware : public Hardware {
 public:
  explicit DseHardware(DseSettings settings) : settings_(std::move(settings)) {}
  Measured optimise(const ir::Graph& graph, const nlohmann::json* warm_start, std::uint64_t seed) override;
  Measured evaluate(const nlohmann::json& design, const ir::Graph& graph) override;
  Measured add_headroom(const nlohmann::json& design, const ir::Graph& graph, const ir::Graph& limit) override;

 private:
  DseSettings settings_;
};

// The dense reference: `graph` with its sparsity statistics removed, given the same search as every
// design of the loop. A job's threshold-0 design competes with it (ThresholdLoop::compete_with).
Measured optimise_dense(Hardware& hardware, const ir::Graph& graph, std::uint64_t seed);

}  // namespace sparsedse::threshold
