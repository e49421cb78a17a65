#include "egress/report/html_report.h"

#include <string>

#include "egress/report/path_diagram.h"
#include "egress/report/svg.h"
#include "html_report_document.h"

namespace egress {
namespace {

// Inline, and only system fonts: the page fetches nothing.
constexpr const char* kStyle =
    R"(body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1400px;padding:0 1rem;color:#222}
h1{font-size:1.5rem;margin-bottom:.2rem}
.subtitle{color:#555;margin-top:0}
nav a{margin-right:1rem}
section{margin:2rem 0}
h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}
td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:.3rem}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.columns>div{overflow-x:auto;min-width:0}
.change-title{font-weight:600;margin-top:1rem}
)";

bool numeric(const std::string& s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if ((c < '0' || c > '9') && c != ',') {
      return false;
    }
  }
  return true;
}

void render(const ReportBlock& b, std::string& out) {
  switch (b.kind) {
    case ReportBlock::Kind::kText:
      out += "<p>" + xml_escape(b.text) + "</p>\n";
      break;
    case ReportBlock::Kind::kTable:
      out += "<table>\n<thead><tr>";
      for (const std::string& h : b.table.head) {
        out += "<th>" + xml_escape(h) + "</th>";
      }
      out += "</tr></thead>\n<tbody>\n";
      for (const auto& row : b.table.rows) {
        out += "<tr>";
        for (const std::string& cell : row) {
          out += (numeric(cell) ? "<td class=\"n\">" : "<td>") + xml_escape(cell) + "</td>";
        }
        out += "</tr>\n";
      }
      out += "</tbody>\n</table>\n";
      break;
    case ReportBlock::Kind::kList:
      out += "<ul>\n";
      for (const std::string& item : b.items) {
        out += "<li>" + xml_escape(item) + "</li>\n";
      }
      out += "</ul>\n";
      break;
    case ReportBlock::Kind::kFigure:
      out +=
          "<figure>\n<figcaption>" + xml_escape(b.text) + "</figcaption>\n" + b.svg + "</figure>\n";
      break;
    case ReportBlock::Kind::kColumns:
      if (!b.text.empty()) {
        out += "<p class=\"change-title\">" + xml_escape(b.text) + "</p>\n";
      }
      out += "<div class=\"columns\">\n";
      for (size_t c = 0; c < b.columns.size(); ++c) {
        out += "<div>\n";
        if (c < b.column_titles.size()) {
          out += "<h3>" + xml_escape(b.column_titles[c]) + "</h3>\n";
        }
        for (const ReportBlock& inner : b.columns[c]) {
          render(inner, out);
        }
        out += "</div>\n";
      }
      out += "</div>\n";
      break;
  }
}

std::string render_html(const ReportDocument& doc) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + xml_escape(doc.title + ": " + doc.subtitle) + "</title>\n";
  out += "<style>\n" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += "<h1>" + xml_escape(doc.title) + "</h1>\n";
  out += "<p class=\"subtitle\">" + xml_escape(doc.subtitle) + "</p>\n<nav>";
  for (const ReportSection& s : doc.sections) {
    out += "<a href=\"#" + xml_escape(s.id) + "\">" + xml_escape(s.title) + "</a>";
  }
  out += "</nav>\n";
  for (const ReportSection& s : doc.sections) {
    out += "<section id=\"" + xml_escape(s.id) + "\">\n<h2>" + xml_escape(s.title) + "</h2>\n";
    for (const ReportBlock& b : s.blocks) {
      render(b, out);
    }
    out += "</section>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace

std::string replay_report_html(const ReplayReportData& data) {
  return render_html(replay_document(data));
}

DiffReportData diff_report_data(std::string command, std::string subject, const DiffReport& diff,
                                const Topology* before, const Topology* after,
                                const Engine* before_engine, const Engine* after_engine,
                                const MigrationContext* migration, uint64_t seed) {
  DiffReportData data{
      std::move(command), std::move(subject), before, after, &diff, migration, {}, 0};
  if (before_engine != nullptr && after_engine != nullptr) {
    data.changes = collect_path_changes(*before_engine, *after_engine, diff, seed,
                                        kReportPathChanges, &data.other_changes);
  }
  return data;
}

std::string diff_report_html(const DiffReportData& data) {
  return render_html(diff_document(data));
}

}  // namespace egress
