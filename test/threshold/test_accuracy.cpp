#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "sparsedse/threshold/accuracy.hpp"

using namespace sparsedse::threshold;

TEST_CASE("paired top-1 drop and its standard error, by hand", "[threshold][accuracy]") {
  // Ten images: image 0 and 7 turn wrong, image 4 turns right, the rest keep their outcome.
  const TopOneHits zero = {1, 1, 1, 1, 0, 0, 1, 1, 1, 1};
  const TopOneHits now = {0, 1, 1, 1, 1, 0, 1, 0, 1, 1};
  const PairedDrop d = paired_drop(zero, now);
  CHECK(d == PairedDrop{10, 2, 1});
  CHECK(d.points() == Approx(10.0));  // 80 % → 70 % right
  // Per-image change d_i: +1, +1, −1 and seven 0s; mean 0.1; sample variance (3 − 10·0.01)/9 = 0.32222;
  // standard error √(0.32222/10) = 0.179505 → 17.95 points.
  CHECK(d.standard_error() == Approx(17.9505).epsilon(1e-5));

  CHECK(to_string(d) == "−10.00 ± 17.95");
  CHECK(to_string(paired_drop({0, 1}, {1, 1})) == "+50.00 ± 50.00");

  const nlohmann::json j = to_json(d);
  CHECK(j["worse"] == 2);
  CHECK(j["better"] == 1);
  CHECK(j["images"] == 10);
  CHECK(j["points"].get<double>() == Approx(10.0));
  CHECK(j["standard_error"].get<double>() == Approx(17.9505).epsilon(1e-5));
}

TEST_CASE("paired drop: nothing changes, everything changes, mismatched sets", "[threshold][accuracy]") {
  const TopOneHits same = {1, 0, 1};
  CHECK(paired_drop(same, same) == PairedDrop{3, 0, 0});
  CHECK(paired_drop(same, same).standard_error() == 0.0);
  // Every image flips the same way: the drop is certain, its sample variance 0.
  const PairedDrop all = paired_drop({1, 1, 1, 1}, {0, 0, 0, 0});
  CHECK(all.points() == Approx(100.0));
  CHECK(all.standard_error() == Approx(0.0).margin(1e-12));
  // A gain reads as a negative drop.
  CHECK(paired_drop({0, 0, 1, 1}, {1, 0, 1, 1}).points() == Approx(-25.0));
  CHECK(PairedDrop{}.standard_error() == 0.0);
  CHECK_THROWS_AS(paired_drop({1, 0}, {1}), std::logic_error);
}

TEST_CASE("paired drop agrees with the sample statistics of the per-image changes", "[threshold][accuracy]") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    CAPTURE(trial);
    const int n = 2 + int(rng() % 500);
    TopOneHits zero(n), now(n);
    for (int i = 0; i < n; ++i) {
      zero[i] = rng() % 10 < 9;
      now[i] = rng() % 10 < 8 ? zero[i] : std::uint8_t(1 - zero[i]);
    }
    // Two-pass reference over d_i = zero_i − now_i.
    double mean = 0;
    for (int i = 0; i < n; ++i) mean += double(zero[i]) - double(now[i]);
    mean /= n;
    double ss = 0;
    for (int i = 0; i < n; ++i) ss += std::pow(double(zero[i]) - double(now[i]) - mean, 2);
    const PairedDrop d = paired_drop(zero, now);
    CHECK(d.images == n);
    CHECK(d.points() == Approx(100 * mean));
    CHECK(d.standard_error() == Approx(100 * std::sqrt(ss / (n - 1) / n)));
  }
}
