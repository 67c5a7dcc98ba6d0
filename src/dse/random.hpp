#pragma once
// Random numbers of the optimiser: std::mt19937_64 (model.md §7.1) with draws defined here, so a
// seed gives the same sequence with every standard library.
#include <cstdint>
#include <random>

namespace sparsedse::dse {

// Uniform integer in [0, n), n ≥ 1 (Lemire's multiply-shift).
inline std::size_t uniform_index(std::mt19937_64& rng, std::size_t n) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

// Uniform double in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Seed of chain `chain` of a run seeded with `seed` (SplitMix64 finaliser): chains are independent
// and each depends only on (seed, chain), never on the thread that runs it.
inline std::uint64_t chain_seed(std::uint64_t seed, std::uint64_t chain) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (chain + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace sparsedse::dse
