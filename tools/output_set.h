// The output files of one run of the command line, handled so that they never hurt what the
// user gave:
// - an output that is the same file as an input, as another output or as where stdout already
//   goes is refused before any work (device and inode compared, after symbolic links);
// - `-` is standard output, and character devices and FIFOs are written directly, as
//   `tcpdump -w` does; nothing that is not a regular file is ever renamed over;
// - regular files are written beside their final name and all of a run's outputs are renamed
//   into place together, only once every one of them was written whole; a failure at any
//   point, or SIGINT, SIGTERM, SIGHUP or SIGPIPE, removes the partial files.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

namespace egress {

/// A file the run reads, for the same-file check: `what` names it in messages ("capture",
/// "topology", ...). `-` (standard input) is checked against standard input's file.
struct InputFile {
  std::string what;
  std::string path;
};

class OutputSet {
 public:
  OutputSet() = default;
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  /// Registers the output of `option` (e.g. "--flows"); an empty path is an output not asked
  /// for. Returns the handle for file().
  int add(std::string option, std::string path);

  /// Before any work: refuses outputs that would replace an input, another output or stdout's
  /// file, block devices, directories and dangling symbolic links; then creates every output
  /// (temporary files for regular ones). False with `error` set, nothing left behind.
  bool open(const std::vector<InputFile>& inputs, std::string& error);

  /// The stream of an output, or null when it was not asked for.
  std::FILE* file(int handle) const;
  /// The option's path as given.
  const std::string& path(int handle) const;
  /// True when an output is `-`: the command's own result then goes to stderr.
  bool takes_stdout() const;

  /// Flushes and closes every output; when all of them were written whole, renames the
  /// regular ones into place. False with `error` set and every partial file removed otherwise.
  bool commit(std::string& error);

 private:
  enum class Kind { kStdout, kDirect, kRegular };
  struct Output {
    std::string option;
    std::string path;    // as given
    std::string target;  // the file renamed over (symbolic links resolved)
    std::string temp;
    Kind kind = Kind::kRegular;
    std::FILE* file = nullptr;
    int slot = -1;  // in the signal handler's list of partial files
  };
  void discard();

  std::vector<Output> outputs_;
  bool committed_ = false;
};

}  // namespace egress
