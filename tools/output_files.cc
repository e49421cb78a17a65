#include "output_files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace egress {
namespace {

constexpr size_t kWriteBuffer = size_t{1} << 20;

std::string temp_name(const std::string& path) {
  return path + ".partial-" + std::to_string(::getpid());
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(temp_name(path_)) {}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::remove(temp_.c_str());
  }
}

bool AtomicFile::open(std::string& error) {
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    error = path_ + ": cannot create: " + std::strerror(errno);
    return false;
  }
  return true;
}

bool AtomicFile::commit(std::string& error) {
  out_.flush();
  bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || std::rename(temp_.c_str(), path_.c_str()) != 0) {
    error = path_ + ": cannot write: " + std::strerror(errno);
    std::remove(temp_.c_str());
    committed_ = true;
    return false;
  }
  committed_ = true;
  return true;
}

PcapOut::PcapOut(std::string path) : path_(std::move(path)), temp_(temp_name(path_)) {}

PcapOut::~PcapOut() {
  writer_.reset();
  if (file_ != nullptr) {
    std::fclose(file_);
  }
  if (!committed_) {
    std::remove(temp_.c_str());
  }
}

bool PcapOut::open() {
  // Our own FILE, for a buffer far larger than stdio's default: fewer write system calls.
  file_ = std::fopen(temp_.c_str(), "wb");
  if (file_ == nullptr) {
    error_ = path_ + ": cannot create: " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, kWriteBuffer);
  writer_.emplace(file_, path_);
  return true;
}

void PcapOut::write(const RawPacket& packet, uint32_t l3_offset, uint8_t ip_version,
                    std::span<const uint8_t> bytes) {
  if (!error_.empty() || (!writer_ && !open())) {
    return;
  }
  if (!writer_->write(packet, bytes, l3_offset, ip_version)) {
    error_ = path_ + ": " + writer_->error()->message;
  }
}

bool PcapOut::commit(std::string& error) {
  if (error_.empty() && !writer_) {
    open();
  }
  if (error_.empty()) {
    Result<uint64_t> finished = writer_->finish();
    if (!finished) {
      error_ = path_ + ": " + finished.error().message;
    }
  }
  if (!error_.empty()) {
    error = error_;
    return false;
  }
  writer_.reset();
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  committed_ = true;
  if (!closed || std::rename(temp_.c_str(), path_.c_str()) != 0) {
    error = path_ + ": cannot write: " + std::strerror(errno);
    std::remove(temp_.c_str());
    return false;
  }
  return true;
}

}  // namespace egress
