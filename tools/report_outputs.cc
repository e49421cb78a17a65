#include "report_outputs.h"

#include <string>

#include "egress/report/dot.h"
#include "egress/report/markdown_report.h"
#include "egress/report/path_diagram.h"

namespace egress {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool markdown(const std::string& path) {
  return ends_with(path, ".md");
}

}  // namespace

std::optional<std::string> report_path_error(const std::string& path) {
  if (path.empty() || ends_with(path, ".html") || ends_with(path, ".htm") || markdown(path)) {
    return std::nullopt;
  }
  return "--report: '" + path + "' names no report form: end it in .html (or .htm) or .md";
}

std::string render_replay_report(const std::string& path, const ReplayReportData& data) {
  return markdown(path) ? replay_report_markdown(data) : replay_report_html(data);
}

std::string render_diff_report(const std::string& path, const DiffReportData& data) {
  return markdown(path) ? diff_report_markdown(data) : diff_report_html(data);
}

void write_text(std::FILE* file, const std::string& text) {
  if (file != nullptr) {
    std::fwrite(text.data(), 1, text.size(), file);
  }
}

std::string report_subject(const std::string& topology, const std::vector<std::string>& more) {
  std::string out = topology;
  for (const std::string& m : more) {
    out += ", " + m;
  }
  return out;
}

bool ReportOutput::open(const std::string& path, const std::vector<InputFile>& inputs,
                        std::string& error) {
  if (auto e = report_path_error(path)) {
    error = *e;
    return false;
  }
  path_ = path;
  handle_ = set_.add("--report", path);
  return set_.open(inputs, error);
}

bool ReportOutput::publish(const DiffReportData& data, std::string& error) {
  if (!wanted()) {
    return true;
  }
  write_text(set_.file(handle_), render_diff_report(path_, data));
  return set_.commit(error);
}

void write_trace_pictures(const OutputSet& set, int svg, int dot, const FlowResult& result) {
  write_text(set.file(svg), path_diagram_svg(result, 0, true));
  write_text(set.file(dot), trace_to_dot(result));
}

}  // namespace egress
