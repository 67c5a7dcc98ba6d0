// The lowering pass: one partition of a design → HlsPartition (hls.md §3, §5, §7).
//
// Streams. Every tensor edge is a *bundle* of S streams inside one stream array. Layers that read or
// write one stream per call accept any bundle; library modules that take a stream array (mem_write,
// squeeze, chan_permute, concat) need the bundle's streams to be the last dimension of an array, and
// an EltWise / Concat input needs its own FIFO depth. A Split's ports live in one [S][N] array, so a
// port that needs either gets a `relay` (a one-to-one copy) into its own array.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/evaluator.hpp"
#include "sparsedse/hw/permutation.hpp"
#include "sparsedse/hwgen/hls_partition.hpp"
#include "sparsedse/hwgen/names.hpp"
#include "sparsedse/hwgen/permute.hpp"

namespace sparsedse::hwgen {

using nlohmann::json;
using hw::LayerKind;

std::int64_t HlsPartition::weight_words() const {
  std::int64_t n = 0;
  for (const Rom& r : roms)
    if (r.loaded) n += r.size();
  return n;
}

std::string fixed_type(FixedFormat f, bool data, bool saturate) {
  const std::string base = f.is_signed ? "ap_fixed<" : "ap_ufixed<";
  std::string t = base + std::to_string(f.width) + ", " + std::to_string(f.integer_bits());
  if (data) t += ", AP_RND, AP_SAT";
  else if (saturate) t += ", AP_TRN, AP_SAT";
  return t + ">";
}

engine::Numerics design_numerics(const dse::Design& design, const ir::Graph& graph) {
  engine::Numerics n;
  n.mode = engine::Numerics::Mode::Fixed;
  for (int v = 0; v < design.network.size(); ++v) {
    const hw::HwLayer& l = design.network.layers[v];
    const std::string& name = design.network.names[v];
    if (!graph.contains(name)) continue;  // checked by the lowering
    const ir::LayerKind k = graph.layer(name).kind;
    const FixedFormat data{l.data_width, l.data_width / 2, true};
    if (k != ir::LayerKind::ReLU && k != ir::LayerKind::Split && k != ir::LayerKind::Flatten && !(data == n.data))
      n.layer_data[name] = data;
    const FixedFormat weights{l.weight_width, l.weight_width / 2, true};
    if (hw::is_weighted(l.kind) && !(weights == n.weights)) n.layer_weights[name] = weights;
  }
  return n;
}

namespace {

std::string str(std::int64_t v) { return std::to_string(v); }

std::string real_literal(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

json format_json(FixedFormat f) { return json{f.width, f.frac}; }

struct Bundle {
  int array = -1;
  std::vector<int> prefix, suffix;  // stream s is array[prefix..., s, suffix...]
  int streams = 1;
  std::string type;
  bool contiguous() const { return suffix.empty(); }
};

class Lowering {
 public:
  Lowering(const dse::Design& d, int p, const ir::Graph& g, const engine::Engine& e, const LowerOptions& o)
      : d_(d), net_(d.network), part_(d.partitions.at(static_cast<std::size_t>(p))), graph_(g), eng_(e), opt_(o),
        ev_(d.network, d.platform, d.options) {
    out_.index = p;
  }

  HlsPartition run();

 private:
  // --- structure --------------------------------------------------------------------------------
  const hw::HwLayer& layer(int v) const { return net_.layers[static_cast<std::size_t>(v)]; }
  const std::string& name(int v) const { return net_.names[static_cast<std::size_t>(v)]; }
  const std::string& id(int v) const { return ids_.at(name(v)); }
  bool inside(int v) const { return std::binary_search(part_.nodes.begin(), part_.nodes.end(), v); }
  ir::Vertex vertex(int v) const { return graph_.vertex(name(v)); }
  std::string where(int v) const { return "design layer '" + name(v) + "'"; }
  [[noreturn]] void fail(int v, const std::string& what) const { throw InputError(where(v), what); }
  // The IR vertex whose tensor feeds `v` on `port` (Flatten is a NOP in hardware), and its shape.
  ir::Vertex source_vertex(int v, int port) const;
  const hw::SqueezeSite* squeeze_on_edge(int e) const;
  int consumer_depth(int e) const;  // FIFO depth the consumer of edge e needs on its input

  // --- building blocks ----------------------------------------------------------------------------
  std::string type(const std::string& base, const std::string& cxx, const std::string& comment = "");
  int array(const std::string& base, const std::string& element, std::vector<int> dims, int depth,
            const std::string& comment);
  std::string config(const std::string& base, const std::string& module, const std::string& layer,
                     std::vector<ConfigField> fields);
  void call(const std::string& function, const std::string& cfg, std::vector<Loop> loops, std::vector<Operand> args,
            const std::string& layer);
  Operand stream(const Bundle& b, const std::string& var) const;  // stream `var` of a bundle
  Operand whole(const Bundle& b) const;                           // the bundle as a stream array
  Operand ref(int array, std::vector<Index> idx) const { return Operand{out_.streams[array].name, std::move(idx)}; }
  Bundle contiguous_bundle(int array, std::vector<int> prefix, int streams) const;
  Bundle relay(const Bundle& in, std::int64_t words, int depth, const std::string& base, const std::string& layer);
  Bundle squeeze(Bundle in, int coarse_out, std::int64_t words, int depth, const std::string& base,
                 const std::string& layer);
  Bundle deliver(int v, int port, bool need_array, int depth);
  Bundle alloc_output(int v, int streams, const std::string& type);

  // --- layers -------------------------------------------------------------------------------------
  void plan_permutations();
  void lower_weighted(int v);
  void lower_pool(int v);
  void lower_global_pool(int v);
  void lower_relu(int v);
  void lower_eltwise(int v);
  void lower_concat(int v);
  void lower_split(int v);
  void summarise(int v, std::vector<std::string> configs);

  const dse::Design& d_;
  const hw::Network& net_;
  const hw::Partition& part_;
  const ir::Graph& graph_;
  const engine::Engine& eng_;
  LowerOptions opt_;
  hw::Evaluator ev_;
  const hw::PartitionModel* model_ = nullptr;
  std::vector<hw::SqueezeSite> squeezes_;

  HlsPartition out_;
  NameScope scope_;
  std::map<std::string, std::string> ids_;
  std::map<int, Bundle> produced_;       // network edge → bundle written by its producer
  std::map<int, Bundle> node_out_;       // node → its output bundle (non-split)
  int input_node_ = -1, input_port_ = 0, output_node_ = -1;
  Bundle input_bundle_;

  // Sparse input orders (hls.md §3.4): per weighted node, IR input index of stream i, local index ci;
  // and per weighted producer, the IR filter at each output position.
  std::map<int, std::vector<std::vector<int>>> in_order_;
  std::map<int, std::vector<int>> out_order_;
  std::map<int, std::vector<std::vector<int>>> permute_rom_;  // node → chan_permute schedule order[t][s]
  std::map<int, std::string> permutation_;                    // node → manifest text
};

ir::Vertex Lowering::source_vertex(int v, int port) const {
  const ir::Vertex x = vertex(v);
  std::vector<ir::Vertex> preds = graph_.predecessors(x);
  if (static_cast<std::size_t>(port) >= preds.size()) fail(v, "the model has no producer on input port " + str(port));
  ir::Vertex u = preds[static_cast<std::size_t>(port)];
  while (graph_.layer(u).kind == ir::LayerKind::Flatten) u = graph_.predecessors(u).at(0);
  return u;
}

const hw::SqueezeSite* Lowering::squeeze_on_edge(int e) const {
  for (const hw::SqueezeSite& s : squeezes_)
    if (s.where == hw::SqueezeSite::Where::edge && s.edge == e) return &s;
  return nullptr;
}

int Lowering::consumer_depth(int e) const {
  const hw::HwEdge& edge = net_.edges[static_cast<std::size_t>(e)];
  const hw::HwLayer& c = layer(edge.to);
  if (c.kind != LayerKind::eltwise && c.kind != LayerKind::concat) return 2;
  if (opt_.merge_fifo_depth > 0) return opt_.merge_fifo_depth;
  return static_cast<int>(std::max<std::int64_t>(2, model_->buffer_depth(edge.to, edge.port)));  // hls.md §7
}

std::string Lowering::type(const std::string& base, const std::string& cxx, const std::string& comment) {
  const std::string n = scope_.unique(base);
  out_.types.push_back(TypeDef{n, cxx, comment});
  return n;
}

int Lowering::array(const std::string& base, const std::string& element, std::vector<int> dims, int depth,
                    const std::string& comment) {
  out_.streams.push_back(StreamArray{scope_.unique(base), element, std::move(dims), depth, comment});
  return static_cast<int>(out_.streams.size()) - 1;
}

std::string Lowering::config(const std::string& base, const std::string& module, const std::string& layer,
                             std::vector<ConfigField> fields) {
  ModuleConfig c{scope_.unique(base + "_cfg"), module, layer, std::move(fields)};
  out_.configs.push_back(std::move(c));
  return out_.configs.back().name;
}

void Lowering::call(const std::string& function, const std::string& cfg, std::vector<Loop> loops,
                    std::vector<Operand> args, const std::string& layer) {
  std::vector<Loop> kept;
  for (const Loop& l : loops) {
    if (l.extent > 1) {
      kept.push_back(l);
      continue;
    }
    for (Operand& a : args)  // a loop of one iteration is its index 0
      for (Index& i : a.index)
        if (i.var == l.var) i = Index::at(0);
  }
  out_.calls.push_back(Call{function, cfg, std::move(kept), std::move(args), layer});
}

Operand Lowering::stream(const Bundle& b, const std::string& var) const {
  std::vector<Index> idx;
  for (int i : b.prefix) idx.push_back(Index::at(i));
  idx.push_back(Index::loop(var));
  for (int i : b.suffix) idx.push_back(Index::at(i));
  return ref(b.array, std::move(idx));
}

Operand Lowering::whole(const Bundle& b) const {
  std::vector<Index> idx;
  for (int i : b.prefix) idx.push_back(Index::at(i));
  return ref(b.array, std::move(idx));
}

Bundle Lowering::contiguous_bundle(int a, std::vector<int> prefix, int streams) const {
  Bundle b;
  b.array = a;
  b.prefix = std::move(prefix);
  b.streams = streams;
  b.type = out_.streams[static_cast<std::size_t>(a)].element;
  return b;
}

Bundle Lowering::relay(const Bundle& in, std::int64_t words, int depth, const std::string& base,
                       const std::string& layer) {
  const int a = array(base, in.type, {in.streams}, depth, "relay of " + out_.streams[in.array].name);
  const std::string cfg = config(base, "sdhls::relay", layer,
                                 {{ConfigField::Kind::type, "data_t", in.type, ""},
                                  {ConfigField::Kind::count, "count", str(words / in.streams), ""}});
  const Bundle out = contiguous_bundle(a, {}, in.streams);
  call("sdhls::relay", cfg, {{"s", in.streams}}, {stream(in, "s"), stream(out, "s"), Operand{"batch", {}}}, layer);
  return out;
}

Bundle Lowering::squeeze(Bundle in, int coarse_out, std::int64_t words, int depth, const std::string& base,
                         const std::string& layer) {
  if (!in.contiguous()) in = relay(in, words, 2, base + "_relay", layer);
  const int a = array(base, in.type, {coarse_out}, depth, "squeeze " + str(in.streams) + " -> " + str(coarse_out));
  const std::string cfg = config(base, "sdhls::squeeze", layer,
                                 {{ConfigField::Kind::type, "data_t", in.type, ""},
                                  {ConfigField::Kind::count, "coarse_in", str(in.streams), ""},
                                  {ConfigField::Kind::count, "coarse_out", str(coarse_out), ""},
                                  {ConfigField::Kind::count, "words", str(words), ""}});
  const Bundle out = contiguous_bundle(a, {}, coarse_out);
  call("sdhls::squeeze", cfg, {}, {whole(in), whole(out), Operand{"batch", {}}}, layer);
  return out;
}

// The input bundle of `v` on `port`, with the edge's squeeze, and a relay when the consumer needs a
// stream array or its own FIFO depth that the producer's array cannot give.
Bundle Lowering::deliver(int v, int port, bool need_array, int depth) {
  if (v == input_node_ && port == input_port_) return input_bundle_;
  int edge = -1;
  for (int e : net_.in_edges[static_cast<std::size_t>(v)])
    if (net_.edges[static_cast<std::size_t>(e)].port == port) edge = e;
  if (edge < 0 || !produced_.count(edge)) fail(v, "input port " + str(port) + " is not fed inside the partition");
  Bundle b = produced_.at(edge);
  const hw::HwEdge& he = net_.edges[static_cast<std::size_t>(edge)];
  const hw::HwLayer& src = layer(he.from);
  const std::int64_t words = std::int64_t{src.rows_out()} * src.cols_out() * src.channels_out();
  if (const hw::SqueezeSite* s = squeeze_on_edge(edge)) {
    const std::string base = legal_identifier(name(he.from) + "_squeeze_" + name(v));
    return squeeze(b, s->coarse_out, words, depth, base, "squeeze " + name(he.from) + " -> " + name(v));
  }
  const bool own_depth = out_.streams[static_cast<std::size_t>(b.array)].depth < depth;
  if ((need_array && !b.contiguous()) || own_depth)
    b = relay(b, words, depth, id(he.from) + "_to_" + id(v), "relay " + name(he.from) + " -> " + name(v));
  return b;
}

// The output array of a non-split layer; its one consumer edge decides the FIFO depth.
Bundle Lowering::alloc_output(int v, int streams, const std::string& element) {
  int depth = 2;
  for (int e : net_.out_edges[static_cast<std::size_t>(v)])
    if (inside(net_.edges[static_cast<std::size_t>(e)].to) && !squeeze_on_edge(e)) depth = std::max(depth, consumer_depth(e));
  const int a = array(id(v) + "_out", element, {streams}, depth, name(v) + " output");
  Bundle b = contiguous_bundle(a, {}, streams);
  node_out_[v] = b;
  for (int e : net_.out_edges[static_cast<std::size_t>(v)]) produced_[e] = b;
  return b;
}

// --- sparse input orders (hls.md §3.4) -------------------------------------------------------------

void Lowering::plan_permutations() {
  for (int v : part_.nodes) {
    const hw::HwLayer& l = layer(v);
    if (!hw::is_weighted(l.kind)) continue;
    const ir::Layer& il = graph_.layer(vertex(v));
    const int s_in = l.streams_in();
    const std::int64_t features = hw::is_inner_product(l.kind) ? l.workload_in() : l.channels;
    // Hardware channel j (NHWC word index within a pixel-major image for an InnerProduct) → IR index.
    const ir::Shape src = graph_.layer(source_vertex(v, 0)).output_shape;
    auto ir_index = [&](std::int64_t j) -> int {
      if (!hw::is_inner_product(l.kind)) return static_cast<int>(j);
      const std::int64_t c = j % src.channels, pixel = j / src.channels;  // NCHW flatten order of ONNX
      return static_cast<int>(c * src.rows * src.cols + pixel);
    };
    std::vector<int> hw_of_ir(static_cast<std::size_t>(features));
    for (std::int64_t j = 0; j < features; ++j) hw_of_ir[static_cast<std::size_t>(ir_index(j))] = static_cast<int>(j);
    if (features != (hw::is_inner_product(l.kind) ? std::int64_t{il.input_shape().elements()} : il.input_shape().channels))
      fail(v, "its input size does not match the model layer '" + il.name + "'");

    std::vector<int> perm_hw(static_cast<std::size_t>(features));  // position p holds hardware channel perm_hw[p]
    std::iota(perm_hw.begin(), perm_hw.end(), 0);
    if (hw::is_sparse(l.kind) && l.sparsity) {
      const std::vector<int> perm =
          l.sparsity->interleaving(s_in, std::max(1, l.folding.fine), l.skip_all_zero_window, d_.options.interleaving);
      if (static_cast<std::int64_t>(perm.size()) != features) fail(v, "its sparsity profile has the wrong size");
      for (std::size_t p = 0; p < perm.size(); ++p)
        perm_hw[p] = hw::is_inner_product(l.kind) ? hw_of_ir[static_cast<std::size_t>(perm[p])] : perm[p];
    }
    const std::int64_t cs = features / s_in;
    std::vector<std::vector<int>> order(static_cast<std::size_t>(s_in), std::vector<int>(static_cast<std::size_t>(cs)));
    auto set_order = [&](const std::function<int(int, int)>& hw_channel) {
      for (int i = 0; i < s_in; ++i)
        for (int ci = 0; ci < cs; ++ci)
          order[static_cast<std::size_t>(i)][static_cast<std::size_t>(ci)] = ir_index(hw_channel(i, ci));
    };
    std::string how = "natural";
    if (same_stream_sets(perm_hw, s_in)) {
      set_order([&](int i, int ci) { return ci * s_in + i; });
    } else {
      // Fold into the producer when it is a Conv / InnerProduct whose output reaches only this layer
      // through channel-wise layers, inside the partition (hls.md §3.4 realisation 1). The partition
      // model charges a ChannelPermute by the same rule (hw/permutation.hpp).
      const int u = hw::permutation_fold_producer(net_, v, part_.nodes);
      if (u >= 0) {
        if (out_order_.count(u)) fail(v, "internal: producer '" + name(u) + "' already absorbs a permutation");
        std::vector<int> filters(static_cast<std::size_t>(features));
        for (std::int64_t p = 0; p < features; ++p) filters[static_cast<std::size_t>(p)] = perm_hw[static_cast<std::size_t>(p)];
        out_order_[u] = filters;  // the producer's output position p is its filter perm[p]
        set_order([&](int i, int ci) { return perm_hw[static_cast<std::size_t>(ci * s_in + i)]; });
        how = "folded into " + name(u);
      } else {
        const std::vector<std::vector<int>> sched = permute_schedule(perm_hw, s_in);
        permute_rom_[v] = sched;
        set_order([&](int i, int ci) { return sched[static_cast<std::size_t>(ci)][static_cast<std::size_t>(i)]; });
        how = "chan_permute";
      }
    }
    in_order_[v] = order;
    permutation_[v] = how;
  }
}

// --- layers ------------------------------------------------------------------------------------------

void Lowering::lower_weighted(int v) {
  const hw::HwLayer& l = layer(v);
  const ir::Vertex x = vertex(v);
  const ir::Layer& il = graph_.layer(x);
  const std::string& n = id(v);
  const bool sparse = hw::is_sparse(l.kind);
  const bool ip = hw::is_inner_product(l.kind);
  if (l.groups != 1 || l.folding.coarse_group != 1) fail(v, "grouped convolutions are not supported by the HLS emitter (v1)");
  const bool reload = name(v) == out_.wr_layer;  // weights reloading (hls.md §5.2)
  const int wr = reload ? out_.wr : 1;
  if (l.filters * wr != il.filters)
    fail(v, "has " + str(l.filters) + " filters" + (wr > 1 ? " per weights-reloading pass" : "") +
                " but the model layer has " + str(il.filters));
  const int cin = l.folding.coarse_in, cout = l.folding.coarse_out;
  const int k2 = ip ? 1 : l.kernel_size();
  const int fine = ip ? 1 : l.folding.fine;
  const std::int64_t features = ip ? l.workload_in() : l.channels;
  const std::int64_t cs = features / cin, fl = l.filters / cout;
  const std::int64_t pixels = ip ? 1 : std::int64_t{l.rows_out()} * l.cols_out();
  if (!sparse && k2 % fine != 0) fail(v, "dense fine " + str(fine) + " does not divide K² = " + str(k2));
  const bool window = !ip && (k2 > 1 || l.stride_rows > 1 || l.stride_cols > 1 || l.pad_top || l.pad_bottom ||
                              l.pad_left || l.pad_right);

  const FixedFormat out_fmt = eng_.output_format(x);
  const FixedFormat w_fmt = eng_.weight_format(x);
  const AccumulatorFormat acc = eng_.accumulator_format(x);
  if (acc.capped) out_.notes.push_back(name(v) + ": accumulator capped at 48 bits (AP_SAT); dense and sparse may differ");
  Bundle in = deliver(v, 0, permute_rom_.count(v) > 0, 2);
  const std::string data_in = in.type;
  const std::string data_out = type(n + "_data_t", fixed_type(out_fmt, true), name(v) + " output");
  const std::string weight_t = type(n + "_weight_t", fixed_type(w_fmt, false), name(v) + " weights");
  const std::string acc_t = type(n + "_acc_t", fixed_type(acc.format, false, acc.capped),
                                 name(v) + " accumulator (docs/fixed-point.md)");

  // chan_permute (hls.md §3.4 realisation 2).
  if (permute_rom_.count(v)) {
    const auto& sched = permute_rom_.at(v);
    Rom r;
    r.name = scope_.unique(n + "_order");
    r.element = "ap_uint<16>";
    r.format = FixedFormat{16, 0, false};
    r.dims = {static_cast<int>(cs), cin};
    r.partition_dims = {2};
    r.storage = "lutram";
    r.loaded = false;
    r.layer = name(v);
    r.comment = "chan_permute schedule: order[t][s] = channel read by stream s in cycle t (hls.md §3.4)";
    for (const auto& row : sched)
      for (int c : row) r.values.push_back(c);
    out_.roms.push_back(r);
    const int a = array(n + "_perm", data_in, {cin}, 2, name(v) + " permuted input");
    const std::string cfg = config(n + "_permute", "sdhls::chan_permute", name(v),
                                   {{ConfigField::Kind::type, "data_t", data_in, ""},
                                    {ConfigField::Kind::count, "streams", str(cin), ""},
                                    {ConfigField::Kind::count, "channels", str(cs), ""},
                                    {ConfigField::Kind::count, "pixels", str(std::int64_t{l.rows} * l.cols), ""}});
    const Bundle pb = contiguous_bundle(a, {}, cin);
    call("sdhls::chan_permute", cfg, {}, {whole(in), whole(pb), Operand{r.name, {}}, Operand{"batch", {}}}, name(v));
    in = pb;
  }

  // Sliding window per input stream.
  std::string token_in = data_in;
  Bundle win = in;
  if (window) {
    token_in = type(n + "_window_t", "sdhls::window<" + data_in + ", " + str(l.kernel_rows) + ", " + str(l.kernel_cols) + ">");
    const int a = array(n + "_win", token_in, {cin}, 2, name(v) + " windows");
    const std::string cfg = config(
        n + "_sw", "sdhls::sliding_window", name(v),
        {{ConfigField::Kind::type, "data_t", data_in, ""},
         {ConfigField::Kind::count, "rows", str(l.rows), ""},
         {ConfigField::Kind::count, "cols", str(l.cols), ""},
         {ConfigField::Kind::count, "channels", str(cs), ""},
         {ConfigField::Kind::count, "kernel_rows", str(l.kernel_rows), ""},
         {ConfigField::Kind::count, "kernel_cols", str(l.kernel_cols), ""},
         {ConfigField::Kind::count, "stride_rows", str(l.stride_rows), ""},
         {ConfigField::Kind::count, "stride_cols", str(l.stride_cols), ""},
         {ConfigField::Kind::count, "pad_top", str(l.pad_top), ""},
         {ConfigField::Kind::count, "pad_bottom", str(l.pad_bottom), ""},
         {ConfigField::Kind::count, "pad_left", str(l.pad_left), ""},
         {ConfigField::Kind::count, "pad_right", str(l.pad_right), ""}});
    win = contiguous_bundle(a, {}, cin);
    call("sdhls::sliding_window", cfg, {{"i", cin}}, {stream(in, "i"), stream(win, "i"), Operand{"batch", {}}}, name(v));
  }

  // Weights and biases in the library layouts (hls.md §3.2; sparse: one K²-wide word per (c, f)).
  const std::vector<std::int64_t> w_ir = eng_.quantized_weights(x);
  const std::vector<std::int64_t> b_ir = eng_.quantized_bias(x);
  std::vector<int> filter_at(static_cast<std::size_t>(l.filters));
  if (out_order_.count(v)) filter_at = out_order_.at(v);
  else std::iota(filter_at.begin(), filter_at.end(), 0);
  const auto& order = in_order_.at(v);
  const std::int64_t depth_ir = static_cast<std::int64_t>(w_ir.size()) / il.filters;  // (C/G)·K² or C·H·W
  if (reload && out_order_.count(v)) fail(v, "internal: a weights-reloading layer with a folded permutation");
  // Pass r of weights reloading computes the filter block r·F/wr … (r+1)·F/wr − 1 (hls.md §3.2).
  auto w_at = [&](int r, int i, std::int64_t ci, int o, std::int64_t fo, int k) {
    const int c = order[static_cast<std::size_t>(i)][static_cast<std::size_t>(ci)];
    const std::int64_t f = std::int64_t{r} * l.filters + filter_at[static_cast<std::size_t>(fo * cout + o)];
    return w_ir[static_cast<std::size_t>(f * depth_ir + std::int64_t{c} * k2 + k)];
  };
  Rom w;
  w.name = scope_.unique(n + "_w");
  w.element = weight_t;
  w.format = w_fmt;
  w.layer = name(v);
  w.partition_dims = {1, 2, 4};
  const std::int64_t chunks = sparse ? 1 : k2 / fine;
  const std::int64_t lanes = sparse ? k2 : fine;
  const std::int64_t rom_depth = cs * fl * chunks;
  w.dims = {cin, cout, static_cast<int>(rom_depth), static_cast<int>(lanes)};
  w.comment = sparse ? "w[i][o][ci·Fl + fo][k] = W[f][c][k] (hls.md §9.3)"
                     : "w[i][o][(ci·Fl + fo)·(K²/fine) + q][l] = W[f][c][q·fine + l] (hls.md §3.2)";
  w.values.reserve(static_cast<std::size_t>(w.size() * wr));
  for (int r = 0; r < wr; ++r)
    for (int i = 0; i < cin; ++i)
      for (int o = 0; o < cout; ++o)
        for (std::int64_t ci = 0; ci < cs; ++ci)
          for (std::int64_t fo = 0; fo < fl; ++fo)
            for (std::int64_t q = 0; q < chunks; ++q)
              for (std::int64_t lane = 0; lane < lanes; ++lane)
                w.values.push_back(w_at(r, i, ci, o, fo, static_cast<int>(q * lanes + lane)));
  const std::int64_t bank_bits = rom_depth * w_fmt.width;
  w.storage = l.use_uram ? "uram" : (bank_bits < 1024 ? "lutram" : "bram");  // small-ROM rule (model.md Q15)
  w.reload = reload;
  w.loaded = !reload;
  w.blocks = wr;
  if (reload) {
    w.comment += "; RAM reloaded per pass";
    const std::string cfg = config(n + "_wr_load", "sdhls::wr_load", name(v),
                                   {{ConfigField::Kind::type, "weight_t", weight_t, ""},
                                    {ConfigField::Kind::count, "coarse_in", str(cin), ""},
                                    {ConfigField::Kind::count, "coarse_out", str(cout), ""},
                                    {ConfigField::Kind::count, "depth", str(rom_depth), ""},
                                    {ConfigField::Kind::count, "lanes", str(lanes), ""}});
    out_.reload_calls.push_back(
        Call{"sdhls::wr_load", cfg, {}, {Operand{"wts", {}}, Operand{w.name, {}}, Operand{"wr_index", {}}}, name(v)});
    const std::int64_t per_beat = 512 / w_fmt.width;
    out_.reload_weight_beats = (w.size() + per_beat - 1) / per_beat;
  }
  out_.roms.push_back(w);

  // Per-filter-lane pipelines.
  std::vector<Index> io = {Index::loop("i"), Index::loop("o")};
  int pre_glue = -1;  // array [cout][cin] of acc_t streams into glue
  if (!sparse) {
    Bundle dot_in = win;
    int fork_a = -1;
    if (cout > 1) {
      fork_a = array(n + "_fork", token_in, {cin, cout}, 2, name(v) + " fork outputs");
      const std::string cfg = config(n + "_fork", "sdhls::fork", name(v),
                                     {{ConfigField::Kind::type, "token_t", token_in, ""},
                                      {ConfigField::Kind::count, "outputs", str(cout), ""},
                                      {ConfigField::Kind::count, "tokens", str(pixels * cs), ""}});
      call("sdhls::fork", cfg, {{"i", cin}}, {stream(win, "i"), ref(fork_a, {Index::loop("i")}), Operand{"batch", {}}},
           name(v));
    }
    const std::string vcfg = config(n + "_vdot", "sdhls::vdot", name(v),
                                    {{ConfigField::Kind::type, "input_t", token_in, ""},
                                     {ConfigField::Kind::type, "weight_t", weight_t, ""},
                                     {ConfigField::Kind::type, "acc_t", acc_t, ""},
                                     {ConfigField::Kind::count, "kernel_size", str(k2), ""},
                                     {ConfigField::Kind::count, "fine", str(fine), ""},
                                     {ConfigField::Kind::count, "channels", str(cs), ""},
                                     {ConfigField::Kind::count, "filters", str(fl), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""}});
    const bool accum = cs > 1;
    const int psum = accum ? array(n + "_psum", acc_t, {cin, cout}, 2, name(v) + " partial sums")
                           : array(n + "_psum", acc_t, {cout, cin}, 2, name(v) + " partial sums");
    const Operand dot_src = fork_a >= 0 ? ref(fork_a, io) : stream(dot_in, "i");
    const Operand psum_ref = accum ? ref(psum, io) : ref(psum, {Index::loop("o"), Index::loop("i")});
    call("sdhls::vdot", vcfg, {{"i", cin}, {"o", cout}}, {dot_src, psum_ref, Operand{w.name, io}, Operand{"batch", {}}},
         name(v));
    pre_glue = psum;
    if (accum) {
      pre_glue = array(n + "_acc", acc_t, {cout, cin}, 2, name(v) + " channel sums");
      const std::string acfg = config(n + "_accum", "sdhls::accum", name(v),
                                      {{ConfigField::Kind::type, "acc_t", acc_t, ""},
                                       {ConfigField::Kind::count, "channels", str(cs), ""},
                                       {ConfigField::Kind::count, "filters", str(fl), ""},
                                       {ConfigField::Kind::count, "pixels", str(pixels), ""}});
      call("sdhls::accum", acfg, {{"i", cin}, {"o", cout}},
           {ref(psum, io), ref(pre_glue, {Index::loop("o"), Index::loop("i")}), Operand{"batch", {}}}, name(v));
    }
  } else {
    const std::string token_t = type(n + "_token_t", "sdhls::sp_token<" + data_in + ", " + str(k2) + ", " + str(cs) + ">");
    const std::string psum_t = type(n + "_psum_t", "sdhls::psum_token<" + acc_t + ", " + str(fl) + ">");
    const int nz = array(n + "_nz", token_t, {cin}, 2, name(v) + " non-zero windows");
    const std::string ncfg = config(n + "_nz_check", "sdhls::nz_check", name(v),
                                    {{ConfigField::Kind::type, "input_t", token_in, ""},
                                     {ConfigField::Kind::type, "data_t", data_in, ""},
                                     {ConfigField::Kind::count, "kernel_size", str(k2), ""},
                                     {ConfigField::Kind::count, "channels", str(cs), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""},
                                     {ConfigField::Kind::flag, "skip", l.skip_all_zero_window ? "true" : "false", ""}});
    const Bundle nzb = contiguous_bundle(nz, {}, cin);
    call("sdhls::nz_check", ncfg, {{"i", cin}}, {stream(win, "i"), stream(nzb, "i"), Operand{"batch", {}}}, name(v));
    Operand dot_src = stream(nzb, "i");
    if (cout > 1) {
      const int f = array(n + "_fork", token_t, {cin, cout}, 4, name(v) + " sparse fork outputs (hls.md §7)");
      const std::string fcfg = config(n + "_fork", "sdhls::sparse_fork", name(v),
                                      {{ConfigField::Kind::type, "token_t", token_t, ""},
                                       {ConfigField::Kind::count, "outputs", str(cout), ""},
                                       {ConfigField::Kind::count, "pixels", str(pixels), ""},
                                       {ConfigField::Kind::count, "channels", str(cs), ""}});
      call("sdhls::sparse_fork", fcfg, {{"i", cin}}, {stream(nzb, "i"), ref(f, {Index::loop("i")}), Operand{"batch", {}}},
           name(v));
      dot_src = ref(f, io);
    }
    const int psum = array(n + "_psum", psum_t, {cin, cout}, 2, name(v) + " tagged partial sums");
    const std::string vcfg = config(n + "_vdot", "sdhls::sparse_vdot", name(v),
                                    {{ConfigField::Kind::type, "data_t", data_in, ""},
                                     {ConfigField::Kind::type, "weight_t", weight_t, ""},
                                     {ConfigField::Kind::type, "acc_t", acc_t, ""},
                                     {ConfigField::Kind::count, "kernel_size", str(k2), ""},
                                     {ConfigField::Kind::count, "fine", str(fine), ""},
                                     {ConfigField::Kind::count, "channels", str(cs), ""},
                                     {ConfigField::Kind::count, "filters", str(fl), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""}});
    call("sdhls::sparse_vdot", vcfg, {{"i", cin}, {"o", cout}},
         {dot_src, ref(psum, io), Operand{w.name, io}, Operand{"batch", {}}}, name(v));
    pre_glue = array(n + "_acc", acc_t, {cout, cin}, static_cast<int>(2 * fl), name(v) + " pixel sums (hls.md §7: 2·Fl)");
    const std::string acfg = config(n + "_accum", "sdhls::sparse_accum", name(v),
                                    {{ConfigField::Kind::type, "acc_t", acc_t, ""},
                                     {ConfigField::Kind::count, "filters", str(fl), ""},
                                     {ConfigField::Kind::count, "channels", str(cs), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""}});
    call("sdhls::sparse_accum", acfg, {{"i", cin}, {"o", cout}},
         {ref(psum, io), ref(pre_glue, {Index::loop("o"), Index::loop("i")}), Operand{"batch", {}}}, name(v));
  }

  const Bundle out = alloc_output(v, cout, data_out);
  const bool bias = l.has_bias;
  if (bias != il.has_bias()) fail(v, "has_bias differs from the model layer '" + il.name + "'");
  Operand into_bias = ref(pre_glue, {Index::loop("o"), Index::at(0)});
  if (cin > 1 || !bias) {  // glue sums the cin lanes; without a bias it is the layer's single cast (hls.md §8)
    int glue_out = out.array;
    if (bias) glue_out = array(n + "_glue", acc_t, {cout}, 2, name(v) + " lane sums");
    const std::string gcfg = config(n + "_glue", "sdhls::glue", name(v),
                                    {{ConfigField::Kind::type, "acc_t", acc_t, ""},
                                     {ConfigField::Kind::type, "out_t", bias ? acc_t : data_out, ""},
                                     {ConfigField::Kind::count, "coarse_in", str(cin), ""},
                                     {ConfigField::Kind::count, "filters", str(fl), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""}});
    call("sdhls::glue", gcfg, {{"o", cout}},
         {ref(pre_glue, {Index::loop("o")}), ref(glue_out, {Index::loop("o")}), Operand{"batch", {}}}, name(v));
    into_bias = ref(glue_out, {Index::loop("o")});
  }
  if (bias) {
    Rom b;
    b.name = scope_.unique(n + "_b");
    b.element = acc_t;
    b.format = acc.format;
    // A reloaded bias is a wr_load RAM [1][cout][1][Fl]; the bias module reads b[0][o][0].
    b.dims = reload ? std::vector<int>{1, cout, 1, static_cast<int>(fl)} : std::vector<int>{cout, static_cast<int>(fl)};
    b.partition_dims = {reload ? 2 : 1};
    b.storage = "lutram";
    b.layer = name(v);
    b.comment = "b[o][fo] = bias[fo·cout + o], at the accumulator format";
    for (int r = 0; r < wr; ++r)
      for (int o = 0; o < cout; ++o)
        for (std::int64_t fo = 0; fo < fl; ++fo)
          b.values.push_back(b_ir[static_cast<std::size_t>(
              std::int64_t{r} * l.filters + filter_at[static_cast<std::size_t>(fo * cout + o)])]);
    b.reload = reload;
    b.loaded = !reload;
    b.blocks = wr;
    if (reload) {
      b.comment += "; RAM reloaded per pass";
      const std::string cfg = config(n + "_bias_wr_load", "sdhls::wr_load", name(v),
                                     {{ConfigField::Kind::type, "weight_t", acc_t, ""},
                                      {ConfigField::Kind::count, "coarse_in", "1", ""},
                                      {ConfigField::Kind::count, "coarse_out", str(cout), ""},
                                      {ConfigField::Kind::count, "depth", "1", ""},
                                      {ConfigField::Kind::count, "lanes", str(fl), ""}});
      out_.reload_calls.push_back(Call{"sdhls::wr_load", cfg, {},
                                       {Operand{"wts + kReloadBiasOffset", {}}, Operand{b.name, {}},
                                        Operand{"wr_index", {}}},
                                       name(v)});
      const std::int64_t per_beat = 512 / acc.format.width;
      out_.reload_bias_beats = (b.size() + per_beat - 1) / per_beat;
    }
    out_.roms.push_back(b);
    const std::string bcfg = config(n + "_bias", "sdhls::bias", name(v),
                                    {{ConfigField::Kind::type, "acc_t", acc_t, ""},
                                     {ConfigField::Kind::type, "bias_t", acc_t, ""},
                                     {ConfigField::Kind::type, "out_t", data_out, ""},
                                     {ConfigField::Kind::count, "filters", str(fl), ""},
                                     {ConfigField::Kind::count, "pixels", str(pixels), ""}});
    call("sdhls::bias", bcfg, {{"o", cout}},
         {into_bias, stream(out, "o"),
          Operand{b.name, reload ? std::vector<Index>{Index::at(0), Index::loop("o"), Index::at(0)}
                                 : std::vector<Index>{Index::loop("o")}},
          Operand{"batch", {}}},
         name(v));
  }
}

void Lowering::lower_pool(int v) {
  const hw::HwLayer& l = layer(v);
  const ir::Layer& il = graph_.layer(vertex(v));
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  if (il.kind == ir::LayerKind::AveragePool && !il.count_include_pad &&
      (l.pad_top || l.pad_bottom || l.pad_left || l.pad_right))
    fail(v, "average pooling with padding excluded from the count (count_include_pad = 0) has no HLS module; "
            "the sliding window counts pad words (hls.md §4)");
  const Bundle in = deliver(v, 0, false, 2);
  const std::string out_t = type(n + "_data_t", fixed_type(eng_.output_format(vertex(v)), true), name(v) + " output");
  const std::string win_t =
      type(n + "_window_t", "sdhls::window<" + in.type + ", " + str(l.kernel_rows) + ", " + str(l.kernel_cols) + ">");
  const int a = array(n + "_win", win_t, {s}, 2, name(v) + " windows");
  const std::string sw = config(n + "_sw", "sdhls::sliding_window", name(v),
                                {{ConfigField::Kind::type, "data_t", in.type, ""},
                                 {ConfigField::Kind::count, "rows", str(l.rows), ""},
                                 {ConfigField::Kind::count, "cols", str(l.cols), ""},
                                 {ConfigField::Kind::count, "channels", str(l.channels / s), ""},
                                 {ConfigField::Kind::count, "kernel_rows", str(l.kernel_rows), ""},
                                 {ConfigField::Kind::count, "kernel_cols", str(l.kernel_cols), ""},
                                 {ConfigField::Kind::count, "stride_rows", str(l.stride_rows), ""},
                                 {ConfigField::Kind::count, "stride_cols", str(l.stride_cols), ""},
                                 {ConfigField::Kind::count, "pad_top", str(l.pad_top), ""},
                                 {ConfigField::Kind::count, "pad_bottom", str(l.pad_bottom), ""},
                                 {ConfigField::Kind::count, "pad_left", str(l.pad_left), ""},
                                 {ConfigField::Kind::count, "pad_right", str(l.pad_right), ""}});
  const Bundle win = contiguous_bundle(a, {}, s);
  call("sdhls::sliding_window", sw, {{"s", s}}, {stream(in, "s"), stream(win, "s"), Operand{"batch", {}}}, name(v));
  const Bundle out = alloc_output(v, s, out_t);
  const std::string pc = config(
      n + "_pool", "sdhls::pool", name(v),
      {{ConfigField::Kind::type, "data_t", in.type, ""},
       {ConfigField::Kind::type, "out_t", out_t, ""},
       {ConfigField::Kind::count, "kernel_rows", str(l.kernel_rows), ""},
       {ConfigField::Kind::count, "kernel_cols", str(l.kernel_cols), ""},
       {ConfigField::Kind::count, "count", str(std::int64_t{l.rows_out()} * l.cols_out() * (l.channels / s)), ""},
       {ConfigField::Kind::constant, "op", l.pool_type == hw::PoolType::max ? "sdhls::pool_max" : "sdhls::pool_avg",
        "sdhls::pool_op"}});
  call("sdhls::pool", pc, {{"s", s}}, {stream(win, "s"), stream(out, "s"), Operand{"batch", {}}}, name(v));
}

void Lowering::lower_global_pool(int v) {
  const hw::HwLayer& l = layer(v);
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  const Bundle in = deliver(v, 0, false, 2);
  const std::string out_t = type(n + "_data_t", fixed_type(eng_.output_format(vertex(v)), true), name(v) + " output");
  const Bundle out = alloc_output(v, s, out_t);
  const std::string cfg = config(
      n + "_pool", "sdhls::global_pool", name(v),
      {{ConfigField::Kind::type, "data_t", in.type, ""},
       {ConfigField::Kind::type, "out_t", out_t, ""},
       {ConfigField::Kind::count, "rows", str(l.rows), ""},
       {ConfigField::Kind::count, "cols", str(l.cols), ""},
       {ConfigField::Kind::count, "channels", str(l.channels / s), ""},
       {ConfigField::Kind::constant, "op", l.pool_type == hw::PoolType::max ? "sdhls::pool_max" : "sdhls::pool_avg",
        "sdhls::pool_op"}});
  call("sdhls::global_pool", cfg, {{"s", s}}, {stream(in, "s"), stream(out, "s"), Operand{"batch", {}}}, name(v));
}

void Lowering::lower_relu(int v) {
  const hw::HwLayer& l = layer(v);
  const ir::Layer& il = graph_.layer(vertex(v));
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  const Bundle in = deliver(v, 0, false, 2);
  const Bundle out = alloc_output(v, s, in.type);
  std::vector<ConfigField> fields = {{ConfigField::Kind::type, "data_t", in.type, ""},
                                     {ConfigField::Kind::count, "count", str(l.workload_in() / s), ""}};
  const bool thresholded = il.threshold != 0.0f;
  if (thresholded) fields.push_back({ConfigField::Kind::real, "threshold", real_literal(double(il.threshold)), ""});
  const std::string module = thresholded ? "sdhls::threshold_relu" : "sdhls::relu";
  const std::string cfg = config(n + "_relu", module, name(v), std::move(fields));
  call(module, cfg, {{"s", s}}, {stream(in, "s"), stream(out, "s"), Operand{"batch", {}}}, name(v));
}

void Lowering::lower_eltwise(int v) {
  const hw::HwLayer& l = layer(v);
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  if (l.ports_in != 2) fail(v, "EltWise with " + str(l.ports_in) + " inputs; the HLS module adds two (v1)");
  std::vector<Bundle> in;
  for (int port = 0; port < 2; ++port) {
    int depth = 2;
    for (int e : net_.in_edges[static_cast<std::size_t>(v)])
      if (net_.edges[static_cast<std::size_t>(e)].port == port) depth = consumer_depth(e);
    in.push_back(deliver(v, port, false, depth));
  }
  const std::string out_t = type(n + "_data_t", fixed_type(eng_.output_format(vertex(v)), true), name(v) + " output");
  const Bundle out = alloc_output(v, s, out_t);
  const std::string cfg = config(n + "_add", "sdhls::eltwise", name(v),
                                 {{ConfigField::Kind::type, "in0_t", in[0].type, ""},
                                  {ConfigField::Kind::type, "in1_t", in[1].type, ""},
                                  {ConfigField::Kind::type, "out_t", out_t, ""},
                                  {ConfigField::Kind::count, "count", str(l.workload_in() / s), ""},
                                  {ConfigField::Kind::constant, "op", "sdhls::eltwise_add", "sdhls::eltwise_op"}});
  call("sdhls::eltwise", cfg, {{"s", s}},
       {stream(in[0], "s"), stream(in[1], "s"), stream(out, "s"), Operand{"batch", {}}}, name(v));
}

void Lowering::lower_concat(int v) {
  const hw::HwLayer& l = layer(v);
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  const FixedFormat out_fmt = eng_.output_format(vertex(v));
  int depth = 2;
  for (int e : net_.in_edges[static_cast<std::size_t>(v)]) depth = std::max(depth, consumer_depth(e));
  const std::string out_t = type(n + "_data_t", fixed_type(out_fmt, true), name(v) + " output");
  // The concat reads in[s][p]: every port is relayed into one [S][P] array (one depth: the largest).
  const int a = array(n + "_in", out_t, {s, l.ports_in}, depth, name(v) + " inputs [stream][port]");
  std::string channels_fn;
  for (int port = 0; port < l.ports_in; ++port) {
    if (!(eng_.output_format(source_vertex(v, port)) == out_fmt))
      fail(v, "Concat input " + str(port) + " has another number format than the output; the HLS concat does not cast");
    const Bundle b = deliver(v, port, false, 2);
    const std::int64_t words = std::int64_t{l.rows} * l.cols * l.port_channels[static_cast<std::size_t>(port)];
    const std::string cfg = config(n + "_relay" + str(port), "sdhls::relay", name(v),
                                   {{ConfigField::Kind::type, "data_t", b.type, ""},
                                    {ConfigField::Kind::count, "count", str(words / s), ""}});
    call("sdhls::relay", cfg, {{"s", s}}, {stream(b, "s"), ref(a, {Index::loop("s"), Index::at(port)}), Operand{"batch", {}}},
         name(v));
    channels_fn += "p == " + str(port) + " ? " + str(l.port_channels[static_cast<std::size_t>(port)] / s) + " : ";
  }
  channels_fn += "0";
  const Bundle out = alloc_output(v, s, out_t);
  const std::string cfg = config(n + "_concat", "sdhls::concat", name(v),
                                 {{ConfigField::Kind::type, "data_t", out_t, ""},
                                  {ConfigField::Kind::count, "ports", str(l.ports_in), ""},
                                  {ConfigField::Kind::count, "pixels", str(std::int64_t{l.rows} * l.cols), ""},
                                  {ConfigField::Kind::function, "channels", channels_fn, ""}});
  call("sdhls::concat", cfg, {{"s", s}}, {ref(a, {Index::loop("s")}), stream(out, "s"), Operand{"batch", {}}}, name(v));
}

void Lowering::lower_split(int v) {
  const hw::HwLayer& l = layer(v);
  const std::string& n = id(v);
  const int s = l.folding.coarse_in;
  const Bundle in = deliver(v, 0, false, 2);
  const auto& outs = net_.out_edges[static_cast<std::size_t>(v)];
  const int ports = std::max<int>(1, static_cast<int>(outs.size()));
  const int a = array(n + "_out", in.type, {s, ports}, 2, name(v) + " outputs [stream][port]");
  for (int k = 0; k < static_cast<int>(outs.size()); ++k) {
    Bundle b = contiguous_bundle(a, {}, s);
    b.suffix = {k};
    produced_[outs[static_cast<std::size_t>(k)]] = b;
  }
  const std::string cfg = config(n + "_split", "sdhls::split", name(v),
                                 {{ConfigField::Kind::type, "data_t", in.type, ""},
                                  {ConfigField::Kind::count, "outputs", str(ports), ""},
                                  {ConfigField::Kind::count, "count", str(l.workload_in() / s), ""}});
  call("sdhls::split", cfg, {{"s", s}}, {stream(in, "s"), ref(a, {Index::loop("s")}), Operand{"batch", {}}}, name(v));
}

void Lowering::summarise(int v, std::vector<std::string> configs) {
  const hw::HwLayer& l = layer(v);
  LayerSummary s;
  s.name = name(v);
  s.id = id(v);
  s.kind = hw::to_string(l.kind);
  s.folding = l.folding;
  s.sparse = hw::is_sparse(l.kind);
  if (permutation_.count(v) && s.sparse) s.permutation = permutation_.at(v);
  s.configs = std::move(configs);
  const ir::Vertex x = vertex(v);
  s.formats = json::object();
  s.formats["data"] = format_json(eng_.output_format(x));
  if (hw::is_weighted(l.kind)) {
    s.formats["weights"] = format_json(eng_.weight_format(x));
    s.formats["accumulator"] = format_json(eng_.accumulator_format(x).format);
  }
  s.predicted = d_.layer_metrics.at(static_cast<std::size_t>(v));
  out_.layers.push_back(std::move(s));
}

HlsPartition Lowering::run() {
  const int p = out_.index;
  if (part_.wr_factor > 1) {
    if (part_.wr_layer < 0) throw InputError("design partition " + str(p), "weights reloading without a layer");
    out_.wr = part_.wr_factor;
    out_.wr_layer = name(part_.wr_layer);
  }
  ev_.set_partitions(d_.partitions);
  ev_.evaluate(d_.partitions);
  model_ = &ev_.partition_model(p);
  squeezes_ = model_->squeezes();

  out_.name = "p" + str(p);
  out_.kernel = out_.name + "_kernel";
  out_.model = d_.model;
  out_.platform_name = d_.platform.name;
  out_.platform_part = d_.platform.part;
  out_.clock_mhz = d_.platform.clock_mhz;
  out_.batch_size = d_.batch_size;
  out_.predicted = d_.partition_metrics.at(static_cast<std::size_t>(p));

  // Reserve the fixed names of the generated files, then legalise the layer names (hls.md §2).
  scope_ = NameScope({out_.name, out_.kernel, out_.name + "_dataflow", out_.name + "_load_weights", "s", "i", "o"});
  std::vector<std::string> names;
  for (int v : part_.nodes) names.push_back(name(v));
  ids_ = legalise_names(names, scope_);

  for (int v : part_.nodes)
    if (!graph_.contains(name(v)))
      throw InputError("design partition " + str(p), "layer '" + name(v) + "' is not in the model");

  // The single input port and output node (partitions are single-edge cuts, model.md §2.4).
  for (int v : part_.nodes) {
    for (int port = 0; port < layer(v).ports_in; ++port) {
      bool internal = false;
      for (int e : net_.in_edges[static_cast<std::size_t>(v)])
        if (net_.edges[static_cast<std::size_t>(e)].port == port && inside(net_.edges[static_cast<std::size_t>(e)].from))
          internal = true;
      if (internal) continue;
      if (input_node_ >= 0)
        throw InputError("design partition " + str(p), "has several inputs ('" + name(input_node_) + "', '" + name(v) +
                                                           "'); the HLS kernel has one input port");
      input_node_ = v;
      input_port_ = port;
    }
    bool leaves = net_.out_edges[static_cast<std::size_t>(v)].empty();
    for (int e : net_.out_edges[static_cast<std::size_t>(v)])
      if (!inside(net_.edges[static_cast<std::size_t>(e)].to)) leaves = true;
    if (leaves) {
      if (output_node_ >= 0)
        throw InputError("design partition " + str(p), "has several outputs ('" + name(output_node_) + "', '" +
                                                           name(v) + "'); the HLS kernel has one output port");
      output_node_ = v;
    }
  }
  if (input_node_ < 0 || output_node_ < 0) throw InputError("design partition " + str(p), "has no input or output");

  // Ports (hls.md §3.3) and mem_read.
  const ir::Vertex src = source_vertex(input_node_, input_port_);
  out_.input.layer = graph_.layer(src).name;
  out_.input.format = eng_.output_format(src);
  out_.input.shape = graph_.layer(src).output_shape;
  out_.input.type = type("port_in_t", fixed_type(out_.input.format, true), "partition input (" + out_.input.layer + ")");
  const hw::HwLayer& first = layer(input_node_);
  out_.input.streams = first.streams_in();
  const hw::SqueezeSite* in_squeeze = nullptr;
  const hw::SqueezeSite* out_squeeze = nullptr;
  for (const hw::SqueezeSite& s : squeezes_) {
    if (s.where == hw::SqueezeSite::Where::input && s.node == input_node_ && s.port == input_port_) in_squeeze = &s;
    if (s.where == hw::SqueezeSite::Where::output && s.node == output_node_) out_squeeze = &s;
  }
  if (in_squeeze) out_.input.streams = in_squeeze->coarse_in;
  if (out_.input.streams > 512 / out_.input.format.width || out_.input.words() % out_.input.streams != 0)
    throw InputError("design partition " + str(p), "input port with " + str(out_.input.streams) + " streams");
  {
    const int a = array("port_in", out_.input.type, {out_.input.streams}, 256, "mem_read outputs (hls.md §7: 256)");
    const std::string cfg = config("mem_read", "sdhls::mem_read", "input",
                                   {{ConfigField::Kind::type, "data_t", out_.input.type, ""},
                                    {ConfigField::Kind::count, "streams", str(out_.input.streams), ""},
                                    {ConfigField::Kind::count, "words", str(out_.input.words()), ""}});
    input_bundle_ = contiguous_bundle(a, {}, out_.input.streams);
    call("sdhls::mem_read", cfg, {}, {Operand{"in", {}}, whole(input_bundle_), Operand{"batch", {}}}, "input");
    if (in_squeeze) {
      const std::string base = legal_identifier("input_squeeze_" + name(input_node_));
      input_bundle_ = squeeze(input_bundle_, in_squeeze->coarse_out, out_.input.words(), 2, base,
                              "squeeze input -> " + name(input_node_));
    }
  }

  plan_permutations();

  for (int v : part_.nodes) {
    const std::size_t before = out_.configs.size();
    switch (layer(v).kind) {
      case LayerKind::convolution:
      case LayerKind::convolution_sparse:
      case LayerKind::convolution_pointwise_sparse:
      case LayerKind::inner_product:
      case LayerKind::inner_product_sparse: lower_weighted(v); break;
      case LayerKind::pooling: lower_pool(v); break;
      case LayerKind::global_pooling: lower_global_pool(v); break;
      case LayerKind::relu:
      case LayerKind::thresholded_relu: lower_relu(v); break;
      case LayerKind::eltwise: lower_eltwise(v); break;
      case LayerKind::concat: lower_concat(v); break;
      case LayerKind::split: lower_split(v); break;
      case LayerKind::squeeze: fail(v, "a Squeeze layer in the design's layer list");
    }
    std::vector<std::string> cfgs;
    for (std::size_t k = before; k < out_.configs.size(); ++k) cfgs.push_back(out_.configs[k].name);
    summarise(v, std::move(cfgs));
    const hw::HwLayer& l = layer(v);
    if (l.stream_weights > 0 || l.stream_inputs != 0 || l.stream_outputs)
      out_.notes.push_back(name(v) + ": off-chip streaming of weights / buffers in the design is not realised; "
                                     "everything stays on chip");
  }
  // Output port and mem_write.
  const ir::Vertex sink = vertex(output_node_);
  out_.output.layer = name(output_node_);
  out_.output.format = eng_.output_format(sink);
  out_.output.shape = graph_.layer(sink).output_shape;
  if (out_.output.shape.channels % out_.wr != 0)
    fail(output_node_, "output channels not divisible by the weights-reloading factor");
  out_.output.shape.channels /= out_.wr;  // one pass of weights reloading
  out_.output.type = type("port_out_t", fixed_type(out_.output.format, true), "partition output (" + out_.output.layer + ")");
  if (!node_out_.count(output_node_)) fail(output_node_, "a Split cannot be the last layer of a partition");
  Bundle result = node_out_.at(output_node_);
  const std::int64_t words = out_.output.words();
  if (out_squeeze) {
    const std::string base = legal_identifier(name(output_node_) + "_squeeze_output");
    result = squeeze(result, out_squeeze->coarse_out, words, 2, base, "squeeze " + name(output_node_) + " -> output");
  }
  out_.output.streams = result.streams;
  if (out_.output.streams > 512 / out_.output.format.width || words % out_.output.streams != 0)
    throw InputError("design partition " + str(p), "output port with " + str(out_.output.streams) + " streams");
  const std::string cfg = config("mem_write", "sdhls::mem_write", "output",
                                 {{ConfigField::Kind::type, "data_t", out_.output.type, ""},
                                  {ConfigField::Kind::count, "streams", str(out_.output.streams), ""},
                                  {ConfigField::Kind::count, "words", str(words), ""}});
  call("sdhls::mem_write", cfg, {}, {whole(result), Operand{"out", {}}, Operand{"batch", {}}}, "output");

  for (const hw::SqueezeSite& s : squeezes_) {
    json j{{"coarse_in", s.coarse_in}, {"coarse_out", s.coarse_out}};
    if (s.where == hw::SqueezeSite::Where::edge) {
      j["from"] = name(net_.edges[static_cast<std::size_t>(s.edge)].from);
      j["to"] = name(net_.edges[static_cast<std::size_t>(s.edge)].to);
    } else if (s.where == hw::SqueezeSite::Where::input) {
      j["from"] = "input";
      j["to"] = name(s.node);
    } else {
      j["from"] = name(s.node);
      j["to"] = "output";
    }
    out_.squeezes.push_back(j);
  }
  return std::move(out_);
}

}  // namespace

HlsPartition lower_partition(const dse::Design& design, int p, const ir::Graph& graph, const engine::Engine& engine,
                             const LowerOptions& options) {
  if (p < 0 || p >= static_cast<int>(design.partitions.size()))
    throw InputError("design", "no partition " + std::to_string(p));
  return Lowering(design, p, graph, engine, options).run();
}

}  // namespace sparsedse::hwgen
