#pragma once
// Emitters: print an HlsPartition as the files of its project (hls.md §2). Each emitter is a pure
// function of the partition, so emission is deterministic (byte-identical for the same inputs).
#include <string>
#include <vector>

#include "sparsedse/hwgen/hls_partition.hpp"

namespace sparsedse::hwgen {

struct EmittedFile {
  enum class Kind { synthesizable, testbench, script, data, doc };
  std::string path;  // relative to the project root (out/<net>/)
  std::string content;
  Kind kind = Kind::doc;
};

struct EmitOptions {
  std::string generator = "sparsedse";                             // named in every file header
  std::string link_platform = "xilinx_u250_gen3x16_xdma_4_1_202210_1";  // v++ --platform (hls.md §10.2)
};

// The synthesizable sources of one partition (p<i>/include/*, p<i>/src/*).
std::string emit_types(const HlsPartition& p, const EmitOptions& o);
std::string emit_config(const HlsPartition& p, const EmitOptions& o);
std::string emit_weights(const HlsPartition& p, const EmitOptions& o);
std::string emit_top(const HlsPartition& p, const EmitOptions& o);
// The C-simulation testbench (tb/p<i>_tb.cpp).
std::string emit_testbench(const HlsPartition& p, const EmitOptions& o);

// Every text file of one partition's project: sources, testbench, Makefile, Vitis scripts, v++ link
// configuration and README (manifest and data files are written by the project builder).
std::vector<EmittedFile> emit_partition(const HlsPartition& p, const EmitOptions& o);

// An exact decimal literal of raw·2^-frac (every dyadic rational has one), e.g. -1.27734375.
std::string exact_decimal(std::int64_t raw, int frac);

}  // namespace sparsedse::hwgen
