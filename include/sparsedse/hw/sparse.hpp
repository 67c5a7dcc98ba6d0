#pragma once
// Sparsity statistics of a sparse layer's input, precomputed for fast re-evaluation (model.md §5).
// Every quantity the sparse latency needs (slowest-stream expected cycles per window, the accum's
// skip rate, the PASS-era least-sparse stream) is tabulated once for every feasible stream count
// (the divisors of C) and every fine in 1..K², so changing the folding is a table look-up.
#include <memory>
#include <string>
#include <vector>

#include "sparsedse/hw/options.hpp"

namespace sparsedse::hw {

class SparseProfile {
 public:
  // histogram[c][z]: fraction of the windows of input channel c with exactly z zeros, z = 0..K²
  // (§5.1). Rows must be non-negative and sum to 1 (±1e-3). Throws InputError naming `where`.
  static std::shared_ptr<const SparseProfile> from_histogram(std::vector<std::vector<double>> histogram,
                                                             int kernel_size, const std::string& where);
  // Per-channel mean zero fractions only (PASS-era statistic and the pointwise cluster model): each
  // channel becomes a K² = 1 histogram {1 − s_c, s_c}.
  static std::shared_ptr<const SparseProfile> from_channel_sparsity(const std::vector<double>& sparsity,
                                                                    const std::string& where);

  int channels() const { return channels_; }
  int kernel_size() const { return kernel_size_; }  // K²
  const std::vector<std::vector<double>>& histogram() const { return histogram_; }
  const std::vector<double>& channel_sparsity() const { return channel_sparsity_; }  // Σ_z h[z]·z/K²
  double mean_sparsity() const { return mean_sparsity_; }                            // mean over channels

  // cycles(z) of §5.2 and E_c = Σ_z h[z]·cycles(z).
  static int window_cycles(int zeros, int kernel_size, int fine, bool skip);
  double channel_cycles(int channel, int fine, bool skip) const;

  // Table look-ups; `streams` must divide C and 1 ≤ fine ≤ K².
  double max_stream_cycles(int streams, int fine, bool skip, Interleaving il) const;  // max_s E_s (§5.3–5.5)
  double accum_rate(int streams, int fine, bool skip, Interleaving il) const;         // min_s 1/(1 − h_s[K²]) (§5.6)
  double min_stream_sparsity(int streams, Interleaving il) const;                     // PASS: min_s s_stream (§5.8)
  // Whether interleaving(streams, fine, skip, il) puts some channel on another stream than the natural
  // order (channel c on stream c mod S); only then is a permutation realised (hls.md §3.4).
  bool moves_streams(int streams, int fine, bool skip, Interleaving il) const {
    return moves_streams_[slot(streams, fine, skip, il)] != 0;
  }

  // Channel permutation (§5.4): position p of the permuted tensor holds channel perm[p] and goes to
  // stream p mod S_in. Sorted by descending E_c (stable, ties by channel index), laid out row-major
  // with every odd row reversed. `naive` is the identity.
  std::vector<int> interleaving(int streams, int fine, bool skip, Interleaving il) const;
  // The same on the PASS statistic (ascending s_c).
  std::vector<int> sparsity_interleaving(int streams, Interleaving il) const;

 private:
  SparseProfile() = default;
  void tabulate();
  std::size_t slot(int streams, int fine, bool skip, Interleaving il) const;

  int channels_ = 0;
  int kernel_size_ = 1;
  std::vector<std::vector<double>> histogram_;
  std::vector<double> channel_sparsity_;
  double mean_sparsity_ = 0.0;

  std::vector<int> divisor_slot_;  // streams -> index into the divisors of C, or -1
  int divisors_ = 0;
  std::vector<double> max_cycles_;   // [divisor][fine-1][skip][interleaving]
  std::vector<double> accum_rate_;   // same layout
  std::vector<double> min_sparsity_; // [divisor][interleaving]
  std::vector<char> moves_streams_;  // same layout as max_cycles_
};

}  // namespace sparsedse::hw
