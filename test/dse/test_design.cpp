#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

#include "networks.hpp"
#include "sparsedse/common/error.hpp"
#include "sparsedse/common/io.hpp"
#include "sparsedse/dse/optimise.hpp"

using namespace sparsedse;
using namespace sparsedse::dse;
using namespace dse_test;
namespace fs = std::filesystem;

namespace {

Design optimised_residual(ir::Graph& g, int wr = 1) {
  attach_stats(g, 0.4, 0.4);
  OptimiserConfig config;
  config.batch_size = 8;
  OptimiseOptions run;
  run.solver = Solver::rule;
  Design d = optimise(g, small_platform(120, 60000, 120), {}, config, run).design;
  if (wr > 1) {  // exercise weights reloading in the file
    SearchState s(d);
    s.set_weights_reloading(0, wr);
    s.commit();
    d = s.design();
  }
  return d;
}

fs::path temp_dir() {
  fs::path dir = fs::temp_directory_path() / ("sparsedse_dse_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("design files round-trip exactly", "[dse][design]") {
  ir::Graph g = residual_net();
  const Design d = optimised_residual(g, 2);
  REQUIRE(d.partitions[0].wr_factor == 2);
  const nlohmann::json j = to_json(d);
  CHECK(j["throughput"].get<double>() == d.metrics.throughput);
  CHECK(j["latency"].get<double>() == d.metrics.latency_s);
  CHECK(j["partitions"][0]["weights_reloading_layer"] == "fc");
  // Layers are written with their original shapes (fc has 10 filters, not 10/2).
  bool found = false;
  for (const auto& l : j["partitions"][0]["layers"])
    if (l["name"] == "fc") {
      CHECK(l["filters"] == 10);
      found = true;
    }
  CHECK(found);
  const Design back = design_from_json(j, "mem");
  CHECK(back.network.layers[back.network.index("fc")].filters == 5);
  CHECK(back.metrics.cycles == d.metrics.cycles);
  CHECK(to_json(back).dump() == j.dump());

  const fs::path file = temp_dir() / "design.json";
  write_design(file, d);
  CHECK(to_json(read_design(file)).dump() == j.dump());
  fs::remove_all(file.parent_path());
}

TEST_CASE("pipelined designs carry the Ethernet time and the steady-state throughput", "[dse][design]") {
  ir::Graph g = residual_net();
  attach_stats(g, 0.4, 0.4);
  hw::Platform platform = small_platform(120, 60000, 120);
  platform.ethernet_bandwidth_gbps = 100.0;
  platform.ethernet_latency_s = 5e-6;
  hw::ModelOptions options;
  options.network_mode = hw::NetworkMode::pipelined;
  OptimiserConfig config;
  config.batch_size = 8;
  OptimiseOptions run;
  run.solver = Solver::rule;
  const Design d = optimise(g, platform, options, config, run).design;
  const nlohmann::json j = to_json(d);
  CHECK(j["ethernet"].get<double>() == d.metrics.ethernet_s);
  CHECK(j["ethernet"].get<double>() == Approx(5e-6 * (d.metrics.partitions - 1)));
  CHECK(j["steady_throughput"].get<double>() == d.metrics.steady_throughput);
  CHECK(j["steady_throughput"].get<double>() >= j["throughput"].get<double>());
  CHECK(to_json(design_from_json(j, "mem")).dump() == j.dump());
  // Sequential designs keep the version-1 keys only.
  CHECK_FALSE(to_json(optimised_residual(g)).contains("ethernet"));
}

TEST_CASE("design files are validated", "[dse][design]") {
  ir::Graph g = residual_net();
  const nlohmann::json j = to_json(optimised_residual(g));
  auto error = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json bad = j;
    edit(bad);
    try {
      design_from_json(bad, "bad.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error([](auto& d) { d["partitions"][0]["layers"][0]["coarse_in"] = 3; }),
             Catch::Contains("bad.json") && Catch::Contains("/partitions/0/layers/0") && Catch::Contains("not feasible"));
  CHECK_THAT(error([](auto& d) { d["partitions"][0]["layers"][0]["colour"] = 1; }), Catch::Contains("unknown key"));
  CHECK_THAT(error([](auto& d) { d["partitions"][0]["layers"][1]["inputs"][0] = "nowhere"; }),
             Catch::Contains("producer 'nowhere'"));
  CHECK_THAT(error([](auto& d) { d["partitions"][0]["weights_reloading_factor"] = 3; }),
             Catch::Contains("weights_reloading_factor"));
  CHECK_THAT(error([](auto& d) { d["format"] = "other"; }), Catch::Contains("/format"));
  // A cut inside the residual block (after c2) crosses two edges.
  CHECK_THAT(error([](auto& d) {
               nlohmann::json& layers = d["partitions"][0]["layers"];
               nlohmann::json second = d["partitions"][0];
               nlohmann::json tail = nlohmann::json::array();
               for (std::size_t i = 4; i < layers.size(); ++i) tail.push_back(layers[i]);
               layers.erase(layers.begin() + 4, layers.end());
               second["layers"] = tail;
               d["partitions"].push_back(second);
             }),
             Catch::Contains("/partitions/1") && Catch::Contains("crosses 2 edges"));
}

TEST_CASE("a fixed design takes new histograms only in its sparse layers", "[dse][design]") {
  ir::Graph g = residual_net();
  const Design d = optimised_residual(g);
  int sparse = 0;
  for (const hw::HwLayer& l : d.network.layers) sparse += hw::is_sparse(l.kind);
  REQUIRE(sparse == 3);  // c2, c3, c4 (c1 reads the image)

  // The same statistics reproduce the design's performance exactly.
  StatsMap same;
  for (const char* name : {"c2", "c3", "c4"}) same[name] = *g.layer(name).sparsity;
  CHECK(evaluate(d, same).metrics.cycles == d.metrics.cycles);

  // Nearly all-zero windows: sparse layers skip most windows (0 cycles per all-zero window, §5.2); the
  // dense stem c1 is untouched, so the interval falls to the dense layers' and I/O bounds.
  StatsMap zeros;
  for (const char* name : {"c1", "c2", "c3", "c4"}) {
    const ir::Layer& l = g.layer(name);
    zeros[name] = synthetic_stats(l.input_shape().channels, 3, 0.99, 0.0);
  }
  const Design faster = evaluate(d, zeros);
  CHECK(faster.metrics.cycles <= d.metrics.cycles);
  for (int v = 0; v < d.network.size(); ++v) {
    CHECK(faster.network.layers[v].kind == d.network.layers[v].kind);
    CHECK(faster.network.layers[v].folding == d.network.layers[v].folding);
    if (!hw::is_sparse(d.network.layers[v].kind)) CHECK(faster.layer_metrics[v].latency == d.layer_metrics[v].latency);
  }
  const int c2 = d.network.index("c2");
  CHECK(faster.layer_metrics[c2].latency < d.layer_metrics[c2].latency);

  StatsMap missing = same;
  missing.erase("c3");
  CHECK_THROWS_WITH(evaluate(d, missing), Catch::Contains("'c3'"));
}

TEST_CASE("a fixed design that outgrows the memory bandwidth stalls on it instead of failing to fit", "[dse][design]") {
  ir::Graph g = residual_net();
  const Design d = optimised_residual(g);  // optimised for 40 % zeros
  REQUIRE(d.partitions.size() == 1);
  StatsMap measured, no_zeros;
  for (const char* name : {"c2", "c3", "c4"}) {
    measured[name] = *g.layer(name).sparsity;
    no_zeros[name] = synthetic_stats(g.layer(name).input_shape().channels, 3, 0.0, 0.0);
  }
  // Without zeros the design is slower; give the platform exactly the bandwidth it then uses.
  Design slow = evaluate(d, no_zeros);
  slow.platform.memory_bandwidth_gbps = slow.partition_metrics[0].bandwidth.total() / slow.options.rsc_allocation;
  evaluate(slow);
  REQUIRE(slow.feasible());
  REQUIRE(slow.partitions[0].slow_down_factor == 1.0);

  // With the zeros back its layers run faster than its memory can feed them: it stalls and still fits.
  const Design faster = evaluate(slow, measured);
  const double bw_max = slow.options.rsc_allocation * slow.platform.memory_bandwidth_gbps;
  CHECK(faster.partitions[0].slow_down_factor > 1.0);
  CHECK(faster.partition_metrics[0].bandwidth.total() <= bw_max);
  CHECK(faster.feasible());
  CHECK(faster.metrics.throughput >= slow.metrics.throughput);
  Design unbounded = slow;
  unbounded.platform.memory_bandwidth_gbps *= 100.0;
  CHECK(evaluate(unbounded, measured).metrics.throughput > 1.1 * faster.metrics.throughput);
}

TEST_CASE("dense designs ignore statistics of their dense layers", "[dse][design]") {
  const ir::Graph dense = residual_net();
  OptimiserConfig config;
  config.batch_size = 8;
  OptimiseOptions run;
  run.solver = Solver::rule;
  const Design d = optimise(dense, small_platform(120, 60000, 120), {}, config, run).design;
  ir::Graph sparse = residual_net();
  attach_stats(sparse, 0.9, 0.0);
  const Design e = evaluate(d, sparse);
  CHECK(e.metrics.cycles == d.metrics.cycles);
  for (const hw::HwLayer& l : e.network.layers) CHECK_FALSE(hw::is_sparse(l.kind));
}

#ifdef SPARSEDSE_CLI_PATH
TEST_CASE("CLI: optimise writes byte-identical designs per seed and evaluate reads them", "[dse][cli]") {
  REQUIRE(fs::exists(SPARSEDSE_CLI_PATH));
  const fs::path dir = temp_dir();
  auto run = [&](const std::string& args) {
    const std::string cmd = std::string(SPARSEDSE_CLI_PATH) + " " + args + " > " + (dir / "out.txt").string() +
                            " 2> " + (dir / "err.txt").string();
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  auto text = [](const fs::path& p) { return read_file(p); };
  const std::string model = (dir / "r20.onnx").string();
  REQUIRE(run("zoo resnet20-cifar -o " + model) == 0);
  const std::string cfg = (dir / "quick.json").string();
  std::ofstream(cfg) << R"({"annealing": {"cool": 0.9, "iterations": 2}})";
  const std::string a = (dir / "a.json").string(), b = (dir / "b.json").string();
  REQUIRE(run("optimise " + model + " --config " + cfg + " --seed 3 --chains 2 -o " + a) == 0);
  CHECK_THAT(text(dir / "out.txt"), Catch::Contains("images/s") && Catch::Contains("DSP bound"));
  REQUIRE(run("optimise " + model + " --config " + cfg + " --seed 3 --chains 2 -o " + b) == 0);
  CHECK(text(a) == text(b));
  const nlohmann::json design = read_json(a);
  CHECK(design["platform"]["device"]["name"] == "u250");
  CHECK(design["batch_size"] == 256);
  CHECK(design["throughput"].get<double>() > 0);
  CHECK(design.contains("latency"));
  CHECK(design["partitions"][0].contains("bottleneck"));
  CHECK(run("evaluate " + a + " -o " + b) == 0);
  CHECK(read_json(b)["throughput"] == design["throughput"]);
  CHECK(run("optimise " + model + " --solver rule -o " + b) == 0);

  // Statistics files in the profiler's format for every conv but the stem: a fraction `zero` of the
  // windows all-zero, the rest dense.
  auto stats_file = [&](const std::string& name, double zero) {
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& l : design["partitions"][0]["layers"]) {
      if (l["type"] != "Convolution" || l["channels"] == 3) continue;
      const int k2 = l["kernel"][0].get<int>() * l["kernel"][1].get<int>();
      std::vector<double> row(k2 + 1, 0.0);
      row[0] = 1.0 - zero;
      row[k2] = zero;
      layers[l["name"].get<std::string>()] = {
          {"kernel", l["kernel"]}, {"channels", l["channels"]}, {"histogram", std::vector<std::vector<double>>(l["channels"].get<int>(), row)}};
    }
    const std::string path = (dir / name).string();
    write_json_atomic(path, {{"layers", layers}});
    return path;
  };
  const std::string half = stats_file("half.json", 0.5), most = stats_file("most.json", 0.875);
  const std::string sparse = (dir / "sparse.json").string(), re = (dir / "re.json").string();
  REQUIRE(run("optimise " + model + " --solver rule --stats " + half + " -o " + sparse) == 0);
  const nlohmann::json sd = read_json(sparse);
  CHECK(sd["throughput"].get<double>() > design["throughput"].get<double>());
  REQUIRE(run("evaluate " + sparse + " --stats " + most + " -o " + re) == 0);
  const nlohmann::json rd = read_json(re);
  CHECK(rd["throughput"].get<double>() > sd["throughput"].get<double>());
  for (std::size_t i = 0; i < sd["partitions"][0]["layers"].size(); ++i) {
    CHECK(rd["partitions"][0]["layers"][i]["type"] == sd["partitions"][0]["layers"][i]["type"]);
    CHECK(rd["partitions"][0]["layers"][i]["coarse_in"] == sd["partitions"][0]["layers"][i]["coarse_in"]);
  }
  // Bad input: exit code 2 with the file and key named.
  std::ofstream(cfg) << R"({"annealing": {"T": 1, "T_min": 5}})";
  CHECK(run("optimise " + model + " --config " + cfg + " -o " + b) == 2);
  CHECK_THAT(text(dir / "err.txt"), Catch::Contains("quick.json") && Catch::Contains("T_min"));
  CHECK(run("evaluate " + (dir / "missing.json").string()) == 2);
  fs::remove_all(dir);
}
#endif
