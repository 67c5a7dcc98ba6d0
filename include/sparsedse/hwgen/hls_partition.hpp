#pragma once
// The HLS partition IR: one partition of a design as data — fixed-point types, one config struct per
// module instance, stream arrays with FIFO depths, weight ROMs and the ordered list of library calls of
// the DATAFLOW region (hls.md §2, §4, §5). The lowering pass builds it from (design, graph, engine);
// the emitters (emit.hpp) only print it. Names in it are already legal, unique C identifiers.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sparsedse/common/fixed_point.hpp"
#include "sparsedse/dse/design.hpp"
#include "sparsedse/engine/engine.hpp"

namespace sparsedse::hwgen {

// `typedef <cxx> <name>;`
struct TypeDef {
  std::string name;
  std::string cxx;
  std::string comment;
};

// One field of a config struct.
struct ConfigField {
  enum class Kind { type, count, flag, real, constant, function };
  Kind kind = Kind::count;
  std::string name;
  std::string value;  // type name, decimal count, true/false, double literal, enum constant or function body
  std::string type;   // Kind::constant: the C++ type of the constant (e.g. sdhls::pool_op)
};

struct ModuleConfig {
  std::string name;    // struct name
  std::string module;  // library function, e.g. "sdhls::vdot"
  std::string layer;   // hardware layer it belongs to (or a squeeze / relay name)
  std::vector<ConfigField> fields;
};

// hls::stream<element> name[dims...] with one FIFO depth for the whole array (hls.md §7).
struct StreamArray {
  std::string name;
  std::string element;  // element type name
  std::vector<int> dims;
  int depth = 2;
  std::string comment;
};

// An index of an operand: a loop variable or a constant.
struct Index {
  std::string var;  // empty: constant
  int value = 0;
  static Index loop(std::string v) { return Index{std::move(v), 0}; }
  static Index at(int c) { return Index{std::string(), c}; }
};

// A call argument: a name with indices (a stream, a stream sub-array, a ROM slice) or a plain scalar.
struct Operand {
  std::string name;
  std::vector<Index> index;
};

struct Loop {
  std::string var;
  int extent = 1;
};

// One library call, replicated by unrolled loops: `for (i) for (o) SDHLS_DATAFLOW(f<cfg>, args…)`.
struct Call {
  std::string function;  // "sdhls::vdot"
  std::string config;    // config struct name
  std::vector<Loop> loops;
  std::vector<Operand> args;
  std::string layer;     // for comments and the manifest
};

// A weight / bias / permutation ROM. `loaded` arrays are filled in C-simulation from weights.bin and
// carry full initialisers only under __SYNTHESIS__ (hls.md §2); others always carry their initialiser.
// `reload` arrays are RAMs written by wr_load (weights reloading, hls.md §5.2): `values` holds all
// `blocks` blocks one after the other, each in array order; they go to tb/data/wts.bin.
struct Rom {
  std::string name;
  std::string element;           // element type name
  FixedFormat format;            // raw code format of `values` (ap_uint<16> orders: {16, 0, false})
  std::vector<int> dims;
  std::vector<int> partition_dims;  // 1-based dims partitioned completely (hls.md §6 weight banking)
  std::string storage;           // BIND_STORAGE impl: bram | uram | lutram
  bool loaded = true;
  bool reload = false;
  int blocks = 1;
  std::vector<std::int64_t> values;  // row-major raw codes
  std::string layer;
  std::string comment;
  std::int64_t size() const {
    std::int64_t n = 1;
    for (int d : dims) n *= d;
    return n;
  }
};

// A partition port (hls.md §3.3): NHWC words of `shape` on `streams` streams, packed 512/width per beat.
// With weights reloading the output shape is that of one pass (channels / wr).
struct Port {
  std::string layer;       // producing layer (input: the previous partition's / "input"; output: last layer)
  std::string type;        // element type name
  FixedFormat format;
  ir::Shape shape;         // channels, rows, cols of one image
  int streams = 1;
  std::int64_t words() const { return shape.elements(); }
  std::int64_t beats() const { return (words() + (512 / format.width) - 1) / (512 / format.width); }
};

// Per-layer summary for the manifest and comments.
struct LayerSummary {
  std::string name;        // hardware layer name
  std::string id;          // legal identifier
  std::string kind;        // hw::to_string(kind)
  hw::Folding folding;
  bool sparse = false;
  std::string permutation;  // sparse input order: "natural", "folded into <layer>" or "chan_permute"
  std::vector<std::string> configs;  // config structs of its modules
  nlohmann::json formats;   // data / weight / accumulator formats
  hw::LayerMetrics predicted;
};

struct HlsPartition {
  int index = 0;
  std::string name;    // "p0"
  std::string kernel;  // "p0_kernel"
  std::string model;
  std::string platform_part;
  std::string platform_name;
  double clock_mhz = 250.0;
  int batch_size = 1;

  std::vector<TypeDef> types;
  std::vector<ModuleConfig> configs;
  std::vector<StreamArray> streams;
  std::vector<Rom> roms;
  std::vector<Call> calls;         // the DATAFLOW region (mode 0)
  std::vector<Call> reload_calls;  // wr_load calls (mode 1), empty without weights reloading

  int wr = 1;                      // weights-reloading factor (hls.md §5.2)
  std::string wr_layer;
  std::int64_t reload_weight_beats = 0;  // beats of one weight block / one bias block in wts.bin
  std::int64_t reload_bias_beats = 0;

  Port input, output;
  std::vector<LayerSummary> layers;
  nlohmann::json squeezes = nlohmann::json::array();
  hw::PartitionMetrics predicted;
  std::vector<std::string> notes;  // deviations from the design that the emitter had to make

  std::int64_t weight_words() const;  // Σ size of the loaded ROMs (weights.bin, int64 words)
};

struct LowerOptions {
  // Override every EltWise / Concat input FIFO depth (tests: 2 must deadlock). 0 = the model's depth.
  int merge_fifo_depth = 0;
};

// The lowering pass (hls.md §5): partition `p` of `design`, whose layers are the layers of `graph` with
// the same names; `engine` (fixed-point, built on `graph`) supplies formats and quantised weights.
// Throws InputError for a design the emitter cannot realise (grouped conv, several partition inputs,
// ...), naming the layer.
HlsPartition lower_partition(const dse::Design& design, int p, const ir::Graph& graph, const engine::Engine& engine,
                             const LowerOptions& options = {});

// The engine numerics of a design: data ap_fixed<W, W/2> and weights ap_fixed<W, W/2> per layer
// from its data_width / weight_width (model.md §3.3).
engine::Numerics design_numerics(const dse::Design& design, const ir::Graph& graph);

// The C++ type of a fixed-point format: ap_fixed<W, I, AP_RND, AP_SAT> for data (`data`), plain
// ap_fixed<W, I> (AP_TRN, AP_WRAP) otherwise, with AP_SAT when `saturate`.
std::string fixed_type(FixedFormat f, bool data, bool saturate = false);

}  // namespace sparsedse::hwgen
