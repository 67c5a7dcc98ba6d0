#include "sparsedse/ir/layer.hpp"

#include <array>
#include <utility>

namespace sparsedse::ir {

namespace {
constexpr std::array<std::pair<LayerKind, std::string_view>, 11> kKindNames{{
    {LayerKind::Input, "Input"},
    {LayerKind::Convolution, "Convolution"},
    {LayerKind::InnerProduct, "InnerProduct"},
    {LayerKind::ReLU, "ReLU"},
    {LayerKind::MaxPool, "MaxPool"},
    {LayerKind::AveragePool, "AveragePool"},
    {LayerKind::GlobalAveragePool, "GlobalAveragePool"},
    {LayerKind::EltwiseAdd, "EltwiseAdd"},
    {LayerKind::Concat, "Concat"},
    {LayerKind::Flatten, "Flatten"},
    {LayerKind::Split, "Split"},
}};
}  // namespace

std::string_view to_string(LayerKind kind) {
  for (const auto& [k, n] : kKindNames)
    if (k == kind) return n;
  return "?";
}

std::optional<LayerKind> layer_kind_from_string(std::string_view name) {
  for (const auto& [k, n] : kKindNames)
    if (n == name) return k;
  return std::nullopt;
}

std::string to_string(const Shape& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.rows) + "x" + std::to_string(s.cols);
}

int window_output_size(int input, int kernel, int stride, int pad_begin, int pad_end) {
  int span = input + pad_begin + pad_end - kernel;
  if (span < 0 || stride <= 0) return 0;
  return span / stride + 1;
}

std::vector<double> SparsityStats::channel_sparsity() const {
  std::vector<double> out;
  out.reserve(histogram.size());
  const double k2 = double(kernel_rows * kernel_cols);
  for (const auto& row : histogram) {
    double s = 0.0;
    for (std::size_t z = 0; z < row.size(); ++z) s += row[z] * double(z);
    out.push_back(s / k2);
  }
  return out;
}

std::int64_t Layer::macs() const {
  switch (kind) {
    case LayerKind::Convolution: {
      const Shape& in = input_shape();
      return std::int64_t(output_shape.rows) * output_shape.cols * filters * (in.channels / groups) *
             window.kernel_size();
    }
    case LayerKind::InnerProduct:
      return input_shape().elements() * filters;
    default:
      return 0;
  }
}

std::int64_t Layer::params() const { return weights.size() + bias.size(); }

}  // namespace sparsedse::ir
