#include "egress/report/svg.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace egress {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f ? '?' : c;
    }
  }
  return out;
}

std::string svg_number(double v) {
  if (!std::isfinite(v)) {
    return "0";
  }
  // Tenths as an integer: the same digits on every platform and locale.
  const long long tenths = std::llround(v * 10);
  const long long whole = tenths / 10;
  const long long frac = tenths % 10;
  std::string out;
  if (tenths < 0 && whole == 0) {
    out = "-";
  }
  out += std::to_string(whole);
  if (frac != 0) {
    out += "." + std::to_string(frac < 0 ? -frac : frac);
  }
  return out;
}

namespace {
std::string n(double v) {
  return svg_number(v);
}
}  // namespace

Svg::Svg(double width, double height, std::string_view label, std::string_view css_class)
    : width_(width), height_(height), label_(label), class_(css_class) {}

void Svg::attribute(std::string_view name, std::string_view value) {
  attributes_ += " " + xml_escape(name) + "=\"" + xml_escape(value) + "\"";
}

void Svg::rect(double x, double y, double w, double h, std::string_view fill,
               std::string_view stroke, double rx) {
  body_ +=
      "<rect x=\"" + n(x) + "\" y=\"" + n(y) + "\" width=\"" + n(w) + "\" height=\"" + n(h) + "\"";
  if (rx != 0) {
    body_ += " rx=\"" + n(rx) + "\"";
  }
  body_ += " fill=\"" + xml_escape(fill) + "\" stroke=\"" + xml_escape(stroke) + "\"/>\n";
}

void Svg::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width,
               bool dashed) {
  body_ += "<line x1=\"" + n(x1) + "\" y1=\"" + n(y1) + "\" x2=\"" + n(x2) + "\" y2=\"" + n(y2) +
           "\" stroke=\"" + xml_escape(stroke) + "\" stroke-width=\"" + n(width) + "\"" +
           (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
}

void Svg::polyline(const std::vector<double>& points, std::string_view stroke, double width) {
  body_ += "<polyline fill=\"none\" stroke=\"" + xml_escape(stroke) + "\" stroke-width=\"" +
           n(width) + "\" points=\"";
  for (size_t i = 0; i + 1 < points.size(); i += 2) {
    body_ += (i == 0 ? "" : " ") + n(points[i]) + "," + n(points[i + 1]);
  }
  body_ += "\"/>\n";
}

void Svg::arrow(double x1, double y1, double x2, double y2, std::string_view stroke, double width) {
  // The head drawn as a small triangle of its own: markers would need ids, which clash when
  // several pictures share one HTML page.
  const double dx = x2 - x1;
  const double dy = y2 - y1;
  const double len = std::sqrt(dx * dx + dy * dy);
  line(x1, y1, x2, y2, stroke, width);
  if (len < 1) {
    return;
  }
  const double ux = dx / len;
  const double uy = dy / len;
  const double bx = x2 - ux * 8;
  const double by = y2 - uy * 8;
  body_ += "<polygon fill=\"" + xml_escape(stroke) + "\" points=\"" + n(x2) + "," + n(y2) + " " +
           n(bx - uy * 4) + "," + n(by + ux * 4) + " " + n(bx + uy * 4) + "," + n(by - ux * 4) +
           "\"/>\n";
}

void Svg::text(double x, double y, std::string_view content, double size, std::string_view anchor,
               std::string_view fill, std::string_view weight) {
  body_ += "<text x=\"" + n(x) + "\" y=\"" + n(y) + "\" font-size=\"" + n(size) + "\"";
  if (anchor != "start") {
    body_ += " text-anchor=\"" + xml_escape(anchor) + "\"";
  }
  if (!weight.empty()) {
    body_ += " font-weight=\"" + xml_escape(weight) + "\"";
  }
  body_ += " fill=\"" + xml_escape(fill) + "\">" + xml_escape(content) + "</text>\n";
}

void Svg::group(std::string_view css_class, std::string_view title) {
  body_ += "<g class=\"" + xml_escape(css_class) + "\">";
  if (!title.empty()) {
    body_ += "<title>" + xml_escape(title) + "</title>";
  }
  body_ += "\n";
}

void Svg::end_group() {
  body_ += "</g>\n";
}

std::string Svg::str(bool standalone) const {
  std::string out;
  if (standalone) {
    out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  }
  // Inline in HTML the namespace is implied; a file of its own must name it.
  out += std::string("<svg") + (standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") +
         " width=\"" + n(width_) + "\" height=\"" + n(height_) + "\" viewBox=\"0 0 " + n(width_) +
         " " + n(height_) + "\" class=\"" + xml_escape(class_) +
         "\" role=\"img\" font-family=\"sans-serif\"" + attributes_ + ">\n";
  out += "<title>" + xml_escape(label_) + "</title>\n";
  out += body_;
  out += "</svg>\n";
  return out;
}

}  // namespace egress
