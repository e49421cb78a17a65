// The reports as Markdown (`--report FILE.md`), for change tickets: the HTML report's content
// as tables, lists and text. No pictures: a chart's numbers (peak, limit, when exhaustion
// starts) are in its table, a path diagram's hops are a list.
#pragma once

#include <string>
#include <string_view>

#include "egress/report/html_report.h"

namespace egress {

/// Text for a Markdown table cell or line: characters Markdown would read (\ ` * _ [ ] < > |
/// #) escaped, & as &amp;, line ends as spaces. A paragraph's start ("1. ", "- ") is also
/// escaped where the report writes one.
std::string markdown_escape(std::string_view text);

std::string replay_report_markdown(const ReplayReportData& data);
std::string diff_report_markdown(const DiffReportData& data);

}  // namespace egress
