#include <catch2/catch.hpp>

#include "sparsedse/common/svg.hpp"

using namespace sparsedse;

TEST_CASE("nice ticks use 1-2-5 steps covering the range", "[common]") {
  CHECK(nice_ticks(0.0, 1.0, 6) == std::vector<double>{0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0});
  auto t = nice_ticks(3721.0, 5531.0, 6);
  REQUIRE(t.size() >= 2);
  CHECK(t[1] - t[0] == Approx(500.0));
  CHECK(t.front() <= 3721.0);
  CHECK(t.back() >= 5500.0);
}

TEST_CASE("line plot has axes, labels, a legend and every point", "[common]") {
  LinePlot p{"Throughput vs accuracy", "top-1 (%)", "throughput (img/s)", {}};
  p.series.push_back({"uniform <&>", {90.0, 91.0, 92.0}, {4000, 4200, 4400}, false});
  p.series.push_back({"latency-aware", {90.5, 91.5}, {4300, 4600}, true});
  std::string svg = render_svg(p);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("Throughput vs accuracy") != std::string::npos);
  CHECK(svg.find("uniform &lt;&amp;&gt;") != std::string::npos);  // escaped legend
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  std::size_t circles = 0;
  for (std::size_t pos = 0; (pos = svg.find("<circle", pos)) != std::string::npos; ++pos) ++circles;
  CHECK(circles == 5);
  CHECK(svg.find("</svg>") != std::string::npos);
}

TEST_CASE("bar chart draws one bar per finite value", "[common]") {
  BarChart b{"Sparsity per layer", "zero fraction", {"conv1", "conv2", "conv3"}, {}};
  b.series.push_back({"t = 0", {}, {0.1, 0.5, 0.7}, false});
  b.series.push_back({"final", {}, {0.2, 0.6, std::nan("")}, false});
  std::string svg = render_svg(b);
  std::size_t bars = 0;
  for (std::size_t pos = 0; (pos = svg.find("<rect x=", pos)) != std::string::npos; ++pos) ++bars;
  // 5 bars + plot frame + 2 legend swatches (background rect uses width= first).
  CHECK(bars == 5 + 1 + 2);
}
