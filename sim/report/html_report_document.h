// A report's content independent of its form (private to sim/report): html_report.cc and
// markdown_report.cc build the same Document and render it, so the two say the same things.
#pragma once

#include <string>
#include <vector>

#include "egress/report/html_report.h"

namespace egress {

struct ReportTable {
  std::vector<std::string> head;
  std::vector<std::vector<std::string>> rows;
};

struct ReportBlock {
  enum class Kind { kText, kTable, kList, kFigure, kColumns };
  Kind kind = Kind::kText;
  std::string text;  // kText; the caption of kFigure; the heading of a kColumns column
  ReportTable table;
  std::vector<std::string> items;  // kList; kFigure: its content as lines for Markdown
  std::string svg;                 // kFigure
  std::vector<std::vector<ReportBlock>> columns;  // kColumns: side by side (before, after)
  std::vector<std::string> column_titles;
};

struct ReportSection {
  std::string id;
  std::string title;
  std::vector<ReportBlock> blocks;
};

struct ReportDocument {
  std::string title;
  std::string subtitle;
  std::vector<ReportSection> sections;
};

ReportDocument replay_document(const ReplayReportData& data);
ReportDocument diff_document(const DiffReportData& data);

}  // namespace egress
