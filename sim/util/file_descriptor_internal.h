// A file descriptor closed when it goes out of scope, for the readers of sim/ that open files
// with a size check before reading (topology files, Azure JSON). Private to sim/.
#pragma once

#include <unistd.h>

namespace egress::internal {

struct FileDescriptor {
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  int fd;
};

}  // namespace egress::internal
