// Name legalisation (hls.md §2), exact decimal literals and the chan_permute schedule (hls.md §3.4).
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>

#include "sparsedse/hwgen/emit.hpp"
#include "sparsedse/hwgen/names.hpp"
#include "sparsedse/hwgen/permute.hpp"

using namespace sparsedse;
using namespace sparsedse::hwgen;

TEST_CASE("layer names become legal C identifiers", "[hwgen_emit][names]") {
  CHECK(legal_identifier("layer1.0.conv1") == "layer1_0_conv1");
  CHECK(legal_identifier("/layer1/conv/Conv") == "l_layer1_conv_Conv");  // leading '_' is reserved
  CHECK(legal_identifier("0_conv") == "l_0_conv");                       // leading digit (hls.md §2)
  CHECK(legal_identifier("a//b") == "a_b");                              // no double underscore
  CHECK(legal_identifier("int") == "l_int");                             // keyword
  CHECK(legal_identifier("batch") == "l_batch");                         // a kernel argument name
  CHECK(legal_identifier("") == "l_");
  CHECK(legal_identifier("conv\xc3\xa9") == "conv_");                    // non-ASCII bytes
}

TEST_CASE("colliding names get _2, _3 in order", "[hwgen_emit][names]") {
  NameScope scope({"p0_kernel"});
  const auto ids = legalise_names({"a.b", "a_b", "a-b", "p0_kernel", "a_b_2"}, scope);
  CHECK(ids.at("a.b") == "a_b");
  CHECK(ids.at("a_b") == "a_b_2");
  CHECK(ids.at("a-b") == "a_b_3");
  CHECK(ids.at("p0_kernel") == "p0_kernel_2");
  CHECK(ids.at("a_b_2") == "a_b_2_2");  // "a_b_2" was taken by the second name
  std::set<std::string> unique;
  for (const auto& [n, id] : ids) unique.insert(id);
  CHECK(unique.size() == ids.size());
  CHECK(scope.unique("a_b") == "a_b_4");
}

TEST_CASE("ROM values are printed as exact decimals of their raw codes", "[hwgen_emit][names]") {
  CHECK(exact_decimal(0, 8) == "0");
  CHECK(exact_decimal(256, 8) == "1");
  CHECK(exact_decimal(-327, 8) == "-1.27734375");
  CHECK(exact_decimal(1, 16) == "0.0000152587890625");
  CHECK(exact_decimal(-1, 1) == "-0.5");
  CHECK(exact_decimal(3, -2) == "12");
  // Round trip through double for random 48-bit accumulator codes at 16 fraction bits.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t raw = static_cast<std::int64_t>(rng() >> 17) - (std::int64_t{1} << 46);
    CHECK(std::strtod(exact_decimal(raw, 16).c_str(), nullptr) == std::ldexp(static_cast<double>(raw), -16));
  }
}

namespace {

// Checks the two properties of a chan_permute schedule: per stream the channel set of `perm`, and in
// every cycle S distinct banks.
void check_schedule(const std::vector<int>& perm, int streams) {
  const auto order = permute_schedule(perm, streams);
  const int cs = static_cast<int>(perm.size()) / streams;
  REQUIRE(static_cast<int>(order.size()) == cs);
  for (int s = 0; s < streams; ++s) {
    std::multiset<int> want, got;
    for (int ci = 0; ci < cs; ++ci) want.insert(perm[static_cast<std::size_t>(ci * streams + s)]);
    for (int t = 0; t < cs; ++t) got.insert(order[static_cast<std::size_t>(t)][static_cast<std::size_t>(s)]);
    CHECK(want == got);
  }
  for (int t = 0; t < cs; ++t) {
    std::set<int> banks;
    for (int c : order[static_cast<std::size_t>(t)]) banks.insert(c % streams);
    CHECK(static_cast<int>(banks.size()) == streams);
  }
}

}  // namespace

TEST_CASE("the chan_permute schedule is a proper edge colouring", "[hwgen_emit][permute]") {
  // model.md §5.9 E5: perm = [0, 2, 3, 1] on 2 streams: stream 0 = {c0, c3}, stream 1 = {c2, c1}.
  const std::vector<int> e5 = {0, 2, 3, 1};
  CHECK_FALSE(same_stream_sets(e5, 2));
  const auto order = permute_schedule(e5, 2);
  REQUIRE(order.size() == 2);
  check_schedule(e5, 2);
  // Natural sets: every channel already on stream c mod S.
  CHECK(same_stream_sets({2, 1, 0, 3}, 2));
  CHECK(same_stream_sets({3, 0, 1, 2}, 1));
  // Random permutations and stream counts.
  std::mt19937_64 rng(9);
  for (int streams : {1, 2, 3, 4, 8, 16}) {
    for (int cs : {1, 2, 5, 8}) {
      std::vector<int> perm(static_cast<std::size_t>(streams * cs));
      std::iota(perm.begin(), perm.end(), 0);
      std::shuffle(perm.begin(), perm.end(), rng);
      check_schedule(perm, streams);
    }
  }
  CHECK_THROWS_AS(permute_schedule({0, 1, 1, 2}, 2), std::invalid_argument);
  CHECK_THROWS_AS(permute_schedule({0, 1, 2}, 2), std::invalid_argument);
}
