// ONNX node test vectors (docs/conformance.md): supported vectors match within 1e-4 relative in float
// mode; vectors that use a feature we reject fail at import with our clear error.
#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>

#include "conformance.hpp"

using namespace test_engine;

namespace {

// Every vector of the covered ops: "" = must match, otherwise a fragment of the expected error.
// Keep in sync with docs/conformance.md.
struct Expectation {
  const char* test;
  const char* error;
};
const Expectation kVectors[] = {
    {"test_add", ""},
    {"test_add_bcast", "broadcasting"},
    {"test_add_uint8", "element type"},
    {"test_averagepool_1d_default", "has rank 3"},
    {"test_averagepool_2d_ceil", "ceil_mode"},
    {"test_averagepool_2d_default", ""},
    {"test_averagepool_2d_pads", ""},
    {"test_averagepool_2d_pads_count_include_pad", ""},
    {"test_averagepool_2d_precomputed_pads", ""},
    {"test_averagepool_2d_precomputed_pads_count_include_pad", ""},
    {"test_averagepool_2d_precomputed_same_upper", ""},
    {"test_averagepool_2d_precomputed_strides", ""},
    {"test_averagepool_2d_same_lower", ""},
    {"test_averagepool_2d_same_upper", ""},
    {"test_averagepool_2d_strides", ""},
    {"test_averagepool_3d_default", "has rank 5"},
    {"test_basic_conv_with_padding", ""},
    {"test_basic_conv_without_padding", ""},
    {"test_batchnorm_epsilon", ""},
    {"test_batchnorm_epsilon_training_mode", "training_mode"},
    {"test_batchnorm_example", ""},
    {"test_batchnorm_example_training_mode", "training_mode"},
    {"test_clip", "Clip with"},
    {"test_clip_default_inbounds", "Clip with"},
    {"test_clip_default_int8_inbounds", "element type"},
    {"test_clip_default_int8_max", "element type"},
    {"test_clip_default_int8_min", "element type"},
    {"test_clip_default_max", "Clip with"},
    {"test_clip_default_min", ""},
    {"test_clip_example", "Clip with"},
    {"test_clip_inbounds", "Clip with"},
    {"test_clip_outbounds", "Clip with"},
    {"test_clip_splitbounds", "Clip with"},
    {"test_concat_1d_axis_0", "has rank 1"},
    {"test_concat_1d_axis_negative_1", "has rank 1"},
    {"test_concat_2d_axis_0", "axis"},
    {"test_concat_2d_axis_1", ""},
    {"test_concat_2d_axis_negative_1", ""},
    {"test_concat_2d_axis_negative_2", "axis"},
    {"test_concat_3d_axis_0", "has rank 3"},
    {"test_concat_3d_axis_1", "has rank 3"},
    {"test_concat_3d_axis_2", "has rank 3"},
    {"test_concat_3d_axis_negative_1", "has rank 3"},
    {"test_concat_3d_axis_negative_2", "has rank 3"},
    {"test_concat_3d_axis_negative_3", "has rank 3"},
    {"test_conv_with_autopad_same", ""},
    {"test_conv_with_strides_and_asymmetric_padding", ""},
    {"test_conv_with_strides_no_padding", ""},
    {"test_conv_with_strides_padding", ""},
    {"test_convtranspose", "unsupported op"},
    {"test_convtranspose_1d", "has rank 3"},
    {"test_convtranspose_3d", "has rank 5"},
    {"test_convtranspose_autopad_same", "unsupported op"},
    {"test_convtranspose_dilations", "dilations"},
    {"test_convtranspose_kernel_shape", "unsupported op"},
    {"test_convtranspose_output_shape", "unsupported op"},
    {"test_convtranspose_pad", "unsupported op"},
    {"test_convtranspose_pads", "unsupported op"},
    {"test_convtranspose_with_kernel", "opset"},
    {"test_dropout_default", ""},
    {"test_dropout_default_mask", "mask output"},
    {"test_dropout_default_mask_ratio", "mask output"},
    {"test_dropout_default_old", ""},
    {"test_dropout_default_ratio", ""},
    {"test_flatten_axis0", "axis"},
    {"test_flatten_axis1", ""},
    {"test_flatten_axis2", "axis"},
    {"test_flatten_axis3", "axis"},
    {"test_flatten_default_axis", ""},
    {"test_flatten_negative_axis1", "axis"},
    {"test_flatten_negative_axis2", "axis"},
    {"test_flatten_negative_axis3", ""},
    {"test_flatten_negative_axis4", "axis"},
    {"test_gemm_all_attributes", "transA"},
    {"test_gemm_alpha", ""},
    {"test_gemm_beta", ""},
    {"test_gemm_default_matrix_bias", "bias has dims"},
    {"test_gemm_default_no_bias", ""},
    {"test_gemm_default_scalar_bias", ""},
    {"test_gemm_default_single_elem_vector_bias", ""},
    {"test_gemm_default_vector_bias", ""},
    {"test_gemm_default_zero_bias", ""},
    {"test_gemm_transposeA", "transA"},
    {"test_gemm_transposeB", ""},
    {"test_globalaveragepool", ""},
    {"test_globalaveragepool_precomputed", ""},
    {"test_globalmaxpool", "unsupported op"},
    {"test_globalmaxpool_precomputed", "unsupported op"},
    {"test_identity", ""},
    {"test_matmul_2d", ""},
    {"test_matmul_3d", "has rank 3"},
    {"test_matmul_4d", "has rank 4"},
    {"test_maxpool_1d_default", "has rank 3"},
    {"test_maxpool_2d_ceil", "ceil_mode"},
    {"test_maxpool_2d_default", ""},
    {"test_maxpool_2d_dilations", "dilations"},
    {"test_maxpool_2d_pads", ""},
    {"test_maxpool_2d_precomputed_pads", ""},
    {"test_maxpool_2d_precomputed_same_upper", ""},
    {"test_maxpool_2d_precomputed_strides", ""},
    {"test_maxpool_2d_same_lower", ""},
    {"test_maxpool_2d_same_upper", ""},
    {"test_maxpool_2d_strides", ""},
    {"test_maxpool_2d_uint8", "element type"},
    {"test_maxpool_3d_default", "has rank 5"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "Indices output"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", "Indices output"},
    {"test_relu", ""},
    {"test_thresholdedrelu", ""},
    {"test_thresholdedrelu_default", ""},
    {"test_thresholdedrelu_example", ""},
};

bool have_testdata() {
  if (std::filesystem::exists(kNodeTests / "test_relu" / "model.onnx")) return true;
  WARN("skipped: ONNX node test vectors not found at " << kNodeTests << " (Debian package libonnx-testdata)");
  return false;
}

}  // namespace

TEST_CASE("conformance: supported ONNX node vectors match within 1e-4 relative", "[engine][conformance]") {
  if (!have_testdata()) return;
  int matched = 0;
  for (const Expectation& e : kVectors) {
    if (*e.error) continue;
    INFO("vector " << e.test);
    ConformanceOutcome o = run_node_test(e.test);
    INFO("error: " << o.error);
    REQUIRE(o.imported);
    CHECK(o.compared > 0);
    CHECK(o.within_tolerance);
    matched += o.within_tolerance;
  }
  CHECK(matched >= 50);
}

TEST_CASE("conformance: vectors using rejected features fail with our clear error", "[engine][conformance]") {
  if (!have_testdata()) return;
  for (const Expectation& e : kVectors) {
    if (!*e.error) continue;
    INFO("vector " << e.test);
    ConformanceOutcome o = run_node_test(e.test);
    CHECK_FALSE(o.imported);
    CHECK_THAT(o.error, Catch::Matchers::Contains(e.error) && Catch::Matchers::Contains(e.test));
  }
}

TEST_CASE("conformance: list outcomes of every candidate vector", "[.][discover]") {
  const char* patterns[] = {"conv", "relu", "pool", "gemm", "matmul", "test_add", "concat", "flatten", "batchnorm",
                            "clip", "identity", "dropout", "reshape", "softmax_example"};
  for (const auto& entry : std::filesystem::directory_iterator(kNodeTests)) {
    const std::string name = entry.path().filename().string();
    bool match = false;
    for (const char* p : patterns) match = match || name.find(p) != std::string::npos;
    if (!match) continue;
    ConformanceOutcome o;
    try {
      o = run_node_test(name);
    } catch (const std::exception& e) {
      std::cout << name << " | HARNESS | " << e.what() << "\n";
      continue;
    }
    std::cout << name << " | " << (o.imported ? (o.within_tolerance ? "PASS" : "MISMATCH") : "REJECT") << " | "
              << o.max_error << " | " << o.error << "\n";
  }
}
