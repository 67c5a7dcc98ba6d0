// Sparse statistics tables (model.md §5.2–§5.8).
#include "sparsedse/hw/sparse.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <numeric>

#include "sparsedse/common/error.hpp"
#include "sparsedse/hw/primitives.hpp"

namespace sparsedse::hw {

namespace {

// Stable order of channels by descending key (ties by ascending index), Q23/Q24.
std::vector<int> descending(const std::vector<double>& key) {
  std::vector<int> order(key.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key[a] > key[b]; });
  return order;
}

// Snake layout of a sorted channel list over `streams` columns (§5.4 steps 3–5).
std::vector<int> snake(const std::vector<int>& sorted, int streams) {
  std::vector<int> perm(sorted.size());
  const int rows = static_cast<int>(sorted.size()) / streams;
  for (int r = 0; r < rows; ++r)
    for (int col = 0; col < streams; ++col)
      perm[r * streams + col] = sorted[r * streams + (r % 2 == 1 ? streams - 1 - col : col)];
  return perm;
}

std::vector<int> identity(int n) {
  std::vector<int> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  return perm;
}

// Stream s holds perm[p] for p ≡ s (mod streams); returns the per-stream means of `value`.
void stream_means(const std::vector<int>& perm, int streams, const std::vector<double>& value,
                  std::vector<double>& out) {
  out.assign(streams, 0.0);
  for (std::size_t p = 0; p < perm.size(); ++p) out[p % streams] += value[perm[p]];
  const double per_stream = static_cast<double>(perm.size()) / streams;
  for (double& v : out) v /= per_stream;
}

}  // namespace

int SparseProfile::window_cycles(int zeros, int kernel_size, int fine, bool skip) {
  if (zeros >= kernel_size) return skip ? 0 : 1;
  return (kernel_size - zeros + fine - 1) / fine;
}

double SparseProfile::channel_cycles(int channel, int fine, bool skip) const {
  const auto& h = histogram_[channel];
  double e = 0.0;
  for (int z = 0; z <= kernel_size_; ++z) e += h[z] * window_cycles(z, kernel_size_, fine, skip);
  return e;
}

std::shared_ptr<const SparseProfile> SparseProfile::from_histogram(std::vector<std::vector<double>> histogram,
                                                                   int kernel_size, const std::string& where) {
  if (kernel_size < 1) throw InputError(where, "kernel size must be positive");
  if (histogram.empty()) throw InputError(where, "empty sparsity histogram");
  for (std::size_t c = 0; c < histogram.size(); ++c) {
    const auto& row = histogram[c];
    const std::string at = where + "[" + std::to_string(c) + "]";
    if (static_cast<int>(row.size()) != kernel_size + 1)
      throw InputError(at, "expected " + std::to_string(kernel_size + 1) + " bins (K²+1), got " +
                               std::to_string(row.size()));
    double sum = 0.0;
    for (double p : row) {
      if (!std::isfinite(p) || p < 0.0) throw InputError(at, "histogram bins must be finite and non-negative");
      sum += p;
    }
    if (std::abs(sum - 1.0) > 1e-3) throw InputError(at, "histogram row sums to " + std::to_string(sum) + ", expected 1");
  }
  std::shared_ptr<SparseProfile> p(new SparseProfile());
  p->channels_ = static_cast<int>(histogram.size());
  p->kernel_size_ = kernel_size;
  p->histogram_ = std::move(histogram);
  p->channel_sparsity_.resize(p->channels_);
  for (int c = 0; c < p->channels_; ++c) {
    double s = 0.0;
    for (int z = 0; z <= kernel_size; ++z) s += p->histogram_[c][z] * z;
    p->channel_sparsity_[c] = s / kernel_size;
  }
  p->mean_sparsity_ =
      std::accumulate(p->channel_sparsity_.begin(), p->channel_sparsity_.end(), 0.0) / p->channels_;
  p->tabulate();
  return p;
}

std::shared_ptr<const SparseProfile> SparseProfile::from_channel_sparsity(const std::vector<double>& sparsity,
                                                                          const std::string& where) {
  std::vector<std::vector<double>> h;
  h.reserve(sparsity.size());
  for (std::size_t c = 0; c < sparsity.size(); ++c) {
    const double s = sparsity[c];
    if (!std::isfinite(s) || s < 0.0 || s > 1.0)
      throw InputError(where + "[" + std::to_string(c) + "]", "channel sparsity must be in [0, 1]");
    h.push_back({1.0 - s, s});
  }
  return from_histogram(std::move(h), 1, where);
}

std::size_t SparseProfile::slot(int streams, int fine, bool skip, Interleaving il) const {
  const int d = streams >= 1 && streams <= channels_ ? divisor_slot_[streams] : -1;
  if (d < 0 || fine < 1 || fine > kernel_size_)
    throw std::logic_error("SparseProfile: no table entry for streams " + std::to_string(streams) + ", fine " +
                           std::to_string(fine));
  return ((static_cast<std::size_t>(d) * kernel_size_ + (fine - 1)) * 2 + (skip ? 1 : 0)) * 2 +
         (il == Interleaving::naive ? 1 : 0);
}

void SparseProfile::tabulate() {
  const std::vector<int> divs = factors(channels_);
  divisors_ = static_cast<int>(divs.size());
  divisor_slot_.assign(channels_ + 1, -1);
  for (int i = 0; i < divisors_; ++i) divisor_slot_[divs[i]] = i;
  const std::size_t n = static_cast<std::size_t>(divisors_) * kernel_size_ * 4;
  max_cycles_.assign(n, 0.0);
  accum_rate_.assign(n, 0.0);
  moves_streams_.assign(n, 0);
  min_sparsity_.assign(static_cast<std::size_t>(divisors_) * 2, 0.0);

  std::vector<double> e(channels_), all_zero(channels_), means;
  for (int c = 0; c < channels_; ++c) all_zero[c] = histogram_[c][kernel_size_];
  const std::vector<int> naive = identity(channels_);

  for (int fine = 1; fine <= kernel_size_; ++fine) {
    for (int skip = 0; skip < 2; ++skip) {
      for (int c = 0; c < channels_; ++c) e[c] = channel_cycles(c, fine, skip == 1);
      const std::vector<int> sorted = descending(e);
      for (int streams : divs) {
        for (Interleaving il : {Interleaving::snake, Interleaving::naive}) {
          const std::vector<int> perm = il == Interleaving::snake ? snake(sorted, streams) : naive;
          const std::size_t k = slot(streams, fine, skip == 1, il);
          stream_means(perm, streams, e, means);
          max_cycles_[k] = *std::max_element(means.begin(), means.end());
          stream_means(perm, streams, all_zero, means);
          double rate = std::numeric_limits<double>::infinity();
          // An all-zero stream would have an infinite rate; 1e-9 keeps the rates finite (§5.6 edge).
          for (double h : means) rate = std::min(rate, 1.0 / std::max(1.0 - h, 1e-9));
          accum_rate_[k] = rate;
          for (std::size_t p = 0; p < perm.size() && !moves_streams_[k]; ++p)
            moves_streams_[k] = perm[p] % streams != static_cast<int>(p % streams);
        }
      }
    }
  }
  // PASS-era statistic: the same snake on ascending s_c (descending 1 − s_c).
  std::vector<double> density(channels_);
  for (int c = 0; c < channels_; ++c) density[c] = 1.0 - channel_sparsity_[c];
  const std::vector<int> sorted = descending(density);
  for (int i = 0; i < divisors_; ++i) {
    for (Interleaving il : {Interleaving::snake, Interleaving::naive}) {
      const std::vector<int> perm = il == Interleaving::snake ? snake(sorted, divs[i]) : naive;
      stream_means(perm, divs[i], channel_sparsity_, means);
      min_sparsity_[i * 2 + (il == Interleaving::naive ? 1 : 0)] = *std::min_element(means.begin(), means.end());
    }
  }
}

double SparseProfile::max_stream_cycles(int streams, int fine, bool skip, Interleaving il) const {
  return max_cycles_[slot(streams, fine, skip, il)];
}

double SparseProfile::accum_rate(int streams, int fine, bool skip, Interleaving il) const {
  return accum_rate_[slot(streams, fine, skip, il)];
}

double SparseProfile::min_stream_sparsity(int streams, Interleaving il) const {
  (void)slot(streams, 1, false, il);  // validates `streams`
  return min_sparsity_[static_cast<std::size_t>(divisor_slot_[streams]) * 2 + (il == Interleaving::naive ? 1 : 0)];
}

std::vector<int> SparseProfile::interleaving(int streams, int fine, bool skip, Interleaving il) const {
  (void)slot(streams, fine, skip, il);  // validates the arguments
  if (il == Interleaving::naive) return identity(channels_);
  std::vector<double> e(channels_);
  for (int c = 0; c < channels_; ++c) e[c] = channel_cycles(c, fine, skip);
  return snake(descending(e), streams);
}

std::vector<int> SparseProfile::sparsity_interleaving(int streams, Interleaving il) const {
  (void)slot(streams, 1, false, il);
  if (il == Interleaving::naive) return identity(channels_);
  std::vector<double> density(channels_);
  for (int c = 0; c < channels_; ++c) density[c] = 1.0 - channel_sparsity_[c];
  return snake(descending(density), streams);
}

}  // namespace sparsedse::hw
