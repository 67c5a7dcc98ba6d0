// The emitter and the hardware model agree on channel permutations (model.md §5.4, hls.md §3.4): every
// sparse layer the partition model charges a ChannelPermute is exactly a layer the emitter gives a
// chan_permute, and the emitter folds the others into their producers (hw/permutation.hpp decides both).
#include <cmath>
#include <set>

#include <catch2/catch.hpp>

#include "emit_util.hpp"
#include "sparsedse/frontend/zoo.hpp"
#include "sparsedse/hw/evaluator.hpp"

using namespace emit_test;

namespace {

// Binomial window histograms with per-channel zero probabilities that differ between channels, so the
// snake interleaving moves channels across streams (the benchmark's synthetic profile).
void attach_histograms(ir::Graph& g) {
  for (ir::Vertex v = 0; v < g.size(); ++v) {
    ir::Layer& l = g.layer(v);
    if (l.kind != ir::LayerKind::Convolution || l.input_shape().channels <= 3) continue;  // not the stem
    ir::SparsityStats s;
    s.kernel_rows = l.window.kernel_rows;
    s.kernel_cols = l.window.kernel_cols;
    s.windows = 1000;
    const int k2 = s.kernel_rows * s.kernel_cols;
    for (int c = 0; c < l.input_shape().channels; ++c) {
      const double p = 0.3 + 0.4 * (c % 7) / 6.0;
      std::vector<double> row(static_cast<std::size_t>(k2 + 1));
      double total = 0.0;
      for (int z = 0; z <= k2; ++z) {
        row[static_cast<std::size_t>(z)] = std::tgamma(k2 + 1.0) / (std::tgamma(z + 1.0) * std::tgamma(k2 - z + 1.0)) *
                                           std::pow(p, z) * std::pow(1 - p, k2 - z);
        total += row[static_cast<std::size_t>(z)];
      }
      for (double& x : row) x /= total;
      s.histogram.push_back(row);
    }
    l.sparsity = s;
  }
}

}  // namespace

TEST_CASE("the model charges a ChannelPermute exactly where the emitter emits chan_permute",
          "[hwgen_emit][lower][permute]") {
  ir::Graph g = frontend::zoo_model("resnet20-cifar");
  attach_histograms(g);
  dse::Design d = start_design(g);
  for (int v = 0; v < d.network.size(); ++v) {
    hw::HwLayer& l = d.network.layers[static_cast<std::size_t>(v)];
    if (hw::is_weighted(l.kind)) l.folding = {4, 2, 1, hw::is_sparse(l.kind) ? 2 : 9};
    else hw::set_coarse(l, 4);
    hw::fix_coarse(l, d.network.feasible[static_cast<std::size_t>(v)]);
  }
  d = finish_design(d);
  const engine::Engine engine(g, hwgen::design_numerics(d, g));

  hw::Evaluator ev(d.network, d.platform, d.options);
  ev.set_partitions(d.partitions);
  ev.evaluate(d.partitions);
  int charged = 0, folded = 0;
  for (int p = 0; p < static_cast<int>(d.partitions.size()); ++p) {
    std::set<std::string> model;
    for (int v : ev.partition_model(p).permuted_layers()) model.insert(d.network.names[static_cast<std::size_t>(v)]);
    CHECK(ev.partition_metrics()[static_cast<std::size_t>(p)].permutes == static_cast<int>(model.size()));
    const hwgen::HlsPartition hls = hwgen::lower_partition(d, p, g, engine);
    std::set<std::string> emitted;
    for (const hwgen::LayerSummary& s : hls.layers) {
      if (s.permutation == "chan_permute") emitted.insert(s.name);
      if (s.permutation.rfind("folded into ", 0) == 0) ++folded;
    }
    int calls = 0;
    for (const hwgen::Call& c : hls.calls) calls += c.function == "sdhls::chan_permute";
    CHECK(calls == static_cast<int>(emitted.size()));
    CHECK(model == emitted);
    CHECK(hls.predicted.permutes == static_cast<int>(emitted.size()));
    charged += static_cast<int>(model.size());
  }
  // ResNet-20: the first conv of every block reads the block input (a Split) and is charged; the
  // second reads conv → relu and folds.
  CHECK(charged > 0);
  CHECK(folded > 0);
}
