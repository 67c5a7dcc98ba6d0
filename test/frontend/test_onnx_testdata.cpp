// ONNX's own node test vectors (Debian package libonnx-testdata) as an independent oracle for the
// geometry the importer records: pads (explicit, SAME_UPPER/LOWER), strides, count_include_pad and
// Gemm weight layout. Each model's extra inputs (weights) are bound as initializers, the model is
// imported, and the recorded layer is evaluated with a plain-loop reference against output_0.pb.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

#include "fixtures.hpp"
#include "sparsedse/common/io.hpp"

using namespace fixtures;
using namespace sparsedse;
namespace fs = std::filesystem;

namespace {

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

struct TestVector {
  onnx::ModelProto model;
  std::vector<onnx::TensorProto> inputs;
  onnx::TensorProto output;
};

onnx::TensorProto read_tensor(const fs::path& path) {
  onnx::TensorProto t;
  REQUIRE(t.ParseFromString(read_file(path)));
  return t;
}

std::vector<float> floats(const onnx::TensorProto& t) {
  REQUIRE(t.data_type() == onnx::TensorProto::FLOAT);
  if (!t.raw_data().empty()) {
    std::vector<float> v(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());  // little-endian host
    return v;
  }
  return {t.float_data().begin(), t.float_data().end()};
}

// The model with inputs 1.. turned into initializers (weights), as an exporter would have written it.
TestVector load(const std::string& name) {
  const fs::path dir = kNodeTests / name;
  TestVector tv;
  REQUIRE(tv.model.ParseFromString(read_file(dir / "model.onnx")));
  for (int i = 0; i < tv.model.graph().input_size(); ++i) {
    onnx::TensorProto t = read_tensor(dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb"));
    tv.inputs.push_back(t);
    if (i > 0) {
      t.set_name(tv.model.graph().input(i).name());
      *tv.model.mutable_graph()->add_initializer() = t;
    }
  }
  tv.output = read_tensor(dir / "test_data_set_0" / "output_0.pb");
  return tv;
}

// The only non-input layer of an imported one-node model.
const ir::Layer& node_layer(const ir::Graph& g) {
  for (ir::Vertex v = 0; v < g.size(); ++v)
    if (g.layer(v).kind != ir::LayerKind::Input) return g.layer(v);
  FAIL("no layer");
  return g.layer(0);
}

// Conv / pooling over one image from the recorded window (the definition, element by element).
std::vector<float> window_reference(const ir::Layer& l, const std::vector<float>& in) {
  const ir::Shape s = l.input_shape(), o = l.output_shape;
  const ir::Window& w = l.window;
  std::vector<float> out;
  for (int f = 0; f < o.channels; ++f)
    for (int y = 0; y < o.rows; ++y)
      for (int x = 0; x < o.cols; ++x) {
        double acc = l.kind == ir::LayerKind::Convolution && l.has_bias() ? l.bias[f] : 0.0;
        double best = -std::numeric_limits<double>::infinity();
        int covered = 0;
        const int channels = l.kind == ir::LayerKind::Convolution ? s.channels : 1;
        for (int c = 0; c < channels; ++c)
          for (int i = 0; i < w.kernel_rows; ++i)
            for (int j = 0; j < w.kernel_cols; ++j) {
              const int r = y * w.stride_rows - w.pad_top + i, q = x * w.stride_cols - w.pad_left + j;
              if (r < 0 || r >= s.rows || q < 0 || q >= s.cols) continue;
              const int ic = l.kind == ir::LayerKind::Convolution ? c : f;
              const double v = in[std::size_t((ic * s.rows + r) * s.cols + q)];
              ++covered;
              best = std::max(best, v);
              if (l.kind == ir::LayerKind::Convolution)
                acc += double(l.weights[((f * s.channels + c) * w.kernel_rows + i) * w.kernel_cols + j]) * v;
              else
                acc += v;
            }
        if (l.kind == ir::LayerKind::MaxPool)
          out.push_back(float(best));
        else if (l.kind == ir::LayerKind::AveragePool)
          out.push_back(float(acc / (l.count_include_pad ? w.kernel_size() : covered)));
        else
          out.push_back(float(acc));
      }
  return out;
}

void check_values(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
}

}  // namespace

TEST_CASE("ONNX node tests: conv and pool geometry reproduces ONNX's outputs", "[frontend][onnx][testdata]") {
  REQUIRE(fs::exists(kNodeTests));  // tools/install-deps.sh installs libonnx-testdata
  const char* names[] = {
      "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
      "test_conv_with_strides_no_padding", "test_conv_with_strides_padding",
      "test_averagepool_2d_default", "test_averagepool_2d_pads", "test_averagepool_2d_pads_count_include_pad",
      "test_averagepool_2d_precomputed_pads", "test_averagepool_2d_precomputed_pads_count_include_pad",
      "test_averagepool_2d_precomputed_same_upper", "test_averagepool_2d_precomputed_strides",
      "test_averagepool_2d_same_lower", "test_averagepool_2d_same_upper", "test_averagepool_2d_strides",
      "test_maxpool_2d_default", "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
      "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_precomputed_strides", "test_maxpool_2d_same_lower",
      "test_maxpool_2d_same_upper", "test_maxpool_2d_strides"};
  for (const char* name : names) {
    INFO(name);
    TestVector tv = load(name);
    ir::Graph g = import_model(tv.model, name).graph;
    const ir::Layer& l = node_layer(g);
    const auto& dims = tv.output.dims();
    REQUIRE(dims.size() == 4);
    CHECK(l.output_shape == ir::Shape{int(dims[1]), int(dims[2]), int(dims[3])});
    // Batch 0 of the test vector.
    std::vector<float> in = floats(tv.inputs[0]), want = floats(tv.output);
    in.resize(std::size_t(l.input_shape().elements()));
    want.resize(std::size_t(l.output_shape.elements()));
    check_values(window_reference(l, in), want);
  }
}

TEST_CASE("ONNX node tests: Gemm with transB, alpha, beta and bias", "[frontend][onnx][testdata]") {
  for (const char* name : {"test_gemm_transposeB", "test_gemm_alpha", "test_gemm_beta", "test_gemm_default_vector_bias",
                           "test_gemm_default_scalar_bias", "test_gemm_default_no_bias"}) {
    INFO(name);
    TestVector tv = load(name);
    ir::Graph g = import_model(tv.model, name).graph;
    const ir::Layer& l = node_layer(g);
    REQUIRE(l.kind == ir::LayerKind::InnerProduct);
    const auto& a_dims = tv.inputs[0].dims();
    const int rows = int(a_dims[0]), k = int(a_dims[1]), f = l.filters;
    std::vector<float> a = floats(tv.inputs[0]), want = floats(tv.output), got;
    for (int n = 0; n < rows; ++n)
      for (int o = 0; o < f; ++o) {
        double acc = l.has_bias() ? l.bias[o] : 0.0;
        for (int i = 0; i < k; ++i) acc += double(l.weights[o * k + i]) * a[std::size_t(n * k + i)];
        got.push_back(float(acc));
      }
    check_values(got, want);
  }
}

TEST_CASE("ONNX node tests: what we cannot model is a clear error", "[frontend][onnx][testdata]") {
  const std::pair<const char*, const char*> cases[] = {
      {"test_maxpool_2d_dilations", "'dilations'"},
      {"test_averagepool_2d_ceil", "'ceil_mode'"},
      {"test_maxpool_2d_ceil", "'ceil_mode'"},
      {"test_maxpool_with_argmax_2d_precomputed_pads", "Indices"},
      {"test_gemm_all_attributes", "'transA'"},
      {"test_batchnorm_example", "cannot be folded"},
      {"test_averagepool_1d_default", "rank 3"},
      {"test_maxpool_3d_default", "rank 5"},
      {"test_convtranspose", "'ConvTranspose'"},
  };
  for (const auto& [name, message] : cases) {
    INFO(name);
    CHECK_THAT(import_error(load(name).model), Catch::Contains(message));
  }
}
