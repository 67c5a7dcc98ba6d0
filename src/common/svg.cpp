#include "sparsedse/common/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace sparsedse {

namespace {

// Colour-blind-safe palette (Okabe-Ito).
constexpr const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                   "#E69F00", "#56B4E9", "#F0E442", "#000000"};
const char* color(std::size_t i) { return kColors[i % (sizeof(kColors) / sizeof(kColors[0]))]; }

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Tick label: as few digits as the step needs.
std::string tick_label(double v, double step) {
  int decimals = std::max(0, -int(std::floor(std::log10(step) + 1e-9)));
  char buf[32];
  if (std::fabs(v) >= 1e5 && decimals == 0)
    std::snprintf(buf, sizeof buf, "%.3g", v);
  else
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return buf;
}

struct Frame {
  double left = 78, right = 190, top = 40, bottom = 62;
  int width, height;
  double plot_w() const { return width - left - right; }
  double plot_h() const { return height - top - bottom; }
};

void header(std::ostringstream& out, int width, int height, const std::string& title) {
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">"
      << xml_escape(title) << "</text>\n";
}

void y_axis(std::ostringstream& out, const Frame& f, const std::vector<double>& ticks, double lo, double hi,
            const std::string& label) {
  double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  for (double t : ticks) {
    double y = f.top + f.plot_h() * (1.0 - (t - lo) / (hi - lo));
    out << "<line x1=\"" << fmt(f.left) << "\" y1=\"" << fmt(y) << "\" x2=\"" << fmt(f.left + f.plot_w())
        << "\" y2=\"" << fmt(y) << "\" stroke=\"#e0e0e0\"/>\n"
        << "<text x=\"" << fmt(f.left - 6) << "\" y=\"" << fmt(y + 4) << "\" text-anchor=\"end\">"
        << tick_label(t, step) << "</text>\n";
  }
  double cy = f.top + f.plot_h() / 2;
  out << "<text x=\"16\" y=\"" << fmt(cy) << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 " << fmt(cy)
      << ")\">" << xml_escape(label) << "</text>\n";
}

void legend(std::ostringstream& out, const Frame& f, const std::vector<Series>& series, bool bars) {
  double x = f.left + f.plot_w() + 14, y = f.top + 8;
  for (std::size_t i = 0; i < series.size(); ++i, y += 20) {
    if (bars)
      out << "<rect x=\"" << fmt(x) << "\" y=\"" << fmt(y - 9) << "\" width=\"18\" height=\"10\" fill=\"" << color(i)
          << "\"/>\n";
    else
      out << "<line x1=\"" << fmt(x) << "\" y1=\"" << fmt(y - 4) << "\" x2=\"" << fmt(x + 18) << "\" y2=\""
          << fmt(y - 4) << "\" stroke=\"" << color(i) << "\" stroke-width=\"2\""
          << (series[i].dashed ? " stroke-dasharray=\"5,3\"" : "") << "/>\n";
    out << "<text x=\"" << fmt(x + 24) << "\" y=\"" << fmt(y) << "\">" << xml_escape(series[i].label)
        << "</text>\n";
  }
}

void range_of(const std::vector<double>& v, double& lo, double& hi) {
  for (double x : v)
    if (std::isfinite(x)) { lo = std::min(lo, x); hi = std::max(hi, x); }
}

void pad_range(double& lo, double& hi) {
  if (!(lo <= hi)) { lo = 0; hi = 1; }
  if (hi - lo < 1e-12) { double d = std::max(std::fabs(lo) * 0.05, 1e-6); lo -= d; hi += d; }
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  double raw = (hi - lo) / std::max(1, target - 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw - 1e-12 * raw) { step = m * mag; break; }
  std::vector<double> ticks;
  for (double t = std::floor(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

std::string render_svg(const LinePlot& plot, int width, int height) {
  Frame f;
  f.width = width;
  f.height = height;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (const Series& s : plot.series) { range_of(s.x, xlo, xhi); range_of(s.y, ylo, yhi); }
  pad_range(xlo, xhi);
  pad_range(ylo, yhi);
  std::vector<double> xt = nice_ticks(xlo, xhi), yt = nice_ticks(ylo, yhi);
  xlo = std::min(xlo, xt.front()); xhi = std::max(xhi, xt.back());
  ylo = std::min(ylo, yt.front()); yhi = std::max(yhi, yt.back());
  auto px = [&](double x) { return f.left + f.plot_w() * (x - xlo) / (xhi - xlo); };
  auto py = [&](double y) { return f.top + f.plot_h() * (1.0 - (y - ylo) / (yhi - ylo)); };

  std::ostringstream out;
  header(out, width, height, plot.title);
  y_axis(out, f, yt, ylo, yhi, plot.y_label);
  double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1.0;
  for (double t : xt) {
    out << "<line x1=\"" << fmt(px(t)) << "\" y1=\"" << fmt(f.top) << "\" x2=\"" << fmt(px(t)) << "\" y2=\""
        << fmt(f.top + f.plot_h()) << "\" stroke=\"#f0f0f0\"/>\n"
        << "<text x=\"" << fmt(px(t)) << "\" y=\"" << fmt(f.top + f.plot_h() + 18) << "\" text-anchor=\"middle\">"
        << tick_label(t, xstep) << "</text>\n";
  }
  out << "<text x=\"" << fmt(f.left + f.plot_w() / 2) << "\" y=\"" << height - 16 << "\" text-anchor=\"middle\">"
      << xml_escape(plot.x_label) << "</text>\n";
  out << "<rect x=\"" << fmt(f.left) << "\" y=\"" << fmt(f.top) << "\" width=\"" << fmt(f.plot_w())
      << "\" height=\"" << fmt(f.plot_h()) << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const Series& s = plot.series[i];
    std::ostringstream pts;
    std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t k = 0; k < n; ++k)
      if (std::isfinite(s.x[k]) && std::isfinite(s.y[k])) pts << fmt(px(s.x[k])) << "," << fmt(py(s.y[k])) << " ";
    out << "<polyline fill=\"none\" stroke=\"" << color(i) << "\" stroke-width=\"2\""
        << (s.dashed ? " stroke-dasharray=\"5,3\"" : "") << " points=\"" << pts.str() << "\"/>\n";
    for (std::size_t k = 0; k < n; ++k)
      if (std::isfinite(s.x[k]) && std::isfinite(s.y[k]))
        out << "<circle cx=\"" << fmt(px(s.x[k])) << "\" cy=\"" << fmt(py(s.y[k])) << "\" r=\"3\" fill=\""
            << color(i) << "\"><title>" << xml_escape(s.label) << ": (" << s.x[k] << ", " << s.y[k]
            << ")</title></circle>\n";
  }
  legend(out, f, plot.series, false);
  out << "</svg>\n";
  return out.str();
}

std::string render_svg(const BarChart& chart, int width, int height) {
  Frame f;
  f.width = width;
  f.height = height;
  f.bottom = 110;  // room for rotated category labels
  double ylo = 0, yhi = -std::numeric_limits<double>::infinity();
  for (const Series& s : chart.series) range_of(s.y, ylo, yhi);
  pad_range(ylo, yhi);
  std::vector<double> yt = nice_ticks(ylo, yhi);
  ylo = std::min(ylo, yt.front());
  yhi = std::max(yhi, yt.back());
  auto py = [&](double y) { return f.top + f.plot_h() * (1.0 - (y - ylo) / (yhi - ylo)); };

  std::ostringstream out;
  header(out, width, height, chart.title);
  y_axis(out, f, yt, ylo, yhi, chart.y_label);
  const std::size_t groups = chart.categories.size(), nser = std::max<std::size_t>(1, chart.series.size());
  const double group_w = groups ? f.plot_w() / double(groups) : f.plot_w();
  const double bar_w = group_w * 0.8 / double(nser);
  for (std::size_t g = 0; g < groups; ++g) {
    double gx = f.left + group_w * double(g) + group_w * 0.1;
    for (std::size_t i = 0; i < chart.series.size(); ++i) {
      if (g >= chart.series[i].y.size() || !std::isfinite(chart.series[i].y[g])) continue;
      double v = chart.series[i].y[g], y0 = py(std::max(0.0, ylo)), y1 = py(v);
      out << "<rect x=\"" << fmt(gx + bar_w * double(i)) << "\" y=\"" << fmt(std::min(y0, y1)) << "\" width=\""
          << fmt(bar_w) << "\" height=\"" << fmt(std::fabs(y0 - y1)) << "\" fill=\"" << color(i) << "\"><title>"
          << xml_escape(chart.categories[g]) << " / " << xml_escape(chart.series[i].label) << ": " << v
          << "</title></rect>\n";
    }
    double cx = gx + group_w * 0.4, cy = f.top + f.plot_h() + 10;
    out << "<text x=\"" << fmt(cx) << "\" y=\"" << fmt(cy) << "\" text-anchor=\"end\" font-size=\"10\" transform=\"rotate(-60 "
        << fmt(cx) << " " << fmt(cy) << ")\">" << xml_escape(chart.categories[g]) << "</text>\n";
  }
  out << "<rect x=\"" << fmt(f.left) << "\" y=\"" << fmt(f.top) << "\" width=\"" << fmt(f.plot_w())
      << "\" height=\"" << fmt(f.plot_h()) << "\" fill=\"none\" stroke=\"#444\"/>\n";
  legend(out, f, chart.series, true);
  out << "</svg>\n";
  return out.str();
}

}  // namespace sparsedse
