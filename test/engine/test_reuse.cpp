// The engine keeps its activation buffers between runs: stale contents of reused storage must never
// show in a result or in what the observer sees.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "helpers.hpp"

using namespace test_engine;
using engine::Engine;
using engine::Tensor;

namespace {

// input(3x10x10) -> c1 (3x3, the direct path in float) -> r1 -> {c2 (3x3 stride 2) -> r2, max pool} -> add
// -> {average pool, c3 (1x1)} -> concat -> global average pool -> flatten -> fc: every layer kind.
Graph every_kind() {
  std::mt19937 rng(4);
  Graph g;
  g.name = "every_kind";
  Vertex in = g.add_layer(input_layer({3, 10, 10}));
  Vertex c1 = g.add_layer(conv_layer("c1", 3, 4, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng));
  Layer relu = simple("r1", LayerKind::ReLU);
  relu.threshold = 0.1f;
  Vertex r1 = g.add_layer(relu);
  Vertex c2 = g.add_layer(conv_layer("c2", 4, 4, {3, 3, 2, 2, 1, 1, 1, 1}, 1, rng));
  Vertex r2 = g.add_layer(simple("r2", LayerKind::ReLU));
  Layer max = simple("mp", LayerKind::MaxPool);
  max.window = {2, 2, 2, 2, 0, 0, 0, 0};
  Vertex mp = g.add_layer(max);
  Vertex add = g.add_layer(simple("add", LayerKind::EltwiseAdd));
  Layer avg = simple("ap", LayerKind::AveragePool);
  avg.window = {3, 3, 1, 1, 1, 1, 1, 1};
  Vertex ap = g.add_layer(avg);
  Vertex c3 = g.add_layer(conv_layer("c3", 4, 2, {1, 1, 1, 1, 0, 0, 0, 0}, 1, rng));
  Vertex cat = g.add_layer(simple("cat", LayerKind::Concat));
  Vertex gap = g.add_layer(simple("gap", LayerKind::GlobalAveragePool));
  Vertex fl = g.add_layer(simple("flat", LayerKind::Flatten));
  Vertex fc = g.add_layer(fc_layer("fc", 6, 3, rng));
  g.connect(in, c1, 0);
  g.connect(c1, r1, 0);
  g.connect(r1, c2, 0);
  g.connect(c2, r2, 0);
  g.connect(r1, mp, 0);
  g.connect(r2, add, 0);
  g.connect(mp, add, 1);
  g.connect(add, ap, 0);
  g.connect(add, c3, 0);
  g.connect(ap, cat, 0);
  g.connect(c3, cat, 1);
  g.connect(cat, gap, 0);
  g.connect(gap, fl, 0);
  g.connect(fl, fc, 0);
  insert_splits(g);
  infer_shapes(g);
  validate(g);
  return g;
}

// Every tensor the observer is shown, copied during the call.
struct Recorder : engine::ActivationObserver {
  std::vector<std::pair<std::string, std::vector<float>>> seen;
  void observe(const Layer& l, int port, const Tensor& t) override {
    seen.emplace_back(l.name + ":" + std::to_string(port), t.data);
  }
  void observe_output(const Layer& l, const Tensor& t) override { seen.emplace_back(l.name, t.data); }
};

}  // namespace

TEST_CASE("engine: repeated runs on one engine equal fresh engines, across batch sizes", "[engine][memory]") {
  const Graph g = every_kind();
  std::mt19937 rng(8);
  for (const engine::Numerics& num : {float_numerics(), fixed_numerics()}) {
    INFO(num.to_string());
    Engine e(g, num, 2);
    // A smaller batch after a larger one, then a batch larger than any before, then the same again.
    std::vector<Tensor> inputs, outputs;
    for (int batch : {4, 1, 5, 5}) inputs.push_back(random_tensor(batch, {3, 10, 10}, rng, -4.0f, 4.0f));
    for (const Tensor& x : inputs) {
      Recorder fresh, reused;
      const Tensor expected = Engine(g, num, 2).run(x, &fresh);
      outputs.push_back(e.run(x, &reused));
      CHECK(outputs.back().data == expected.data);
      CHECK((reused.seen == fresh.seen));
    }
    // Returned results belong to the caller: later runs did not overwrite them.
    CHECK(outputs[0].data == Engine(g, num, 2).run(inputs[0]).data);
    // run_layer takes buffers that run() left behind.
    const Tensor q = e.run_layer(g.vertex("input"), {&inputs[0]});
    CHECK(e.run_layer(g.vertex("c1"), {&q}).data == Engine(g, num, 2).run_layer(g.vertex("c1"), {&q}).data);
    // A copy starts with buffers of its own.
    const Engine copy = e;
    CHECK(copy.run(inputs[1]).data == outputs[1].data);
  }
}

TEST_CASE("engine: concurrent runs on one engine give the single-run results", "[engine][memory]") {
  const Graph g = every_kind();
  std::mt19937 rng(9);
  const Engine e(g, float_numerics(), 1);
  const Tensor a = random_tensor(3, {3, 10, 10}, rng), b = random_tensor(2, {3, 10, 10}, rng);
  const std::vector<float> want_a = e.run(a).data, want_b = e.run(b).data;
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 2; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) wrong += (i + t) % 2 ? e.run(a).data != want_a : e.run(b).data != want_b;
    });
  for (std::thread& w : workers) w.join();
  CHECK(wrong == 0);
}
