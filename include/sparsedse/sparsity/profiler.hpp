#pragma once
// The sparsity profiler (model.md §5.1, §8.2): one pass of the engine over the calibration set counts
// the window zero histograms of every Convolution / InnerProduct input, the zeros of every ReLU output
// and top-1 / top-5, all in the same pass.
//
// Re-profiling is incremental. The thresholding loops change one or a few ReLU thresholds per step, so
// the profiler keeps layer outputs for the calibration set and, when thresholds change, re-runs only the
// layers downstream of the changed ReLUs (Engine::run_layer) and recounts only their histograms, ReLU
// zeros and the accuracy. The result is bit-identical to a profile from scratch.
//
// Cache policy (bounded by ProfilerOptions::cache_bytes): which layer outputs are kept is decided once,
// from the tensor sizes, before the first pass. The network input is always kept: it is the root of
// every recomputation. Then layers are taken deepest first (reverse topological order), skipping any
// whose tensors (all calibration images) no longer fit the remaining budget. Deep tensors are preferred
// because each saves the most recomputation and CNN tensors shrink with depth. A Split's output is its
// producer's and costs nothing. When a change needs the output of a clean layer that is not kept, that
// output is recomputed from its nearest kept ancestors, one batch at a time, and freed after its last use.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sparsedse/data/dataset.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/ir/graph.hpp"
#include "sparsedse/sparsity/stats.hpp"
#include "sparsedse/sparsity/window_histogram.hpp"

namespace sparsedse::sparsity {

// model.md §5.1: 1000 calibration images, or the whole set if smaller.
inline constexpr std::int64_t kDefaultCalibrationImages = 1000;

struct ProfilerOptions {
  // Activation cache budget, further capped at half the memory budget (common/memory.hpp); 0 keeps
  // only the input.
  std::size_t cache_bytes = std::size_t(2) << 30;
  int batch = 64;                                  // images per engine call
  int threads = 0;                                 // engine and counting threads; <= 0 = all cores
  HistSource hist_source = HistSource::activations;  // Q16: `products` reproduces upstream's statistic
};

// What the last profile() call did (for tests and benchmarks).
struct ProfileWork {
  bool full_pass = false;             // the whole network was run (Engine::run)
  std::int64_t layer_runs = 0;        // Engine::run_layer calls (incremental), or layers × batches (full)
  std::int64_t recomputed_runs = 0;   // of layer_runs: clean layers re-run because their output was not kept
  std::vector<std::string> recounted; // Convolution / InnerProduct layers whose histograms were recounted
};

class Profiler {
 public:
  // `calibration` must outlive the profiler; its images must have the model's input shape.
  Profiler(const ir::Graph& graph, engine::Numerics numerics, const data::Dataset& calibration,
           ProfilerOptions options = {});
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // The first call runs the whole calibration set; later calls recompute only what the changed
  // thresholds affect. Thresholds naming anything but a ReLU of the graph are an InputError.
  ProfileResult profile(const engine::Thresholds& thresholds);

  const ProfileWork& last_work() const;
  std::size_t cache_bytes_used() const;
  std::vector<std::string> cached_layers() const;  // layers whose outputs are kept, topological order
  const engine::Engine& engine() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sparsedse::sparsity
