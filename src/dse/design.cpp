// Designs: evaluation, fixed-design re-evaluation (model.md §8.4) and the design file (§7.8).
#include "sparsedse/dse/design.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "profiles.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/common/json_fields.hpp"
#include "sparsedse/hw/sparse.hpp"
#include "sparsedse/ir/graph.hpp"

namespace sparsedse::dse {

using nlohmann::json;

double objective_cost(const hw::NetworkMetrics& m, Objective objective) {
  return objective == Objective::throughput ? -m.throughput : m.latency_s;
}

double Design::cost() const { return objective_cost(metrics, objective); }

void evaluate(Design& d) {
  for (hw::Partition& p : d.partitions) p.batch_size = d.batch_size;
  hw::Evaluator ev(d.network, d.platform, d.options);
  ev.set_partitions(d.partitions);
  d.metrics = ev.evaluate(d.partitions);
  d.layer_metrics = ev.layers();
  d.partition_metrics = ev.partition_metrics();
}

Design evaluate(const Design& fixed, const StatsMap& stats) {
  Design d = fixed;
  for (int v = 0; v < d.network.size(); ++v) {
    hw::HwLayer& l = d.network.layers[v];
    if (!hw::is_sparse(l.kind)) continue;  // dense layers stay dense
    const std::string& name = d.network.names[v];
    auto it = stats.find(name);
    if (it == stats.end())
      throw InputError("layer '" + name + "'", "is sparse in the design but the statistics have no entry for it");
    l.sparsity = profile_for(l, it->second, "layer '" + name + "'");
  }
  evaluate(d);
  // Faster layers ask for more off-chip bandwidth than the fixed design was built for: the hardware
  // then stalls on memory: the partition slows down until its traffic just fits (§7.5 without its
  // 1 % margin, so that more zeros never make a fixed design slower).
  const double bw_max = d.options.rsc_allocation * d.platform.memory_bandwidth_gbps;
  bool slowed = false;
  for (std::size_t p = 0; p < d.partitions.size(); ++p) {
    const double bw = d.partition_metrics[p].bandwidth.total();
    if (bw > bw_max) {
      d.partitions[p].slow_down_factor *= bw / bw_max * (1.0 + 1e-12);  // + rounding slack
      slowed = true;
    }
  }
  if (slowed) evaluate(d);
  return d;
}

Design evaluate(const Design& fixed, const ir::Graph& graph) {
  StatsMap stats;
  for (ir::Vertex v = 0; v < graph.size(); ++v) {
    const ir::Layer& l = graph.layer(v);
    if (l.sparsity) stats.emplace(l.name, *l.sparsity);
  }
  return evaluate(fixed, stats);
}

// ---------------------------------------------------------------------------------------------------
// Design file

namespace {

constexpr int kFormatVersion = 1;

constexpr hw::LayerKind kKinds[] = {
    hw::LayerKind::convolution, hw::LayerKind::convolution_sparse, hw::LayerKind::convolution_pointwise_sparse,
    hw::LayerKind::inner_product, hw::LayerKind::inner_product_sparse, hw::LayerKind::pooling,
    hw::LayerKind::global_pooling, hw::LayerKind::relu, hw::LayerKind::thresholded_relu,
    hw::LayerKind::eltwise, hw::LayerKind::concat, hw::LayerKind::split};

json resources_json(const hw::Resources& r) {
  return json{{"LUT", r.lut}, {"FF", r.ff}, {"DSP", r.dsp}, {"BRAM", r.bram}, {"URAM", r.uram}};
}

json utilisation_json(const hw::Utilisation& u) {
  return json{{"LUT", u.lut}, {"FF", u.ff}, {"DSP", u.dsp}, {"BRAM", u.bram}, {"URAM", u.uram},
              {"bandwidth", u.bandwidth}};
}

std::string node_name(const hw::Network& net, int v) { return v >= 0 ? net.names[v] : std::string("squeeze"); }

// Squeeze layers are named `<a>_squeeze_<b>` (model.md §2.2); partition ports use "input" / "output".
json squeeze_json(const hw::Network& net, const hw::SqueezeSite& s, const hw::ModelOptions& o) {
  std::string from, to;
  switch (s.where) {
    case hw::SqueezeSite::Where::edge:
      from = net.names[net.edges[s.edge].from];
      to = net.names[net.edges[s.edge].to];
      break;
    case hw::SqueezeSite::Where::input:
      from = "input";
      to = net.names[s.node];
      break;
    case hw::SqueezeSite::Where::output:
      from = net.names[s.node];
      to = "output";
      break;
  }
  const hw::LayerMetrics m = hw::evaluate_layer(s.layer, o);
  json j{{"name", from + "_squeeze_" + to},
         {"from", from},
         {"to", to},
         {"coarse_in", s.coarse_in},
         {"coarse_out", s.coarse_out},
         {"rows", s.layer.rows},
         {"cols", s.layer.cols},
         {"channels", s.layer.channels},
         {"latency", m.latency},
         {"resources", resources_json(m.resources)}};
  if (s.where == hw::SqueezeSite::Where::input) j["port"] = s.port;
  return j;
}

json layer_json(const hw::Network& original, int v, const hw::LayerMetrics& m) {
  const hw::HwLayer& l = original.layers[v];
  json inputs = json::array();
  for (int port = 0; port < l.ports_in; ++port) inputs.push_back(nullptr);
  for (int e : original.in_edges[v]) inputs[original.edges[e].port] = original.names[original.edges[e].from];
  json j{{"name", original.names[v]},
         {"type", hw::to_string(l.kind)},
         {"inputs", inputs},
         {"rows", l.rows},
         {"cols", l.cols},
         {"channels", l.channels},
         {"filters", l.filters},
         {"kernel", {l.kernel_rows, l.kernel_cols}},
         {"stride", {l.stride_rows, l.stride_cols}},
         {"pad", {l.pad_top, l.pad_right, l.pad_bottom, l.pad_left}},
         {"groups", l.groups},
         {"has_bias", l.has_bias},
         {"pool_type", l.pool_type == hw::PoolType::max ? "max" : "avg"},
         {"ports_in", l.ports_in},
         {"ports_out", l.ports_out},
         {"coarse_in", l.folding.coarse_in},
         {"coarse_out", l.folding.coarse_out},
         {"coarse_group", l.folding.coarse_group},
         {"fine", l.folding.fine},
         {"data_width", l.data_width},
         {"weight_width", l.weight_width},
         {"acc_width", l.acc_width},
         {"skip_all_zero_window", l.skip_all_zero_window},
         {"use_uram", l.use_uram},
         {"double_buffered", l.double_buffered},
         {"stream_weights", l.stream_weights},
         {"stream_inputs", l.stream_inputs},
         {"stream_outputs", l.stream_outputs},
         {"threshold", l.threshold},
         // Evaluated (ignored when read back).
         {"latency", m.latency},
         {"pipeline_depth", m.pipeline_depth},
         {"streams_in", m.streams_in},
         {"streams_out", m.streams_out},
         {"resources", resources_json(m.resources)}};
  if (l.kind == hw::LayerKind::eltwise || l.kind == hw::LayerKind::concat)
    j["port_channels"] = std::vector<int>(l.port_channels.begin(), l.port_channels.begin() + l.ports_in);
  if (l.sparsity) j["sparsity"] = {{"mean", l.sparsity->mean_sparsity()}, {"histogram", l.sparsity->histogram()}};
  return j;
}

hw::LayerKind parse_kind(const JsonFields& f) {
  const std::string name = f.string("type");
  for (hw::LayerKind k : kKinds)
    if (name == hw::to_string(k)) return k;
  std::vector<std::string> names;
  for (hw::LayerKind k : kKinds) names.emplace_back(hw::to_string(k));
  const std::string hint = closest_match(name, names);
  f.fail("type", "a hardware layer kind such as \"Convolution\", got \"" + name + "\"" +
                     (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
}

std::pair<int, int> int_pair(const JsonFields& f, const std::string& key) {
  std::vector<int> v = f.integers(key);
  if (v.size() != 2) f.fail(key, "two integers");
  return {v[0], v[1]};
}

int positive_int(const JsonFields& f, const std::string& key, int fallback) {
  return static_cast<int>(f.integer_at_least(key, 1, fallback));
}

hw::HwLayer parse_layer(const JsonFields& f) {
  f.allow_only({"name", "type", "inputs", "rows", "cols", "channels", "filters", "kernel", "stride", "pad", "groups",
                "has_bias", "pool_type", "ports_in", "ports_out", "port_channels", "coarse_in", "coarse_out",
                "coarse_group", "fine", "data_width", "weight_width", "acc_width", "skip_all_zero_window", "use_uram",
                "double_buffered", "stream_weights", "stream_inputs", "stream_outputs", "threshold", "sparsity",
                "latency", "pipeline_depth", "streams_in", "streams_out", "resources", "buffer_depth"});
  hw::HwLayer l;
  l.kind = parse_kind(f);
  l.rows = positive_int(f, "rows", 1);
  l.cols = positive_int(f, "cols", 1);
  l.channels = positive_int(f, "channels", 1);
  l.filters = static_cast<int>(f.integer_at_least("filters", 0, 0));
  if (hw::is_weighted(l.kind) && l.filters < 1) f.fail("filters", "a filter count >= 1");
  if (f.has("kernel")) std::tie(l.kernel_rows, l.kernel_cols) = int_pair(f, "kernel");
  if (f.has("stride")) std::tie(l.stride_rows, l.stride_cols) = int_pair(f, "stride");
  if (l.kernel_rows < 1 || l.kernel_cols < 1) f.fail("kernel", "positive kernel sizes");
  if (l.stride_rows < 1 || l.stride_cols < 1) f.fail("stride", "positive strides");
  if (f.has("pad")) {
    std::vector<int> p = f.integers("pad");
    if (p.size() != 4 || std::any_of(p.begin(), p.end(), [](int x) { return x < 0; }))
      f.fail("pad", "four non-negative pads [top, right, bottom, left]");
    l.pad_top = p[0];
    l.pad_right = p[1];
    l.pad_bottom = p[2];
    l.pad_left = p[3];
  }
  l.groups = positive_int(f, "groups", 1);
  l.has_bias = f.boolean("has_bias", false);
  l.pool_type = f.choice("pool_type", {"max", "avg"}, "max") == "max" ? hw::PoolType::max : hw::PoolType::avg;
  l.ports_in = positive_int(f, "ports_in", 1);
  l.ports_out = positive_int(f, "ports_out", 1);
  if (l.ports_in > hw::kMaxPorts) f.fail("ports_in", "at most " + std::to_string(hw::kMaxPorts) + " input ports");
  if (f.has("port_channels")) {
    std::vector<int> pc = f.integers("port_channels");
    if (static_cast<int>(pc.size()) != l.ports_in || std::any_of(pc.begin(), pc.end(), [](int x) { return x < 1; }))
      f.fail("port_channels", "one positive channel count per input port");
    std::copy(pc.begin(), pc.end(), l.port_channels.begin());
  }
  l.folding.coarse_in = positive_int(f, "coarse_in", 1);
  l.folding.coarse_out = positive_int(f, "coarse_out", 1);
  l.folding.coarse_group = positive_int(f, "coarse_group", 1);
  l.folding.fine = positive_int(f, "fine", 1);
  l.data_width = positive_int(f, "data_width", 16);
  l.weight_width = positive_int(f, "weight_width", 16);
  l.acc_width = positive_int(f, "acc_width", 32);
  l.skip_all_zero_window = f.boolean("skip_all_zero_window", true);
  l.use_uram = f.boolean("use_uram", false);
  l.double_buffered = f.boolean("double_buffered", false);
  l.stream_weights = static_cast<int>(f.integer_at_least("stream_weights", 0, 0));
  const long long si = f.integer_at_least("stream_inputs", 0, 0);
  if (si >= (1LL << l.ports_in)) f.fail("stream_inputs", "a bit mask over the input ports");
  l.stream_inputs = static_cast<std::uint8_t>(si);
  l.stream_outputs = f.boolean("stream_outputs", false);
  l.threshold = static_cast<float>(f.number("threshold", 0.0));
  if (hw::is_sparse(l.kind)) {
    if (!f.has("sparsity")) f.fail("sparsity", "the window histograms of a sparse layer");
    const JsonFields s = f.object("sparsity");
    s.allow_only({"mean", "histogram"});
    const json& h = s.raw("histogram");
    if (!h.is_array()) s.fail("histogram", "a list of per-channel histograms");
    std::vector<std::vector<double>> hist;
    hist.reserve(h.size());
    for (std::size_t c = 0; c < h.size(); ++c) {
      if (!h[c].is_array()) throw InputError(s.where("histogram") + "/" + std::to_string(c), "expected a list of numbers");
      std::vector<double>& row = hist.emplace_back();
      for (const json& x : h[c]) {
        if (!x.is_number()) throw InputError(s.where("histogram") + "/" + std::to_string(c), "expected numbers");
        row.push_back(x.get<double>());
      }
    }
    ir::SparsityStats stats;
    stats.kernel_rows = hw::is_inner_product(l.kind) ? 1 : l.kernel_rows;
    stats.kernel_cols = hw::is_inner_product(l.kind) ? 1 : l.kernel_cols;
    stats.histogram = std::move(hist);
    l.sparsity = profile_for(l, stats, f.where("sparsity"));
  } else if (f.has("sparsity")) {
    f.fail("sparsity", "no histograms on a dense layer (type " + std::string(hw::to_string(l.kind)) + ")");
  }
  return l;
}

std::string folding_text(const hw::HwLayer& l) {
  char buf[64];
  if (hw::is_weighted(l.kind))
    std::snprintf(buf, sizeof buf, "%d/%d/%d/%d", l.folding.coarse_in, l.folding.coarse_out, l.folding.coarse_group,
                  l.folding.fine);
  else
    std::snprintf(buf, sizeof buf, "%d", l.folding.coarse_in);
  return buf;
}

}  // namespace

json to_json(const Design& d) {
  // Layers are written with their original shapes: undo weights reloading on a copy.
  hw::Network original = d.network;
  std::vector<hw::Partition> parts = d.partitions;
  for (hw::Partition& p : parts) hw::remove_weights_reloading(original, p);

  // Partition structures for the squeeze sites and FIFO depths.
  hw::Evaluator ev(d.network, d.platform, d.options);
  ev.set_partitions(d.partitions);
  ev.evaluate(d.partitions);

  json partitions = json::array();
  hw::Resources peak;
  int slowest = -1;
  for (std::size_t i = 0; i < d.partitions.size(); ++i) {
    const hw::Partition& p = d.partitions[i];
    const hw::PartitionMetrics& m = d.partition_metrics[i];
    const hw::PartitionModel& model = ev.partition_model(static_cast<int>(i));
    json layers = json::array();
    for (int v : p.nodes) {
      json l = layer_json(original, v, d.layer_metrics[v]);
      const hw::HwLayer& hl = d.network.layers[v];
      if (hl.kind == hw::LayerKind::eltwise || hl.kind == hw::LayerKind::concat) {
        json depth = json::array();
        for (int port = 0; port < hl.ports_in; ++port) depth.push_back(model.buffer_depth(v, port));
        l["buffer_depth"] = depth;
      }
      layers.push_back(std::move(l));
    }
    json squeezes = json::array();
    for (const hw::SqueezeSite& s : model.squeezes()) squeezes.push_back(squeeze_json(d.network, s, d.options));
    json inputs = json::array(), outputs = json::array();
    for (int v : model.input_nodes()) inputs.push_back(d.network.names[v]);
    for (int v : model.output_nodes()) outputs.push_back(d.network.names[v]);
    partitions.push_back(json{
        {"id", i},
        {"batch_size", p.batch_size},
        {"weights_reloading_factor", p.wr_factor},
        {"weights_reloading_layer", p.wr_layer >= 0 ? json(d.network.names[p.wr_layer]) : json(nullptr)},
        {"enable_wr", p.enable_wr},
        {"slow_down_factor", p.slow_down_factor},
        {"interval", m.interval},
        {"pipeline_depth", m.pipeline_depth},
        {"cycles", m.cycles},
        {"latency", m.latency_s},
        {"bottleneck", node_name(d.network, m.bottleneck)},
        {"bandwidth", {{"in", m.bandwidth.in}, {"out", m.bandwidth.out}, {"weights", m.bandwidth.weights}}},
        {"resources", resources_json(m.resources)},
        {"bram_converted_to_lut", m.bram_converted},
        {"utilisation", utilisation_json(m.utilisation)},
        {"fits", m.fits()},
        {"input_nodes", inputs},
        {"output_nodes", outputs},
        {"squeezes", squeezes},
        {"layers", layers}});
    peak.lut = std::max(peak.lut, m.resources.lut);
    peak.ff = std::max(peak.ff, m.resources.ff);
    peak.dsp = std::max(peak.dsp, m.resources.dsp);
    peak.bram = std::max(peak.bram, m.resources.bram);
    peak.uram = std::max(peak.uram, m.resources.uram);
    if (slowest < 0 || m.cycles > d.partition_metrics[slowest].cycles) slowest = static_cast<int>(i);
  }
  json doc{{"format", "sparsedse-design"},
              {"version", kFormatVersion},
              {"model", d.model},
              {"platform", hw::to_json(d.platform)},
              {"options", hw::to_json(d.options)},
              {"objective", std::string(to_string(d.objective))},
              {"batch_size", d.batch_size},
              {"latency", d.metrics.latency_s},
              {"throughput", d.metrics.throughput},
              {"cycles", d.metrics.cycles},
              {"reconfiguration", d.metrics.reconfiguration_s},
              {"feasible", d.metrics.fits},
              {"bottleneck", slowest >= 0 ? node_name(d.network, d.partition_metrics[slowest].bottleneck) : ""},
              {"resources", resources_json(peak)},  // peak over partitions (one is loaded at a time)
              {"partitions", partitions}};
  if (d.options.network_mode == hw::NetworkMode::pipelined) {  // one FPGA per partition (model.md §4.7)
    doc["ethernet"] = d.metrics.ethernet_s;
    doc["steady_throughput"] = d.metrics.steady_throughput;
  }
  return doc;
}

namespace {

// A design file lists each layer's input shape; an edge whose producer makes another shape than its
// consumer reads (a hand edit, a design of another model) would make rates meaningless, so it is refused.
void check_edge_shapes(const hw::HwLayer& from, const hw::HwLayer& to, int port, const JsonFields& lf,
                       const std::string& producer) {
  const int channels = to.channels_on_port(port);
  const std::int64_t made = from.workload_out();
  // An inner product reads its input flattened; every other layer reads the producer's rows x cols x channels.
  const bool same = hw::is_inner_product(to.kind)
                        ? made == std::int64_t{to.rows} * to.cols * channels
                        : from.rows_out() == to.rows && from.cols_out() == to.cols && from.channels_out() == channels;
  if (!same)
    throw InputError(lf.where("inputs") + "/" + std::to_string(port),
                     "producer '" + producer + "' outputs " + std::to_string(from.rows_out()) + "x" +
                         std::to_string(from.cols_out()) + "x" + std::to_string(from.channels_out()) +
                         " (rows x cols x channels) but this layer reads " + std::to_string(to.rows) + "x" +
                         std::to_string(to.cols) + "x" + std::to_string(channels) + " on that port");
}

}  // namespace

Design design_from_json(const json& doc, const std::string& where) {
  const JsonFields root(doc, where);
  root.allow_only({"format", "version", "model", "platform", "options", "objective", "batch_size", "latency",
                   "throughput", "cycles", "reconfiguration", "ethernet", "steady_throughput", "feasible", "bottleneck",
                   "resources", "partitions"});
  if (root.string("format") != "sparsedse-design") root.fail("format", "\"sparsedse-design\"");
  if (root.integer("version") != kFormatVersion) root.fail("version", std::to_string(kFormatVersion));
  Design d;
  d.model = root.string("model", "");
  d.network.name = d.model;
  d.platform = hw::parse_platform(root.raw("platform"), where + ": /platform");
  d.options = root.has("options") ? hw::parse_model_options(root.raw("options"), where + ": /options") : hw::ModelOptions{};
  d.objective = root.choice("objective", {"throughput", "latency"}, "throughput") == "throughput" ? Objective::throughput
                                                                                               : Objective::latency;
  d.batch_size = static_cast<int>(root.integer_at_least("batch_size", 1, 1));

  const json& parts = root.raw("partitions");
  if (!parts.is_array() || parts.empty()) root.fail("partitions", "a non-empty list of partitions");
  std::vector<int> wr_factors;
  std::vector<std::string> wr_layers;
  std::set<std::string> names;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const JsonFields pf(parts[i], where, "/partitions/" + std::to_string(i));
    pf.allow_only({"id", "batch_size", "weights_reloading_factor", "weights_reloading_layer", "enable_wr",
                   "slow_down_factor", "interval", "pipeline_depth", "cycles", "latency", "bottleneck", "bandwidth",
                   "resources", "bram_converted_to_lut", "utilisation", "fits", "input_nodes", "output_nodes",
                   "squeezes", "layers"});
    hw::Partition p;
    p.batch_size = d.batch_size;
    p.enable_wr = pf.boolean("enable_wr", true);
    p.slow_down_factor = pf.number("slow_down_factor", 1.0);
    if (p.slow_down_factor < 1.0) pf.fail("slow_down_factor", "a factor >= 1");
    wr_factors.push_back(static_cast<int>(pf.integer_at_least("weights_reloading_factor", 1, 1)));
    wr_layers.push_back(pf.has("weights_reloading_layer") ? pf.string("weights_reloading_layer") : "");
    const json& layers = pf.raw("layers");
    if (!layers.is_array() || layers.empty()) pf.fail("layers", "a non-empty list of layers");
    for (std::size_t k = 0; k < layers.size(); ++k) {
      const JsonFields lf(layers[k], where, pf.path() + "/layers/" + std::to_string(k));
      const std::string name = lf.string("name");
      if (!names.insert(name).second) lf.fail("name", "a unique layer name; '" + name + "' appears twice");
      const int v = d.network.add_layer(name, parse_layer(lf));
      const json& inputs = lf.raw("inputs");
      if (!inputs.is_array() || static_cast<int>(inputs.size()) != d.network.layers[v].ports_in)
        lf.fail("inputs", "one producer name (or null) per input port");
      for (std::size_t port = 0; port < inputs.size(); ++port) {
        if (inputs[port].is_null()) continue;
        if (!inputs[port].is_string()) lf.fail("inputs", "producer names or null");
        const std::string from = inputs[port].get<std::string>();
        int u = -1;
        try {
          u = d.network.index(from);
        } catch (const InputError&) {
          throw InputError(lf.where("inputs") + "/" + std::to_string(port),
                           "producer '" + from + "' must be a layer listed earlier (topological order)");
        }
        check_edge_shapes(d.network.layers[u], d.network.layers[v], static_cast<int>(port), lf, from);
        d.network.connect(u, v, static_cast<int>(port));
      }
      const hw::FoldingSpace& space = d.network.feasible[v];
      if (!hw::is_feasible(d.network.layers[v].folding, space) ||
          (!hw::is_weighted(d.network.layers[v].kind) &&
           d.network.layers[v].folding.coarse_in != d.network.layers[v].folding.coarse_out))
        throw InputError(lf.where("coarse_in"), "folding " + folding_text(d.network.layers[v]) + " (coarse_out " +
                                                    std::to_string(d.network.layers[v].folding.coarse_out) +
                                                    ") is not feasible for this layer (model.md §2.3)");
      p.nodes.push_back(v);
    }
    d.partitions.push_back(std::move(p));
  }
  // Partitions are cut only where one edge crosses (model.md §2.4, §7.3): check every boundary.
  for (std::size_t i = 0; i + 1 < d.partitions.size(); ++i) {
    const int last = d.partitions[i].nodes.back();
    int crossing = 0;
    for (const hw::HwEdge& e : d.network.edges)
      if (e.from <= last && e.to > last) ++crossing;
    if (crossing > 1)
      throw InputError(where + ": /partitions/" + std::to_string(i + 1),
                       "the cut before this partition crosses " + std::to_string(crossing) +
                           " edges (inside a branch); expected a single-edge cut");
  }
  for (std::size_t i = 0; i < d.partitions.size(); ++i) {
    hw::Partition& p = d.partitions[i];
    const std::string at = where + ": /partitions/" + std::to_string(i);
    p.wr_layer = p.enable_wr ? hw::find_wr_layer(d.network, p) : -1;
    const std::string found = p.wr_layer >= 0 ? d.network.names[p.wr_layer] : "";
    if (wr_layers[i] != found && !(wr_factors[i] == 1 && wr_layers[i].empty()))
      throw InputError(at + "/weights_reloading_layer",
                       "expected '" + found + "' (the last weighted layer before the output, model.md §4.8)");
    if (wr_factors[i] > 1) {
      if (p.wr_layer < 0)
        throw InputError(at + "/weights_reloading_factor", "this partition has no weights-reloading layer; expected 1");
      const std::vector<int> feasible = hw::feasible_weights_reloading(d.network.layers[p.wr_layer]);
      if (!std::binary_search(feasible.begin(), feasible.end(), wr_factors[i]))
        throw InputError(at + "/weights_reloading_factor",
                         "factor " + std::to_string(wr_factors[i]) + " does not divide the filters per coarse_out of '" +
                             found + "'");
    }
    hw::apply_weights_reloading(d.network, p, wr_factors[i]);
  }
  evaluate(d);
  return d;
}

Design read_design(const std::filesystem::path& path) { return design_from_json(read_json(path), path.string()); }

void write_design(const std::filesystem::path& path, const Design& design) {
  write_json_atomic(path, to_json(design), 1);
}

std::string design_table(const Design& d) {
  std::ostringstream out;
  char line[256];
  for (std::size_t i = 0; i < d.partitions.size(); ++i) {
    const hw::Partition& p = d.partitions[i];
    const hw::PartitionMetrics& m = d.partition_metrics[i];
    std::snprintf(line, sizeof line,
                  "partition %zu: %zu layers, interval %lld cycles, bottleneck %s, wr %d, %s\n", i, p.nodes.size(),
                  static_cast<long long>(m.interval), node_name(d.network, m.bottleneck).c_str(), p.wr_factor,
                  m.fits() ? "fits" : "DOES NOT FIT");
    out << line;
    std::snprintf(line, sizeof line, "  %-32s %-26s %-13s %10s %6s %6s %5s %9s\n", "layer", "type", "folding",
                  "latency", "DSP", "BRAM", "URAM", "LUT");
    out << line;
    for (int v : p.nodes) {
      const hw::HwLayer& l = d.network.layers[v];
      const hw::LayerMetrics& lm = d.layer_metrics[v];
      std::snprintf(line, sizeof line, "  %-32s %-26s %-13s %10lld %6lld %6lld %5lld %9lld\n",
                    d.network.names[v].c_str(), hw::to_string(l.kind), folding_text(l).c_str(),
                    static_cast<long long>(lm.latency), static_cast<long long>(lm.resources.dsp),
                    static_cast<long long>(lm.resources.bram), static_cast<long long>(lm.resources.uram),
                    static_cast<long long>(lm.resources.lut));
      out << line;
    }
    std::snprintf(line, sizeof line,
                  "  resources: DSP %lld (%.1f%%), BRAM %lld (%.1f%%), URAM %lld (%.1f%%), LUT %lld (%.1f%%), FF %lld "
                  "(%.1f%%); bandwidth %.1f Gbit/s; %d squeezes\n",
                  static_cast<long long>(m.resources.dsp), 100 * m.utilisation.dsp,
                  static_cast<long long>(m.resources.bram), 100 * m.utilisation.bram,
                  static_cast<long long>(m.resources.uram), 100 * m.utilisation.uram,
                  static_cast<long long>(m.resources.lut), 100 * m.utilisation.lut,
                  static_cast<long long>(m.resources.ff), 100 * m.utilisation.ff, m.bandwidth.total(), m.squeezes);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "%s on %s, batch %d: %.2f images/s, latency %.6f s (%zu partition%s, reconfiguration %.5f s)%s\n",
                d.model.c_str(), d.platform.name.c_str(), d.batch_size, d.metrics.throughput, d.metrics.latency_s,
                d.partitions.size(), d.partitions.size() == 1 ? "" : "s", d.metrics.reconfiguration_s,
                d.metrics.fits ? "" : " -- INFEASIBLE");
  out << line;
  return out.str();
}

}  // namespace sparsedse::dse
