// BatchNormalization folding: the folded layer computes what Conv/Gemm followed by BN computes.
#include <cmath>

#include "fixtures.hpp"

using namespace fixtures;
using namespace sparsedse;

namespace {

struct Bn {
  std::vector<float> scale, bias, mean, var;
  float epsilon;
};

Bn random_bn(int f, std::uint32_t seed) {
  return {random_values(std::size_t(f), seed, 0.5f, 2.0f), random_values(std::size_t(f), seed + 1, -1.0f, 1.0f),
          random_values(std::size_t(f), seed + 2, -0.5f, 0.5f), random_values(std::size_t(f), seed + 3, 0.1f, 3.0f),
          1e-3f};
}

void add_bn(OnnxBuilder& b, const std::string& x, const std::string& y, const Bn& bn) {
  const std::int64_t f = std::int64_t(bn.scale.size());
  b.initializer("bn.scale", {f}, bn.scale);
  b.initializer("bn.bias", {f}, bn.bias);
  b.initializer("bn.mean", {f}, bn.mean);
  b.initializer("bn.var", {f}, bn.var);
  set_attribute(b.node("BatchNormalization", "bn", {x, "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {y}), "epsilon",
                bn.epsilon);
}

// BN applied to a map laid out [F][rest], from its definition.
void apply_bn(std::vector<double>& y, const Bn& bn) {
  const std::size_t f = bn.scale.size(), per = y.size() / f;
  for (std::size_t o = 0; o < f; ++o)
    for (std::size_t i = 0; i < per; ++i) {
      double& v = y[o * per + i];
      v = (v - bn.mean[o]) / std::sqrt(double(bn.var[o]) + double(bn.epsilon)) * bn.scale[o] + bn.bias[o];
    }
}

void check_close(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5).epsilon(1e-5));
}

std::vector<float> to_vector(const Eigen::VectorXf& v) { return {v.data(), v.data() + v.size()}; }

}  // namespace

TEST_CASE("BN folded into a Conv computes Conv followed by BN", "[frontend][bn]") {
  struct Case {
    int c, f, k, stride, pad, group;
    bool bias;
  };
  for (Case t : {Case{3, 4, 3, 2, 1, 1, true}, Case{4, 6, 3, 1, 1, 2, false}, Case{5, 3, 1, 1, 0, 1, true}}) {
    const int h = 7, w = 6;
    OnnxBuilder b("bn", 13);
    b.input("x", {-1, t.c, h, w});
    add_conv(b, "conv", "x", "c", t.c, t.f, t.k, t.stride, t.pad, t.bias, t.group, 11);
    Bn bn = random_bn(t.f, 21);
    add_bn(b, "c", "y", bn);
    b.output("y", {-1, t.f, 1, 1});
    ir::Graph g = import_model(b.model()).graph;
    REQUIRE(g.size() == 2);  // the BN is gone
    const ir::Layer& l = g.layer("conv");
    CHECK(l.output_tensor == "y");
    REQUIRE(l.has_bias());

    const std::size_t weights = std::size_t(t.f * (t.c / t.group) * t.k * t.k);
    std::vector<float> image = random_values(std::size_t(t.c * h * w), 5, -2.0f, 2.0f);
    std::vector<double> want =
        direct_conv(image, t.c, h, w, random_values(weights, 11),
                    t.bias ? random_values(std::size_t(t.f), 1011) : std::vector<float>{}, t.f, t.k, t.stride, t.pad, t.group);
    apply_bn(want, bn);
    std::vector<double> got =
        direct_conv(image, t.c, h, w, to_vector(l.weights), to_vector(l.bias), t.f, t.k, t.stride, t.pad, t.group);
    check_close(got, want);
  }
}

TEST_CASE("BN folded into a Gemm computes Gemm followed by BN", "[frontend][bn]") {
  const int k = 6, f = 4;
  OnnxBuilder b("bn", 13);
  b.input("x", {-1, k});
  std::vector<float> weights = random_values(std::size_t(f * k), 3), bias = random_values(std::size_t(f), 4);
  b.initializer("W", {f, k}, weights);
  b.initializer("C", {f}, bias);
  set_attribute(b.node("Gemm", "fc", {"x", "W", "C"}, {"g"}), "transB", std::int64_t(1));
  Bn bn = random_bn(f, 40);
  add_bn(b, "g", "y", bn);
  b.output("y", {-1, f});
  ir::Graph g = import_model(b.model()).graph;
  const ir::Layer& l = g.layer("fc");
  std::vector<float> x = random_values(std::size_t(k), 8, -3.0f, 3.0f);
  std::vector<double> want(static_cast<std::size_t>(f)), got(static_cast<std::size_t>(f));
  for (int o = 0; o < f; ++o) {
    double a = bias[std::size_t(o)], folded = l.bias[o];
    for (int i = 0; i < k; ++i) {
      a += double(weights[std::size_t(o * k + i)]) * x[std::size_t(i)];
      folded += double(l.weights[o * k + i]) * x[std::size_t(i)];
    }
    want[std::size_t(o)] = a;
    got[std::size_t(o)] = folded;
  }
  apply_bn(want, bn);
  check_close(got, want);
}

TEST_CASE("a BN that cannot be folded is an error naming it", "[frontend][bn]") {
  SECTION("after a ReLU") {
    OnnxBuilder b("bn", 13);
    b.input("x", {-1, 2, 3, 3});
    b.node("Relu", "relu", {"x"}, {"r"});
    add_bn(b, "r", "y", random_bn(2, 1));
    b.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("node 'bn'") && Catch::Contains("cannot be folded") &&
                                            Catch::Contains("'relu'"));
  }
  SECTION("after a Conv whose output is also read elsewhere") {
    OnnxBuilder b("bn", 13);
    b.input("x", {-1, 2, 3, 3});
    add_conv(b, "conv", "x", "c", 2, 2, 1, 1, 0);
    add_bn(b, "c", "n", random_bn(2, 1));
    b.node("Add", "add", {"c", "n"}, {"y"});
    b.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("cannot be folded") && Catch::Contains("other nodes"));
  }
  SECTION("training mode, wrong sizes and negative variance") {
    OnnxBuilder b("bn", 14);
    b.input("x", {-1, 2, 3, 3});
    add_conv(b, "conv", "x", "c", 2, 2, 1, 1, 0);
    Bn bn = random_bn(2, 1);
    bn.var[1] = -1.0f;
    add_bn(b, "c", "y", bn);
    b.output("y", {-1, 2, 3, 3});
    CHECK_THAT(import_error(b.model()), Catch::Contains("var + epsilon") && Catch::Contains("channel 1"));
    set_attribute(*b.graph().mutable_node(1), "training_mode", std::int64_t(1));
    CHECK_THAT(import_error(b.model()), Catch::Contains("training_mode"));
  }
}
