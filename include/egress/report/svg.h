// The pictures of reports and `trace --svg`, drawn by our own code (no Graphviz): a small SVG
// writer whose output depends only on what is drawn, byte for byte, and escaping for the
// names that come from users' files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace egress {

/// Text for XML and HTML content and attribute values: & < > " ' as entities, and the control
/// characters XML 1.0 cannot carry as `?`.
std::string xml_escape(std::string_view text);

/// A coordinate as written: at most one decimal, `.` as the point, no exponent.
std::string svg_number(double v);

/// One <svg> element, drawn in calls; colours as presentation attributes, so it renders the
/// same inline in HTML and as a file of its own.
class Svg {
 public:
  /// `label` is the picture's accessible name (<title>); `css_class` its class attribute.
  Svg(double width, double height, std::string_view label, std::string_view css_class);

  /// Extra attributes for the root element, e.g. data-peak="12" (name and value escaped).
  void attribute(std::string_view name, std::string_view value);
  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view stroke = "none", double rx = 0);
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, double width = 1,
            bool dashed = false);
  /// An open line through `points` (x, y pairs).
  void polyline(const std::vector<double>& points, std::string_view stroke, double width = 1.5);
  /// An arrow from (x1, y1) to (x2, y2), its head at the end.
  void arrow(double x1, double y1, double x2, double y2, std::string_view stroke,
             double width = 1.5);
  /// anchor: start, middle or end. weight "bold" or "" (normal).
  void text(double x, double y, std::string_view content, double size = 12,
            std::string_view anchor = "start", std::string_view fill = "#222",
            std::string_view weight = "");
  /// Opens <g class=...> (escaped); close with end_group().
  void group(std::string_view css_class, std::string_view title = "");
  void end_group();

  /// The whole element; `standalone` adds the XML declaration and xmlns (a file of its own).
  std::string str(bool standalone = false) const;

 private:
  double width_;
  double height_;
  std::string label_;
  std::string class_;
  std::string attributes_;
  std::string body_;
};

}  // namespace egress
