// Layer performance model: module chains, rate balancing, latency and pipeline depth
// (model.md §4.2–§4.5, §5.3–§5.8).
#include <algorithm>

#include "layer_internal.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

const char* to_string(LayerKind kind) {
  switch (kind) {
    case LayerKind::convolution: return "Convolution";
    case LayerKind::convolution_sparse: return "ConvolutionSparse";
    case LayerKind::convolution_pointwise_sparse: return "ConvolutionPointwiseSparse";
    case LayerKind::inner_product: return "InnerProduct";
    case LayerKind::inner_product_sparse: return "InnerProductSparse";
    case LayerKind::pooling: return "Pooling";
    case LayerKind::global_pooling: return "GlobalPooling";
    case LayerKind::relu: return "ReLU";
    case LayerKind::thresholded_relu: return "ThresholdedReLU";
    case LayerKind::eltwise: return "EltWise";
    case LayerKind::concat: return "Concat";
    case LayerKind::split: return "Split";
    case LayerKind::squeeze: return "Squeeze";
  }
  return "?";
}

bool is_convolution(LayerKind k) {
  return k == LayerKind::convolution || k == LayerKind::convolution_sparse ||
         k == LayerKind::convolution_pointwise_sparse;
}
bool is_inner_product(LayerKind k) { return k == LayerKind::inner_product || k == LayerKind::inner_product_sparse; }
bool is_weighted(LayerKind k) { return is_convolution(k) || is_inner_product(k); }
bool is_sparse(LayerKind k) {
  return k == LayerKind::convolution_sparse || k == LayerKind::convolution_pointwise_sparse ||
         k == LayerKind::inner_product_sparse;
}

int HwLayer::rows_out() const {
  if (is_convolution(kind) || kind == LayerKind::pooling)
    return static_cast<int>(ceil_div(padded_rows() - kernel_rows + 1, stride_rows));
  if (is_inner_product(kind) || kind == LayerKind::global_pooling) return 1;
  return rows;
}

int HwLayer::cols_out() const {
  if (is_convolution(kind) || kind == LayerKind::pooling)
    return static_cast<int>(ceil_div(padded_cols() - kernel_cols + 1, stride_cols));
  if (is_inner_product(kind) || kind == LayerKind::global_pooling) return 1;
  return cols;
}

int HwLayer::channels_out() const {
  if (is_weighted(kind)) return filters;
  if (kind == LayerKind::concat) {
    int sum = 0;
    for (int i = 0; i < ports_in; ++i) sum += port_channels[i];
    return sum;
  }
  return channels;
}

int HwLayer::streams_in() const {
  return is_convolution(kind) ? folding.coarse_in * folding.coarse_group : folding.coarse_in;
}

int HwLayer::streams_out() const {
  return is_convolution(kind) ? folding.coarse_out * folding.coarse_group : folding.coarse_out;
}

std::int64_t HwLayer::size_in() const {
  if (is_inner_product(kind)) return workload_in() / streams_in();
  return std::int64_t{rows} * cols * (channels / streams_in());
}

std::int64_t HwLayer::size_out() const {
  return std::int64_t{rows_out()} * cols_out() * (channels_out() / streams_out());
}

std::int64_t HwLayer::parameters() const {
  if (is_convolution(kind)) return std::int64_t{filters} * (channels / groups) * kernel_size();
  if (is_inner_product(kind)) return std::int64_t{filters} * workload_in();
  return 0;
}

std::pair<double, double> balanced_rates(const Module* modules, int n) {
  std::array<double, kMaxModules> r{}, o{}, q{};
  for (int i = 0; i < n; ++i) {
    r[i] = rate_in(modules[i]);
    o[i] = rate_out(modules[i]);
    q[i] = o[i] / r[i];
  }
  for (int i = n - 1; i >= 1; --i) {
    if (r[i] > o[i - 1]) {  // consumer faster: slow it and its successors down
      for (int j = i; j < n; ++j) {
        if (r[j] <= o[j - 1]) break;
        r[j] = o[j - 1];
        o[j] = r[j] * q[j];
      }
    } else if (r[i] < o[i - 1]) {  // consumer slower: slow its producers down
      for (int m = i; m >= 1; --m) {
        if (r[m] >= o[m - 1]) break;
        o[m - 1] = r[m];
        r[m - 1] = o[m - 1] / q[m - 1];
      }
    }
  }
  return {r[0], o[n - 1]};
}

namespace {

struct ChainBuilder {
  const HwLayer& layer;
  ModuleChain chain;

  Module& add(ModuleKind kind, int rows, int cols, int channels, int streams, int instances) {
    Module& m = chain.modules[chain.size];
    m = Module{};
    m.kind = kind;
    m.rows = rows;
    m.cols = cols;
    m.channels = channels;
    m.streams = streams;
    m.data_width = layer.data_width;
    m.weight_width = layer.weight_width;
    m.acc_width = layer.acc_width;
    chain.instances[chain.size] = instances;
    ++chain.size;
    return m;
  }

  void window(Module& m) {
    m.kernel_rows = layer.kernel_rows;
    m.kernel_cols = layer.kernel_cols;
    m.stride_rows = layer.stride_rows;
    m.stride_cols = layer.stride_cols;
  }
  void pads(Module& m) {
    m.pad_top = layer.pad_top;
    m.pad_right = layer.pad_right;
    m.pad_bottom = layer.pad_bottom;
    m.pad_left = layer.pad_left;
  }

  // pad → sliding_window (main) or a padding sliding_window (pass); `instances` per module.
  void window_front(bool pass, int channels, int streams, int pad_instances, int sw_instances) {
    const HwLayer& l = layer;
    if (!pass) {
      Module& pad = add(ModuleKind::pad, l.rows, l.cols, channels, streams, pad_instances);
      pads(pad);
      Module& sw = add(ModuleKind::sliding_window, l.padded_rows(), l.padded_cols(), channels, streams, sw_instances);
      window(sw);
    } else {
      Module& sw = add(ModuleKind::sliding_window, l.rows, l.cols, channels, streams, sw_instances);
      window(sw);
      pads(sw);
    }
  }
};

// Slowest-stream expected cycles per window for the sparse kinds (§5.3–§5.5, §5.7, §5.8).
struct SparseRates {
  double rate_ks = 1.0;
  double rate_sparsity = 1.0;
  bool skip = false;
  double op_cycles = 1.0;  // op_lat / workload
};

SparseRates sparse_rates(const HwLayer& l, const ModelOptions& o) {
  SparseRates s;
  const int s_in = l.streams_in();
  const int k2 = is_inner_product(l.kind) ? 1 : l.kernel_size();
  const SparseProfile& p = *l.sparsity;
  if (o.semantics == Semantics::pass) {  // §5.8: least sparse stream, mean-sparsity rate
    const double density = 1.0 - p.min_stream_sparsity(s_in, o.interleaving);
    s.rate_ks = density <= 0.0 ? 1.0 : std::min(1.0, l.folding.fine / (k2 * density));
    s.op_cycles = 1.0 / s.rate_ks;
    return s;
  }
  if (l.kind == LayerKind::convolution_pointwise_sparse) {  // §5.7 cluster model, clusters = 1
    const double sparsity = std::min(p.mean_sparsity(), 1.0 - 1.0 / s_in);
    s.op_cycles = o.sparse_metric == SparseMetric::avg   ? 1.0 - sparsity
                  : o.sparse_metric == SparseMetric::min ? 1.0
                                                         : static_cast<double>(s_in);
  } else {
    s.skip = l.skip_all_zero_window;
    s.op_cycles = o.sparse_metric == SparseMetric::avg
                      ? p.max_stream_cycles(s_in, l.folding.fine, s.skip, o.interleaving)
                  : o.sparse_metric == SparseMetric::min ? 1.0
                                                         : static_cast<double>(k2);
    if (s.skip) s.rate_sparsity = p.accum_rate(s_in, l.folding.fine, true, o.interleaving);
  }
  s.rate_ks = 1.0 / std::max(s.op_cycles, 1e-9);
  return s;
}

void dense_conv_chain(ChainBuilder& b, const ModelOptions& o) {
  const HwLayer& l = b.layer;
  const Folding& f = l.folding;
  const int s_in = l.streams_in(), s_out = l.streams_out(), k2 = l.kernel_size();
  const int cs = l.channels / s_in;
  const int cv = static_cast<int>(std::int64_t{l.channels} * k2 / (std::int64_t{f.fine} * s_in));
  const int fl = l.filters / (f.coarse_out * l.groups);
  const int ho = l.rows_out(), wo = l.cols_out();
  const int lanes = f.coarse_in * f.coarse_out * f.coarse_group;
  b.window_front(o.semantics == Semantics::pass, cs, s_in, 1, k2 == 1 ? 0 : 1);
  Module& sq = b.add(ModuleKind::squeeze, ho, wo, cs, s_in, f.fine == k2 ? 0 : 1);
  sq.coarse_in = k2;
  sq.coarse_out = f.fine;
  sq.expand_words = true;
  Module& fork = b.add(ModuleKind::fork, ho, wo, cs, s_in, f.coarse_out == 1 ? 0 : 1);
  fork.kernel_rows = f.fine;
  fork.coarse_out = f.coarse_out;
  Module& vd = b.add(ModuleKind::vector_dot, ho, wo, cv, lanes, 1);
  vd.filters = fl;
  vd.fine = f.fine;
  Module& acc = b.add(ModuleKind::accum, ho, wo, cv, lanes, cs == 1 ? 0 : 1);
  acc.filters = fl;
  acc.data_width = l.acc_width;
  const int glue_filters = l.filters / f.coarse_group;
  Module& glue = b.add(ModuleKind::glue, ho, wo, glue_filters, s_out, f.coarse_in == 1 ? 0 : 1);
  glue.filters = glue_filters;
  glue.coarse_in = f.coarse_in;
  glue.coarse_out = f.coarse_out;
  glue.coarse_group = f.coarse_group;
  glue.data_width = l.acc_width;
  if (l.has_bias) {
    Module& bias = b.add(ModuleKind::bias, ho, wo, l.filters / s_out, s_out, 1);
    bias.filters = l.filters / s_out;
  }
}

void dense_ip_chain(ChainBuilder& b) {
  const HwLayer& l = b.layer;
  const Folding& f = l.folding;
  const int c = static_cast<int>(l.workload_in() / f.coarse_in);
  const int fl = l.filters / f.coarse_out;
  Module& fork = b.add(ModuleKind::fork, 1, 1, c, f.coarse_in, f.coarse_out == 1 ? 0 : 1);
  fork.coarse_out = f.coarse_out;
  Module& vd = b.add(ModuleKind::vector_dot, 1, 1, c, f.coarse_in * f.coarse_out, 1);
  vd.filters = fl;
  Module& acc = b.add(ModuleKind::accum, 1, 1, c, f.coarse_in * f.coarse_out, c == 1 ? 0 : 1);
  acc.filters = fl;
  acc.data_width = l.acc_width;
  Module& glue = b.add(ModuleKind::glue, 1, 1, l.filters, f.coarse_out, f.coarse_in == 1 ? 0 : 1);
  glue.filters = l.filters;
  glue.coarse_in = f.coarse_in;
  glue.coarse_out = f.coarse_out;
  glue.data_width = l.acc_width;
  if (l.has_bias) {
    Module& bias = b.add(ModuleKind::bias, 1, 1, fl, f.coarse_out, 1);
    bias.filters = fl;
  }
}

// Sparse kinds: no data packing, every module charged per instance (§6.6).
void sparse_chain(ChainBuilder& b, const ModelOptions& o) {
  const HwLayer& l = b.layer;
  const Folding& f = l.folding;
  const bool ip = is_inner_product(l.kind);
  const int s_in = l.streams_in(), s_out = l.streams_out();
  const int k2 = ip ? 1 : l.kernel_size();
  const int cs = static_cast<int>(ip ? l.workload_in() / s_in : l.channels / s_in);
  const int fl = l.filters / (f.coarse_out * l.groups);
  const int ho = l.rows_out(), wo = l.cols_out();
  const int lanes = f.coarse_in * f.coarse_out * f.coarse_group;
  const SparseRates rates = sparse_rates(l, o);
  if (!ip) b.window_front(o.semantics == Semantics::pass, cs, 1, s_in, k2 == 1 ? 0 : s_in);
  if (o.quirks.sparse_squeeze && f.fine != k2) {  // Q14 faithful: S_in squeezes charged, one subtracted
    Module& sq = b.add(ModuleKind::squeeze, ho, wo, cs, 1, s_in - 1);
    sq.coarse_in = k2;
    sq.coarse_out = f.fine;
  }
  Module& fork = b.add(ModuleKind::fork, ho, wo, cs, 1, f.coarse_out == 1 ? 0 : s_in);
  fork.kernel_rows = ip ? 1 : l.kernel_rows;  // the fork carries whole windows to the crossbar
  fork.kernel_cols = ip ? 1 : l.kernel_cols;
  fork.coarse_out = f.coarse_out;
  Module& vd = b.add(ModuleKind::sparse_vector_dot, ho, wo, cs, lanes, 1);
  vd.filters = fl;
  vd.fine = f.fine;
  vd.rate_ks = rates.rate_ks;
  Module& acc = b.add(ModuleKind::accum, ho, wo, cs, 1, cs == 1 ? 0 : lanes);
  acc.filters = fl;
  acc.skip = rates.skip;
  acc.rate_sparsity = rates.rate_sparsity;
  acc.data_width = l.acc_width;
  const int glue_filters = l.filters / f.coarse_group;
  Module& glue = b.add(ModuleKind::glue, ho, wo, glue_filters, 1, f.coarse_in == 1 ? 0 : s_out);
  glue.filters = glue_filters;
  glue.coarse_in = f.coarse_in;
  glue.coarse_out = f.coarse_out;
  glue.coarse_group = f.coarse_group;
  glue.data_width = l.acc_width;
  if (l.has_bias) {
    Module& bias = b.add(ModuleKind::bias, ho, wo, l.filters / s_out, 1, s_out);
    bias.filters = l.filters / s_out;
  }
}

}  // namespace

ModuleChain module_chain(const HwLayer& l, const ModelOptions& o) {
  ChainBuilder b{l, {}};
  const bool pass = o.semantics == Semantics::pass;
  const int coarse = l.folding.coarse_in;
  switch (l.kind) {
    case LayerKind::convolution:
      dense_conv_chain(b, o);
      break;
    case LayerKind::inner_product:
      dense_ip_chain(b);
      break;
    case LayerKind::convolution_sparse:
    case LayerKind::convolution_pointwise_sparse:
    case LayerKind::inner_product_sparse:
      sparse_chain(b, o);
      break;
    case LayerKind::pooling: {
      const int cs = l.channels / coarse;
      b.window_front(pass, cs, coarse, 1, l.kernel_size() == 1 ? 0 : 1);
      Module& pool = b.add(ModuleKind::pool, l.rows_out(), l.cols_out(), cs, coarse, 1);
      b.window(pool);
      break;
    }
    case LayerKind::global_pooling:
      b.add(ModuleKind::global_pool, l.rows, l.cols, l.channels / coarse, 1, coarse);
      break;
    case LayerKind::relu:
    case LayerKind::thresholded_relu:
      b.add(ModuleKind::relu, l.rows, l.cols, l.channels / coarse, 1, coarse);
      break;
    case LayerKind::eltwise:
      b.add(ModuleKind::eltwise, l.rows, l.cols, l.channels / coarse, 1, coarse);
      break;
    case LayerKind::split: {
      Module& fork = b.add(ModuleKind::fork, l.rows, l.cols, l.channels / coarse, 1, coarse);
      fork.coarse_out = l.ports_out;
      break;
    }
    case LayerKind::concat: {
      Module& cat = b.add(ModuleKind::concat, l.rows, l.cols, l.channels_out() / coarse, 1, coarse);
      cat.first_port_channels = l.port_channels[0] / coarse;
      break;
    }
    case LayerKind::squeeze: {
      Module& sq = b.add(ModuleKind::squeeze, l.rows, l.cols, l.channels, 1, 1);
      sq.coarse_in = l.folding.coarse_in;
      sq.coarse_out = l.folding.coarse_out;
      break;
    }
  }
  return b.chain;
}

namespace {

std::int64_t main_latency(const HwLayer& l, const ModuleChain& chain, const ModelOptions& o) {
  if (is_sparse(l.kind)) {  // §5.5 / §5.7
    const bool ip = is_inner_product(l.kind);
    const int s_in = l.streams_in(), s_out = l.streams_out();
    const std::int64_t cs = ip ? l.workload_in() / s_in : l.channels / s_in;
    const std::int64_t fl = l.filters / (l.folding.coarse_out * l.groups);
    const std::int64_t ho = l.rows_out(), wo = l.cols_out();
    const std::int64_t workload = ho * wo * cs * fl;
    const double op_lat = static_cast<double>(workload) * sparse_rates(l, o).op_cycles;
    std::int64_t io_in, io_out;
    if (ip) {
      io_in = cs;
      io_out = l.filters / s_out;
    } else if (o.quirks.sparse_io) {  // Q5 faithful: rows·rows, no padding
      io_in = std::int64_t{l.rows} * l.rows * l.channels / s_in;
      io_out = ho * ho * l.filters / s_out;
    } else {
      io_in = std::int64_t{l.padded_rows()} * l.padded_cols() * l.channels / s_in;
      io_out = ho * wo * l.filters / s_out;
    }
    return ceil_int(std::max({op_lat, static_cast<double>(io_in), static_cast<double>(io_out)}));
  }
  if (l.kind == LayerKind::squeeze)
    return l.workload_in() / std::min(l.folding.coarse_in, l.folding.coarse_out);
  std::int64_t lat = 0;
  for (int i = 0; i < chain.size; ++i) lat = std::max(lat, latency(chain.modules[i], o.quirks));
  return lat;
}

// §4.4 pass: workload over the balanced rate of all streams, with the (uncapping) 100 words/cycle.
std::int64_t io_latency(std::int64_t workload, double rate, int streams) {
  constexpr double kMemoryWords = 100.0;
  return trunc_int(static_cast<double>(workload) / std::min(kMemoryWords, rate * streams));
}

// Workload of port 0 (the multi-port rate is per port).
std::int64_t workload_port0(const HwLayer& l) {
  if (l.kind == LayerKind::concat) return std::int64_t{l.rows} * l.cols * l.port_channels[0];
  return l.workload_in();
}

}  // namespace

std::int64_t layer_latency(const HwLayer& l, const ModelOptions& o) {
  const ModuleChain chain = module_chain(l, o);
  if (o.semantics == Semantics::main) return main_latency(l, chain, o);
  const auto [rin, rout] = balanced_rates(chain.modules.data(), chain.size);
  return std::max(io_latency(workload_port0(l), rin, l.streams_in()), io_latency(l.workload_out(), rout, l.streams_out()));
}

LayerMetrics evaluate_layer(const HwLayer& l, const ModelOptions& o) {
  LayerMetrics m;
  const ModuleChain chain = module_chain(l, o);
  const auto [rin, rout] = balanced_rates(chain.modules.data(), chain.size);
  m.rate_in = rin;
  m.rate_out = rout;
  for (int i = 0; i < chain.size; ++i) m.pipeline_depth += pipeline_depth(chain.modules[i]);
  m.streams_in = l.streams_in();
  m.streams_out = l.streams_out();
  m.size_in = l.size_in();
  m.size_out = l.size_out();
  m.latency_in = io_latency(workload_port0(l), rin, m.streams_in);
  m.latency_out = io_latency(l.workload_out(), rout, m.streams_out);
  m.latency = o.semantics == Semantics::main ? main_latency(l, chain, o) : std::max(m.latency_in, m.latency_out);
  m.resources = layer_resources(l, chain, o, m);
  return m;
}

}  // namespace sparsedse::hw
