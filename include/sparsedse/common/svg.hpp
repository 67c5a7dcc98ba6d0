#pragma once
// A small, dependency-free SVG chart writer for reports: line/scatter plots and grouped bar charts
// with readable axes ("nice" tick steps) and a legend. Output is deterministic text.
#include <string>
#include <vector>

namespace sparsedse {

struct Series {
  std::string label;
  std::vector<double> x, y;  // same length; bar charts use only y
  bool dashed = false;
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<Series> series;
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;  // one group of bars per category
  std::vector<Series> series;           // y[i] is the bar of category i
};

std::string render_svg(const LinePlot& plot, int width = 760, int height = 460);
std::string render_svg(const BarChart& chart, int width = 960, int height = 460);

// Tick positions covering [lo, hi] with a 1-2-5 step, at most about `target` ticks.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);

// Escape text for XML/HTML.
std::string xml_escape(const std::string& text);

}  // namespace sparsedse
