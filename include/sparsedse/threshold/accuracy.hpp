#pragma once
// What a top-1 drop measured on a finite image set is worth. Thresholds and thresholds 0 are measured on
// the same images, so the drop is paired: only the images that change class count (McNemar). Its standard
// error says whether a set of images can resolve the budget: with 1 000 images a 1-point drop is
// uncertain by about ±0.3–0.4 point (docs/results.md, session 16), which the test set then shows.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sparsedse::threshold {

// Per image, in image order: 1 if its label is the arg-max logit, else 0.
using TopOneHits = std::vector<std::uint8_t>;

struct PairedDrop {
  std::int64_t images = 0;
  std::int64_t worse = 0;   // right at thresholds 0, wrong at the thresholds
  std::int64_t better = 0;  // wrong at thresholds 0, right at the thresholds
  // Top-1 points lost: 100 · (worse − better) / images.
  double points() const;
  // One standard error of points(): 100 · s / √images, s² the sample variance of the per-image change
  // (−1, 0 or +1). 0 when nothing changes or fewer than two images.
  double standard_error() const;
  bool operator==(const PairedDrop&) const = default;
};

// The drop from `zero` (thresholds 0) to `now`, the same images in the same order. Sizes must agree.
PairedDrop paired_drop(const TopOneHits& zero, const TopOneHits& now);

// The top-1 change in points ± one standard error: "−1.08 ± 0.16" for a loss, "+0.20 ± 0.10" for a gain.
std::string to_string(const PairedDrop& drop);

// {"points", "standard_error", "images", "worse", "better"} (summary.json and the checkpoint).
nlohmann::json to_json(const PairedDrop& drop);

}  // namespace sparsedse::threshold
