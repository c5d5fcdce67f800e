// ByteReader: bounds-checked little-endian reads over bytes held in memory.
//
// Contract: never reads outside [data, data + size). A read that does not fit
// throws Error(kCorruption) naming the file, the offset and what was being
// read ("graph.vctrs: truncated at offset 42 reading the neighbour count").
// Lengths read from the input are checked against the bytes that remain
// before anything is allocated for them, so a damaged length cannot make the
// reader allocate more than the input's size.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "herondb/common/error.h"

namespace herondb::vctrs {

class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string file) : bytes_(bytes), file_(std::move(file)) {}

  uint64_t offset() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  const std::string& file() const { return file_; }

  uint8_t U8(const char* what) {
    Need(1, what);
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  uint32_t U32(const char* what) {
    Need(4, what);
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  float F32(const char* what) {
    const uint32_t bits = U32(what);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  // The next n bytes, as a view into the input.
  std::string_view Bytes(uint64_t n, const char* what) {
    Need(n, what);
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  // Throws the corruption error for this file at the current offset.
  [[noreturn]] void Fail(const std::string& what) const {
    Throw(ErrorCode::kCorruption, file_ + ": " + what + " at offset " + std::to_string(pos_));
  }

 private:
  void Need(uint64_t n, const char* what) const {
    if (n > remaining())
      Throw(ErrorCode::kCorruption,
            file_ + ": truncated at offset " + std::to_string(pos_) + " reading " + what);
  }

  std::string_view bytes_;
  std::string file_;
  uint64_t pos_ = 0;
};

}  // namespace herondb::vctrs
