// Sparse convolution (hls.md §9): sparse and dense layers give identical outputs on the same data
// (skip on and off, fine divisors and non-divisors of K², all-zero pixels, 1×1), and the sparse_vdot
// issue loop spends exactly ⌈nnz/fine⌉ cycles per (window, filter) (model.md §5.2).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>

#include "conv_layers.hpp"

using namespace hwtest;

namespace {

// Sparse data: random zeros plus whole zero rows, so some windows and whole pixels are all-zero.
template <class L>
ConvData sparse_data(std::mt19937_64& rng, int batch) {
  ConvData d = random_conv_data<L>(rng, batch, 0.6, 512, 128);
  for (Tensor& t : d.inputs)
    for (int r = 0; r < t.rows; r += 3)
      for (int c = 0; c < t.cols; ++c)
        for (int ch = 0; ch < t.channels; ++ch) t.at(r, c, ch) = 0;
  if (L::rows == 1) d.inputs[0].raw.assign(d.inputs[0].raw.size(), 0);  // an all-zero IP input
  return d;
}

template <class L>
std::vector<Tensor> run_sparse(const ConvData& d, int batch, bool threaded) {
  auto wts = std::make_unique<typename L::sparse_weights>();
  fill_sparse_weights<L>(d.weights, d.bias, *wts);
  hls::stream<data_t> in[L::coarse_in], out[L::coarse_out];
  SDHLS_STREAM(out, 1 << 20);
  for (const Tensor& x : d.inputs) push(x, in);
  {
    sdhls_sim::scoped_mode m(threaded ? sdhls_sim::mode::threaded : sdhls_sim::mode::sequential);
    sparse_conv<L>(in, out, *wts, batch);
  }
  std::vector<Tensor> r;
  for (int b = 0; b < batch; ++b) r.push_back(pop(out, L::out_rows, L::out_cols, L::filters));
  REQUIRE(all_empty(in));
  REQUIRE(all_empty(out));
  return r;
}

template <class L>
std::vector<Tensor> run_dense(const ConvData& d, int batch) {
  auto wts = std::make_unique<typename L::dense_weights>();
  fill_dense_weights<L>(d.weights, d.bias, *wts);
  hls::stream<data_t> in[L::coarse_in], out[L::coarse_out];
  for (const Tensor& x : d.inputs) push(x, in);
  dense_conv<L>(in, out, *wts, batch);
  std::vector<Tensor> r;
  for (int b = 0; b < batch; ++b) r.push_back(pop(out, L::out_rows, L::out_cols, L::filters));
  return r;
}

// Sparse layer S and dense layer D share the geometry; both must equal the reference exactly.
template <class S, class D>
void check_sparse_equals_dense(std::mt19937_64& rng, bool threaded = false) {
  const int batch = 2;
  const ConvData d = sparse_data<S>(rng, batch);
  const std::vector<Tensor> sparse = run_sparse<S>(d, batch, threaded);
  const std::vector<Tensor> dense = run_dense<D>(d, batch);
  for (int b = 0; b < batch; ++b) {
    const Tensor expected = reference_of<S>(d, b);
    REQUIRE(sparse[b].raw == dense[b].raw);
    REQUIRE(sparse[b].raw == expected.raw);
  }
}

TEST_CASE("sparse conv is bit-identical to the dense conv on the same data", "[hwgen][sparse]") {
  std::mt19937_64 rng(21);
  typedef conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 3, true> dense;
  SECTION("fine 1, skip") { check_sparse_equals_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 1, true, true>, dense>(rng); }
  SECTION("fine 2 (not a divisor of 9), skip") {
    check_sparse_equals_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 2, true, true>, dense>(rng);
  }
  SECTION("fine 4, no skip") {
    check_sparse_equals_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 4, true, false>, dense>(rng);
  }
  SECTION("fine 9, skip") { check_sparse_equals_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 9, true, true>, dense>(rng); }
  SECTION("stride 2, no bias, skip") {
    check_sparse_equals_dense<conv_layer<7, 7, 4, 4, 3, 2, 1, 1, 2, 5, false, true>,
                              conv_layer<7, 7, 4, 4, 3, 2, 1, 1, 2, 9, false>>(rng);
  }
  SECTION("1x1 sparse (each window one value)") {
    check_sparse_equals_dense<conv_layer<4, 4, 8, 4, 1, 1, 0, 2, 2, 1, true, true>,
                              conv_layer<4, 4, 8, 4, 1, 1, 0, 2, 2, 1, true>>(rng);
  }
  SECTION("threaded simulation with the hls.md §7 FIFO depths completes") {
    check_sparse_equals_dense<conv_layer<6, 6, 4, 6, 3, 1, 1, 2, 3, 2, true, true>, dense>(rng, true);
  }
}

// --- cycle contract ----------------------------------------------------------------------------

struct Recorder : sdhls::issue_observer {
  std::vector<unsigned> iterations;
  std::vector<bool> marker;
  void on_iteration(unsigned long token, bool is_marker) override {
    if (token >= iterations.size()) {
      iterations.resize(token + 1, 0);
      marker.resize(token + 1, false);
    }
    ++iterations[token];
    marker[token] = is_marker;
  }
};

template <unsigned FINE, bool SKIP>
struct cycle_cfg {
  typedef hwtest::data_t data_t;
  typedef sdhls::window<data_t, 3, 3> input_t;
  typedef hwtest::weight_t weight_t;
  typedef ap_fixed<40, 24> acc_t;
  static const unsigned kernel_size = 9, fine = FINE, channels = 4, filters = 3, pixels = 10;
  static const bool skip = SKIP;
};

// model.md §5.2
unsigned model_cycles(unsigned nnz, unsigned fine, bool skip) {
  if (nnz == 0) return skip ? 0 : 1;
  return (nnz + fine - 1) / fine;
}

template <unsigned FINE, bool SKIP>
void check_cycles(std::mt19937_64& rng) {
  typedef cycle_cfg<FINE, SKIP> cfg;
  typedef sdhls::sp_token<data_t, 9, 4> token_t;
  const unsigned windows = cfg::pixels * cfg::channels;
  // Window w has nnz[w] non-zeros at random positions; pixels 2 and 7 are entirely zero.
  std::vector<unsigned> nnz(windows);
  hls::stream<typename cfg::input_t> win("win");
  std::uniform_int_distribution<unsigned> count(0, 9);
  for (unsigned w = 0; w < windows; ++w) {
    const unsigned pixel = w / cfg::channels;
    nnz[w] = (pixel == 2 || pixel == 7) ? 0 : count(rng);
    std::vector<unsigned> pos(9);
    for (unsigned k = 0; k < 9; ++k) pos[k] = k;
    std::shuffle(pos.begin(), pos.end(), rng);
    typename cfg::input_t x;
    for (unsigned k = 0; k < 9; ++k) x.v[k] = 0;
    for (unsigned j = 0; j < nnz[w]; ++j) x.v[pos[j]] = from_raw<data_t>(1 + (rng() % 200));
    win.write(x);
  }
  hls::stream<token_t> tokens("tokens");
  sdhls::nz_check<cfg>(win, tokens, 1);

  // The expected token sequence: dropped all-zero windows cost nothing, a dropped last channel
  // becomes a marker (one cycle), every other window costs Fl · ⌈nnz/fine⌉.
  std::vector<unsigned> expected;
  std::vector<bool> expected_marker;
  unsigned model_total = 0, markers = 0;
  for (unsigned w = 0; w < windows; ++w) {
    model_total += cfg::filters * model_cycles(nnz[w], FINE, SKIP);
    const bool last = w % cfg::channels == cfg::channels - 1;
    if (SKIP && nnz[w] == 0) {
      if (last) {
        expected.push_back(1);
        expected_marker.push_back(true);
        ++markers;
      }
      continue;
    }
    expected.push_back(cfg::filters * model_cycles(nnz[w], FINE, false));
    expected_marker.push_back(false);
  }
  REQUIRE(tokens.size() == expected.size());

  weight_t w[cfg::channels * cfg::filters][9];
  for (auto& row : w)
    for (auto& x : row) x = from_raw<weight_t>(std::int64_t(rng() % 256) - 128);
  hls::stream<sdhls::psum_token<typename cfg::acc_t, 3>> psums("psums");
  Recorder rec;
  sdhls::sparse_vdot<cfg>(tokens, psums, w, 1, &rec);
  REQUIRE(rec.iterations == expected);
  REQUIRE(rec.marker == expected_marker);
  unsigned total = 0;
  for (unsigned it : rec.iterations) total += it;
  CHECK(total == model_total + markers);  // model.md §5.2 plus at most one marker cycle per pixel
  // Every (token, filter) pair gives one psum; a marker gives one.
  REQUIRE(psums.size() == (expected.size() - markers) * cfg::filters + markers);
  while (!psums.empty()) (void)psums.read();
}

TEST_CASE("sparse_vdot spends ceil(nnz/fine) cycles per (window, filter), skipped windows cost 0",
          "[hwgen][sparse]") {
  std::mt19937_64 rng(22);
  check_cycles<1, true>(rng);
  check_cycles<2, true>(rng);
  check_cycles<3, true>(rng);
  check_cycles<4, false>(rng);
  check_cycles<5, true>(rng);
  check_cycles<9, false>(rng);
  check_cycles<9, true>(rng);
}

}  // namespace
