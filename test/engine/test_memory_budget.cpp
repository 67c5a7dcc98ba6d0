// The engine's batch activations against the memory budget (common/memory.hpp, docs/reliability.md).
#include <catch2/catch.hpp>

#include "helpers.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/memory.hpp"

using namespace test_engine;
using engine::Engine;
using engine::Tensor;

TEST_CASE("engine: the peak of live activations per image, and a batch that exceeds the budget", "[engine][memory]") {
  struct Restore {
    ~Restore() { set_memory_budget(0); }
  } restore;
  // input 1x4x4 → conv 3x3 pad 1 (4 filters) 4x4x4 → relu 4x4x4 → gap 4x1x1 → fc 2.
  std::mt19937 rng(3);
  Graph g;
  g.name = "chain";
  const Vertex x = g.add_layer(input_layer({1, 4, 4}));
  const Vertex c = g.add_layer(conv_layer("conv", 1, 4, {3, 3, 1, 1, 1, 1, 1, 1}, 1, rng));
  const Vertex r = g.add_layer(simple("relu", LayerKind::ReLU));
  const Vertex p = g.add_layer(simple("gap", LayerKind::GlobalAveragePool));
  const Vertex f = g.add_layer(fc_layer("fc", 4, 2, rng));
  g.connect(x, c, 0);
  g.connect(c, r, 0);
  g.connect(r, p, 0);
  g.connect(p, f, 0);
  infer_shapes(g);
  // Live floats as each layer runs (its output added, then inputs with no consumer left freed):
  // input 16; conv 16 + 64 → 64; relu 64 + 64 = 128 (peak) → 64; gap 64 + 4 → 4; fc 4 + 2 → 2.
  const Engine e(g, float_numerics(), 1);
  CHECK(e.activation_bytes_per_image() == 128 * 4);

  const Tensor in = random_tensor(3, {1, 4, 4}, rng);
  set_memory_budget(3 * 512);
  CHECK(e.run(in).batch == 3);
  set_memory_budget(3 * 512 - 1);
  CHECK_THROWS_AS(e.run(in), InputError);
  CHECK_THROWS_WITH(e.run(in), "chain: running a batch of 3 images (activations) needs 1536 B, more than the memory "
                               "budget of 1535 B (raise it with --memory-budget or SPARSEDSE_MEMORY_BUDGET)");
}
