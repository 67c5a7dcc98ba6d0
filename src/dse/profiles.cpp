#include "profiles.hpp"

#include <vector>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/sparse.hpp"

namespace sparsedse::dse {

std::shared_ptr<const hw::SparseProfile> profile_for(const hw::HwLayer& l, const ir::SparsityStats& s,
                                                     const std::string& where) {
  if (hw::is_convolution(l.kind)) {
    if (s.kernel_rows != l.kernel_rows || s.kernel_cols != l.kernel_cols)
      throw InputError(where, "sparsity statistics are for a " + std::to_string(s.kernel_rows) + "x" +
                                  std::to_string(s.kernel_cols) + " kernel, the layer has " +
                                  std::to_string(l.kernel_rows) + "x" + std::to_string(l.kernel_cols));
    if (static_cast<int>(s.histogram.size()) != l.channels)
      throw InputError(where, "sparsity histogram has " + std::to_string(s.histogram.size()) +
                                  " channels, expected " + std::to_string(l.channels));
    return hw::SparseProfile::from_histogram(s.histogram, l.kernel_size(), where + " sparsity");
  }
  if (hw::is_inner_product(l.kind)) {
    const std::int64_t features = l.workload_in();
    const std::int64_t rows = static_cast<std::int64_t>(s.histogram.size());
    if (rows == 0 || (rows != features && rows != l.channels))
      throw InputError(where, "sparsity histogram has " + std::to_string(rows) + " rows, expected " +
                                  std::to_string(features) + " features or " + std::to_string(l.channels) +
                                  " channels");
    std::vector<std::vector<double>> h;
    h.reserve(features);
    const std::int64_t spread = features / rows;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t k = 0; k < spread; ++k) h.push_back(s.histogram[r]);
    return hw::SparseProfile::from_histogram(std::move(h), 1, where + " sparsity");
  }
  throw InputError(where, "sparsity statistics given for a layer that is not a Convolution or InnerProduct");
}

hw::LayerKind sparse_kind_for(const hw::HwLayer& l, const hw::ModelOptions& o) {
  if (hw::is_convolution(l.kind)) {
    if (l.groups != 1) return l.kind;  // model.md §2.3: grouped convolutions stay dense
    const bool pointwise = l.kernel_size() == 1;
    if (pointwise && o.semantics == hw::Semantics::pass) return l.kind;
    return pointwise && o.pointwise_model == hw::PointwiseModel::cluster ? hw::LayerKind::convolution_pointwise_sparse
                                                                         : hw::LayerKind::convolution_sparse;
  }
  if (hw::is_inner_product(l.kind)) {
    if (!o.sparse_inner_product || o.semantics == hw::Semantics::pass) return l.kind;
    return hw::LayerKind::inner_product_sparse;
  }
  return l.kind;
}

hw::LayerKind dense_kind_for(hw::LayerKind kind) {
  if (hw::is_convolution(kind)) return hw::LayerKind::convolution;
  if (hw::is_inner_product(kind)) return hw::LayerKind::inner_product;
  return kind;
}

}  // namespace sparsedse::dse
