// The picture and report outputs of the command line (--report, trace --svg and --dot): the
// form chosen by the file's name, the text from sim/report, the file through OutputSet (so a
// report appears only with every other output of a run, whole).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "egress/engine/engine.h"
#include "egress/report/html_report.h"
#include "output_set.h"

namespace egress {

/// Why `path` cannot be a --report (it must end in .html, .htm or .md), or nullopt.
std::optional<std::string> report_path_error(const std::string& path);

/// The report in the form its file's name asks for.
std::string render_replay_report(const std::string& path, const ReplayReportData& data);
std::string render_diff_report(const std::string& path, const DiffReportData& data);

/// The whole of `text` into `file` (null: nothing asked for).
void write_text(std::FILE* file, const std::string& text);

/// "a.yaml, b.pcap": the inputs a report names in its subtitle.
std::string report_subject(const std::string& topology, const std::vector<std::string>& more);

/// diff's and migrate's --report: a set of its own (those commands write no other file),
/// opened before any work and published at the end.
class ReportOutput {
 public:
  /// False with `error` set when the name or the file is refused (nothing is written then).
  bool open(const std::string& path, const std::vector<InputFile>& inputs, std::string& error);
  bool wanted() const { return !path_.empty(); }
  /// Renders (when wanted), writes and publishes; false with `error` set on failure.
  bool publish(const DiffReportData& data, std::string& error);

 private:
  std::string path_;
  OutputSet set_;
  int handle_ = -1;
};

/// trace --svg FILE and --dot FILE: the picture of `result`, through `set`.
void write_trace_pictures(const OutputSet& set, int svg, int dot, const FlowResult& result);

}  // namespace egress
