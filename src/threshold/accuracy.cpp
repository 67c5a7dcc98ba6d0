#include "sparsedse/threshold/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace sparsedse::threshold {

double PairedDrop::points() const { return images > 0 ? 100.0 * double(worse - better) / double(images) : 0.0; }

double PairedDrop::standard_error() const {
  if (images < 2) return 0.0;
  const double n = double(images), net = double(worse - better);
  // Σd² = worse + better (each changed image contributes 1), Σd = net.
  const double variance = (double(worse + better) - net * net / n) / (n - 1.0);
  return 100.0 * std::sqrt(std::max(0.0, variance) / n);
}

PairedDrop paired_drop(const TopOneHits& zero, const TopOneHits& now) {
  if (zero.size() != now.size())
    throw std::logic_error("paired_drop: " + std::to_string(zero.size()) + " and " + std::to_string(now.size()) +
                           " images");
  PairedDrop d;
  d.images = std::int64_t(zero.size());
  for (std::size_t i = 0; i < zero.size(); ++i) {
    if (zero[i] && !now[i]) ++d.worse;
    if (!zero[i] && now[i]) ++d.better;
  }
  return d;
}

std::string to_string(const PairedDrop& drop) {
  const double change = -drop.points();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f ± %.2f", std::abs(change), drop.standard_error());
  return (change < 0 ? "−" : "+") + std::string(buf);
}

nlohmann::json to_json(const PairedDrop& drop) {
  return {{"points", drop.points()},
          {"standard_error", drop.standard_error()},
          {"images", drop.images},
          {"worse", drop.worse},
          {"better", drop.better}};
}

}  // namespace sparsedse::threshold
