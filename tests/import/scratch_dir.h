// A fresh folder under the test temp dir, removed at the end: where the import tests write
// the JSON files and folders they read.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace egress {

class ScratchDir {
 public:
  /// `prefix` keeps the folders of different test binaries apart.
  ScratchDir(const std::string& prefix, const std::string& name)
      : path_(std::filesystem::path(::testing::TempDir()) /
              (prefix + "_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string write(const std::string& relative, const std::string& text) const {
    std::filesystem::path file = path_ / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.generic_string();
  }
  std::string str() const { return path_.generic_string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace egress
