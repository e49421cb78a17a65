#include "egress/report/markdown_report.h"

#include <string>

#include "html_report_document.h"

namespace egress {

std::string markdown_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '#':
        out += '\\';
        out += c;
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    }
  }
  return out;
}

namespace {

// A paragraph's text: also what its start would make a list item or a rule ("1. ", "- ").
std::string paragraph(std::string_view text) {
  std::string out = markdown_escape(text);
  size_t digits = 0;
  while (digits < out.size() && out[digits] >= '0' && out[digits] <= '9') {
    ++digits;
  }
  if (digits != 0 && digits < out.size() && (out[digits] == '.' || out[digits] == ')')) {
    out.insert(digits, "\\");
  } else if (!out.empty() && (out[0] == '-' || out[0] == '+' || out[0] == '=')) {
    out.insert(0, "\\");
  }
  return out;
}

void render(const ReportBlock& b, std::string& out) {
  switch (b.kind) {
    case ReportBlock::Kind::kText:
      out += paragraph(b.text) + "\n\n";
      break;
    case ReportBlock::Kind::kTable: {
      std::string line = "|";
      std::string rule = "|";
      for (const std::string& h : b.table.head) {
        line += " " + markdown_escape(h) + " |";
        rule += " --- |";
      }
      out += line + "\n" + rule + "\n";
      for (const auto& row : b.table.rows) {
        line = "|";
        for (const std::string& cell : row) {
          line += " " + markdown_escape(cell) + " |";
        }
        out += line + "\n";
      }
      out += "\n";
      break;
    }
    case ReportBlock::Kind::kList:
      for (const std::string& item : b.items) {
        out += "- " + markdown_escape(item) + "\n";
      }
      out += "\n";
      break;
    case ReportBlock::Kind::kFigure:
      // No pictures in Markdown: the caption, and the picture's content as a list when it
      // has one (a chart's numbers are in the tables above).
      out += "**" + markdown_escape(b.text) + "**\n\n";
      if (!b.items.empty()) {
        for (size_t i = 0; i < b.items.size(); ++i) {
          out += std::to_string(i + 1) + ". " + markdown_escape(b.items[i]) + "\n";
        }
        out += "\n";
      }
      break;
    case ReportBlock::Kind::kColumns:
      if (!b.text.empty()) {
        out += "#### " + markdown_escape(b.text) + "\n\n";
      }
      for (size_t c = 0; c < b.columns.size(); ++c) {
        if (c < b.column_titles.size()) {
          out += "*" + markdown_escape(b.column_titles[c]) + "*\n\n";
        }
        for (const ReportBlock& inner : b.columns[c]) {
          render(inner, out);
        }
      }
      break;
  }
}

std::string render_markdown(const ReportDocument& doc) {
  std::string out = "# " + markdown_escape(doc.title) + "\n\n" + paragraph(doc.subtitle) + "\n\n";
  for (const ReportSection& s : doc.sections) {
    out += "## " + markdown_escape(s.title) + "\n\n";
    for (const ReportBlock& b : s.blocks) {
      render(b, out);
    }
  }
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') {
    out.pop_back();
  }
  return out;
}

}  // namespace

std::string replay_report_markdown(const ReplayReportData& data) {
  return render_markdown(replay_document(data));
}

std::string diff_report_markdown(const DiffReportData& data) {
  return render_markdown(diff_document(data));
}

}  // namespace egress
