// DbId: the identity of one database, a random 128-bit number made when the
// database is created and recorded in CURRENT and in the header of every
// snapshot and log file it writes (docs/storage-format.md). Opening and
// verify() check that all of a generation's files carry the same id, so a
// file copied in from another database is refused as damage instead of
// being served.
//
// Contract:
// - DbId::Random() draws 16 bytes from the OS's random source
//   (std::random_device: getrandom / /dev/urandom on Linux); never all zero.
// - The all-zero id means "no identity": files written before identities
//   existed (CURRENT, snapshot and log format version 1) read back as it.
// - ToString(): 32 lower-case hex digits; "none" for the zero id.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace herondb {

struct DbId {
  static constexpr size_t kSize = 16;
  std::array<uint8_t, kSize> bytes{};

  static DbId Random();
  // The id stored at p[0, kSize).
  static DbId FromBytes(const char* p);
  bool empty() const;
  std::string ToString() const;
  // Appends the kSize bytes to *dst.
  void AppendTo(std::string* dst) const;
  friend bool operator==(const DbId&, const DbId&) = default;
};

}  // namespace herondb
