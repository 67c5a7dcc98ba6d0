#pragma once
// Helpers shared by the markdown and HTML renderers.
#include <cstdint>
#include <string>
#include <vector>

#include "sparsedse/report/report.hpp"

namespace sparsedse::report {

std::string percent(double fraction, int decimals = 1);  // 0.123 → "12.3 %"
std::string signed_percent(double fraction);             // 0.123 → "+12.3 %"

// Headline figures of an evaluated design.
struct DesignFigures {
  double throughput = 0.0, latency_s = 0.0;
  int partitions = 0;
  bool feasible = false;
  hw::Resources peak;  // the largest use of each resource by any partition
};
DesignFigures figures(const dse::Design& design);

const NamedDesign& best_design(const RunReport& report);

// One layer of a design as the folding tables show it.
struct LayerRow {
  int partition = 0;
  std::string name, kind;
  bool sparse = false;
  hw::Folding folding;
  std::int64_t latency = 0;  // cycles per image
  hw::Resources resources;
  bool bottleneck = false;   // the slowest layer of its partition
};
std::vector<LayerRow> layer_rows(const dse::Design& design);

}  // namespace sparsedse::report
