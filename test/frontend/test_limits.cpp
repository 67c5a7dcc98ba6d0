// Import of models whose tensors claim more than they hold or more than the memory budget allows
// (docs/reliability.md): InputErrors before any large allocation, never undefined behaviour.
#include <filesystem>
#include <fstream>

#include "fixtures.hpp"
#include "sparsedse/common/memory.hpp"
#include "sparsedse/frontend/model.hpp"

using namespace fixtures;
using namespace sparsedse;

namespace {

struct RestoreBudget {
  ~RestoreBudget() { set_memory_budget(0); }
};

// x[N,1,4,4] → Conv with weights `w` of the given dims and values → y.
onnx::ModelProto conv_model(const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
  OnnxBuilder b("limits", 13);
  b.input("x", {-1, 1, 4, 4});
  b.initializer("w", dims, values);
  set_attribute(b.node("Conv", "conv", {"x", "w"}, {"y"}), "kernel_shape", Ints{3, 3});
  b.output("y", {-1, 2, 2, 2});
  return b.model();
}

}  // namespace

TEST_CASE("tensor dims whose product overflows 64 bits are an InputError", "[frontend][onnx][fuzz]") {
  // 3 · 2^62: the running product was multiplied before the 2^31-element check (signed overflow, UB).
  const std::string e = import_error(conv_model({3, std::int64_t(1) << 62, 1, 1}, {}));
  CHECK_THAT(e, Catch::Contains("tensor 'w' is too large (more than 2^31 elements)"));
  CHECK_THAT(import_error(conv_model({std::int64_t(1) << 40, std::int64_t(1) << 40}, {})),
             Catch::Contains("too large"));
}

TEST_CASE("a tensor claiming 2^30 elements without the data fails before allocating them", "[frontend][onnx][fuzz]") {
  // The decoder used to size the 4 GiB float vector first and compare the stored count after.
  RestoreBudget restore;
  set_memory_budget(std::uint64_t(64) << 40);  // the memory budget is not what stops it
  const std::string e = import_error(conv_model({std::int64_t(1) << 30}, {1.0f, 2.0f}));
  CHECK_THAT(e, Catch::Contains("tensor 'w' has 2 values in float_data, expected 1073741824"));
}

TEST_CASE("models larger than the memory budget fail before their weights are decoded", "[frontend][memory]") {
  RestoreBudget restore;
  const onnx::ModelProto model = conv_model({2, 1, 3, 3}, random_values(18, 5));
  set_memory_budget(18 * 8);  // the 18 weights as float32, decoded and in the graph
  CHECK_NOTHROW(import_model(model));
  set_memory_budget(18 * 8 - 1);
  CHECK(import_error(model) ==
        "test.onnx: the model's weights (18 initializer elements) needs 144 B, more than the memory budget of 143 B "
        "(raise it with --memory-budget or SPARSEDSE_MEMORY_BUDGET)");

  // From a file: its bytes and the parsed protobuf (twice the file) are checked before reading it.
  TempDir dir("limits");
  std::string bytes;
  REQUIRE(model.SerializeToString(&bytes));
  std::ofstream(dir / "m.onnx", std::ios::binary) << bytes;
  set_memory_budget(2 * bytes.size() - 1);
  CHECK_THROWS_WITH(frontend::load_model(dir / "m.onnx"),
                    Catch::StartsWith((dir / "m.onnx").string() + ": reading the ONNX model (") &&
                        Catch::Contains("more than the memory budget"));
  set_memory_budget(0);
  CHECK(frontend::load_model(dir / "m.onnx").size() == 2);  // input + conv

  // The JSON IR: its sidecar's bytes and the decoded weights.
  frontend::save_model(frontend::load_model(dir / "m.onnx"), dir / "m.json");
  set_memory_budget(2 * 18 * 4 - 1);
  CHECK_THROWS_WITH(frontend::load_model(dir / "m.json"),
                    Catch::StartsWith((dir / "m.weights.bin").string() + ": the model's weights needs 144 B"));
}
