// Helpers shared by the storage tests: a temporary directory removed at the
// end of the test, and small file utilities.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "herondb/common/error.h"

namespace herondb::testing {

class TempDir {
 public:
  enum Where { kDisk, kPreferMemory };
  // kPreferMemory: under /dev/shm (tmpfs) when it exists, for tests that do
  // many file operations and need no real disk.
  explicit TempDir(Where where = kDisk) {
    std::string tmpl = "/tmp/herondb-storage-XXXXXX";
    std::error_code ec;
    if (where == kPreferMemory && std::filesystem::is_directory("/dev/shm", ec))
      tmpl = "/dev/shm/herondb-storage-XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    if (p == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Runs fn, expecting herondb::Error with `code`; returns its message.
template <typename Fn>
std::string ExpectError(ErrorCode code, Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(static_cast<int>(e.code()), static_cast<int>(code)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an herondb::Error";
  return "";
}

}  // namespace herondb::testing
