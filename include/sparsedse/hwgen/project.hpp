#pragma once
// An HLS project for a whole design (hls.md §2): one partition project per design partition, the
// sdhls library and the simulation shim copied next to them, golden test data from the engine's
// fixed-point mode, manifests, a top-level Makefile and README. Every synthesizable file is linted
// (lint.hpp); emission fails on a finding. Same inputs → byte-identical files.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sparsedse/dse/design.hpp"
#include "sparsedse/engine/engine.hpp"
#include "sparsedse/hwgen/emit.hpp"
#include "sparsedse/hwgen/hls_partition.hpp"

namespace sparsedse::hwgen {

struct HlsOptions {
  EmitOptions emit;
  LowerOptions lower;
  std::filesystem::path library;  // directory holding sdhls/ and sim/; empty = hls_library_dir()
};

struct HlsProject {
  std::string model;
  std::vector<HlsPartition> partitions;
  std::vector<EmittedFile> files;  // paths relative to the output directory
};

// Build the project of `design` for the model `graph` (layers matched by name; the design's
// ReLU thresholds are applied to it). `images` (float, NCHW, the network input shape) become the
// testbench data: partition 0 reads the quantised images, partition i the engine's output of the
// layer feeding it, and each golden output is the engine's output of the partition's last layer.
HlsProject build_hls_project(const dse::Design& design, ir::Graph graph, const engine::Tensor& images,
                             const HlsOptions& options = {});

// Write every file under `dir` (atomically, creating directories).
void write_hls_project(const HlsProject& project, const std::filesystem::path& dir);

// Deterministic test images: N(0, 1) values from `seed`, `count` × shape.
engine::Tensor random_images(const ir::Shape& shape, int count, std::uint64_t seed);

// Where the sdhls library and the shim are read from: $SPARSEDSE_HLS_LIBRARY, else <source tree>/hwgen.
std::filesystem::path hls_library_dir();

// The manifest of one partition project (its files, layers, FIFOs, weights and predictions).
nlohmann::json partition_manifest(const HlsPartition& p, const std::vector<EmittedFile>& files, int images);

}  // namespace sparsedse::hwgen
