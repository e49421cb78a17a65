#include "output_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

namespace egress {
namespace {

constexpr size_t kWriteBuffer = size_t{1} << 20;

// The partial files a signal must remove. The handler may only call async-signal-safe
// functions, so the paths live in fixed buffers, published by `used` after they are written.
constexpr int kSlots = 16;
struct Slot {
  std::atomic<bool> used{false};
  char path[PATH_MAX + 32];
};
std::array<Slot, kSlots> g_slots;
std::atomic<bool> g_handlers_installed{false};

extern "C" void remove_partial_files_and_die(int sig) {
  for (Slot& slot : g_slots) {
    if (slot.used.load(std::memory_order_acquire)) {
      ::unlink(slot.path);
    }
  }
  // Ended by the signal itself, so the shell reports 128 + signal (130 for SIGINT, 143 for
  // SIGTERM) and a script running us in a loop stops as it would for any other program. As a
  // container's PID 1 the kernel ignores a signal's default action, hence the _exit.
  std::signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
  ::_exit(128 + sig);
}

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGXFSZ};

void install_handlers() {
  if (g_handlers_installed.exchange(true)) {
    return;
  }
  struct sigaction action {};
  action.sa_handler = remove_partial_files_and_die;
  sigemptyset(&action.sa_mask);
  for (int sig : kCleanupSignals) {
    // A signal ignored on entry (nohup, a background job of a non-interactive shell) stays
    // ignored, as the caller asked.
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) {
      continue;
    }
    sigaction(sig, &action, nullptr);
  }
}

int claim_slot(const std::string& path) {
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = g_slots[i];
    if (!slot.used.load(std::memory_order_relaxed) && path.size() < sizeof(slot.path)) {
      std::memcpy(slot.path, path.c_str(), path.size() + 1);
      slot.used.store(true, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void release_slot(int slot) {
  if (slot >= 0) {
    g_slots[slot].used.store(false, std::memory_order_release);
  }
}

// What a path names on disk, for comparing files: the file itself when it exists, else its
// directory and base name (two outputs not yet created may still be one file).
struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;  // empty for an existing file

  bool operator==(const Identity&) const = default;
};

std::optional<Identity> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    return Identity{st.st_dev, st.st_ino, {}};
  }
  std::string dir = ".";
  std::string base = path;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
    base = path.substr(slash + 1);
  }
  if (::stat(dir.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return Identity{st.st_dev, st.st_ino, base};
}

std::optional<Identity> identity_of_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return Identity{st.st_dev, st.st_ino, {}};
}

std::string system_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

OutputSet::~OutputSet() {
  if (!committed_) {
    discard();
  }
}

int OutputSet::add(std::string option, std::string path) {
  Output out;
  out.option = std::move(option);
  out.path = std::move(path);
  outputs_.push_back(std::move(out));
  return static_cast<int>(outputs_.size()) - 1;
}

bool OutputSet::open(const std::vector<InputFile>& inputs, std::string& error) {
  struct Named {
    std::string label;
    Identity id;
  };
  std::vector<Named> taken;
  for (const InputFile& in : inputs) {
    std::optional<Identity> id =
        in.path == "-" ? identity_of_fd(STDIN_FILENO) : identity_of(in.path);
    if (id && id->name.empty()) {
      taken.push_back({in.what + " " + in.path, *id});
    }
  }
  if (std::optional<Identity> out = identity_of_fd(STDOUT_FILENO)) {
    // The result goes to stdout: appended to a capture being read, it would corrupt it.
    for (const Named& t : taken) {
      if (t.id == *out) {
        error = "standard output is the same file as " + t.label + "; refusing to write to it";
        return false;
      }
    }
    taken.push_back({"standard output", *out});
  }

  bool have_stdout = false;
  for (Output& out : outputs_) {
    if (out.path.empty()) {
      continue;
    }
    const std::string label = out.option + " " + out.path;
    if (out.path == "-") {
      if (have_stdout) {
        error = "two outputs are '-': only one can go to standard output";
        return false;
      }
      have_stdout = true;
      out.kind = Kind::kStdout;
      continue;
    }
    struct stat st {};
    struct stat lst {};
    if (::lstat(out.path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode) &&
        ::stat(out.path.c_str(), &st) != 0) {
      error = label + ": a symbolic link to a file that does not exist; name the file itself";
      return false;
    }
    out.target = out.path;
    if (::stat(out.path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        error = label + ": is a directory";
        return false;
      }
      if (S_ISBLK(st.st_mode)) {
        error = label + ": is a block device; refusing to write to it";
        return false;
      }
      if (S_ISREG(st.st_mode)) {
        // Rename over the file a symbolic link names, keeping the link.
        char resolved[PATH_MAX];
        if (::realpath(out.path.c_str(), resolved) != nullptr) {
          out.target = resolved;
        }
      } else {
        out.kind = Kind::kDirect;  // a character device, FIFO or socket
      }
    }
    std::optional<Identity> id = identity_of(out.path);
    if (!id) {
      error = system_error(label);
      return false;
    }
    for (const Named& t : taken) {
      if (t.id == *id) {
        error = label + " is the same file as " + t.label + "; refusing to overwrite it";
        return false;
      }
    }
    if (out.kind == Kind::kRegular) {
      taken.push_back({label, *id});
    }
  }

  for (Output& out : outputs_) {
    if (out.path.empty()) {
      continue;
    }
    const std::string label = out.option + " " + out.path;
    if (out.kind == Kind::kStdout) {
      out.file = stdout;
      continue;
    }
    int fd = -1;
    if (out.kind == Kind::kDirect) {
      fd = ::open(out.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    } else {
      install_handlers();
      // A partial file a killed run left (same PID in another container, say) is not ours to
      // remove: take the next free name.
      for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
        out.temp = out.target + ".partial-" + std::to_string(::getpid()) +
                   (attempt == 0 ? "" : "-" + std::to_string(attempt));
        out.slot = claim_slot(out.temp);
        fd = ::open(out.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
          release_slot(out.slot);
          out.slot = -1;
          out.temp.clear();
          if (errno != EEXIST) {
            break;
          }
        }
      }
      struct stat st {};
      if (fd >= 0 && ::stat(out.target.c_str(), &st) == 0) {
        // Replacing a file keeps its permissions (a 0600 flow log stays private).
        ::fchmod(fd, st.st_mode & 07777);
      }
    }
    if (fd < 0) {
      const int saved = errno;
      const size_t slash = out.target.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : out.target.substr(0, slash + 1);
      error = label + ": cannot create" +
              (out.kind == Kind::kRegular ? " a file in " + dir : std::string()) + ": " +
              std::strerror(saved);
      discard();
      return false;
    }
    out.file = ::fdopen(fd, "wb");
    if (out.file == nullptr) {
      ::close(fd);
      error = system_error(label + ": cannot create");
      discard();
      return false;
    }
    std::setvbuf(out.file, nullptr, _IOFBF, kWriteBuffer);
  }
  return true;
}

std::FILE* OutputSet::file(int handle) const {
  return outputs_[static_cast<size_t>(handle)].file;
}

const std::string& OutputSet::path(int handle) const {
  return outputs_[static_cast<size_t>(handle)].path;
}

bool OutputSet::takes_stdout() const {
  for (const Output& out : outputs_) {
    if (out.kind == Kind::kStdout && !out.path.empty()) {
      return true;
    }
  }
  return false;
}

bool OutputSet::commit(std::string& error) {
  for (Output& out : outputs_) {
    if (out.file == nullptr) {
      continue;
    }
    errno = 0;
    bool ok = std::fflush(out.file) == 0 && std::ferror(out.file) == 0;
    int saved = errno;
    if (out.kind != Kind::kStdout) {
      ok = std::fclose(out.file) == 0 && ok;
      saved = saved != 0 ? saved : errno;
      out.file = nullptr;
    }
    if (!ok && error.empty()) {
      error = out.option + " " + out.path +
              ": cannot write: " + std::strerror(saved != 0 ? saved : EIO);
    }
  }
  if (!error.empty()) {
    discard();
    return false;
  }
  // A target may have been replaced by something else while we ran: never rename over
  // anything but a regular file. Checked for all before the first rename, so one that fails
  // here leaves every old file as it was.
  for (const Output& out : outputs_) {
    struct stat st {};
    if (out.kind == Kind::kRegular && !out.temp.empty() && ::lstat(out.target.c_str(), &st) == 0 &&
        !S_ISREG(st.st_mode)) {
      error = out.option + " " + out.path + ": no longer a regular file; not replaced";
      discard();
      return false;
    }
  }
  // The renames are the one step that cannot be undone; no signal splits them.
  sigset_t block;
  sigset_t old;
  sigemptyset(&block);
  for (int sig : kCleanupSignals) {
    sigaddset(&block, sig);
  }
  sigprocmask(SIG_BLOCK, &block, &old);
  std::string replaced;
  for (Output& out : outputs_) {
    if (out.kind != Kind::kRegular || out.temp.empty()) {
      continue;
    }
    if (std::rename(out.temp.c_str(), out.target.c_str()) != 0) {
      error = system_error(out.option + " " + out.path + ": cannot write");
      if (!replaced.empty()) {
        error += " (already written: " + replaced + ")";
      }
      discard();
      sigprocmask(SIG_SETMASK, &old, nullptr);
      return false;
    }
    replaced += (replaced.empty() ? "" : ", ") + out.path;
    release_slot(out.slot);
    out.slot = -1;
    out.temp.clear();
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  committed_ = true;
  return true;
}

void OutputSet::discard() {
  for (Output& out : outputs_) {
    if (out.file != nullptr && out.kind != Kind::kStdout) {
      std::fclose(out.file);
    }
    out.file = nullptr;
    if (!out.temp.empty()) {
      ::unlink(out.temp.c_str());
      out.temp.clear();
    }
    release_slot(out.slot);
    out.slot = -1;
  }
}

}  // namespace egress
