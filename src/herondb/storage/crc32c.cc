// Portable CRC32C (slicing-by-8) and the run-time choice of implementation.
// See crc32c.h for the contract.
#include "herondb/storage/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define HERONDB_CRC32C_HAVE_SSE42 1
#else
#define HERONDB_CRC32C_HAVE_SSE42 0
#endif

namespace herondb::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// tables[0][b]: the register after shifting in byte b; tables[k][b]: the
// contribution of byte b that is followed by k further bytes.
constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int i = 0; i < 8; ++i) r = (r >> 1) ^ (kPoly & (0u - (r & 1u)));
    t[0][b] = r;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t prev = t[k - 1][b];
      t[k][b] = (prev >> 8) ^ t[0][prev & 0xff];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint32_t LoadLE32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

uint32_t PortableRaw(uint32_t r, const uint8_t* p, size_t n) {
  while (n >= 8) {
    uint32_t lo = LoadLE32(p) ^ r;
    uint32_t hi = LoadLE32(p + 4);
    r = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    r = (r >> 8) ^ kTables[0][(r ^ *p) & 0xff];
    ++p;
    --n;
  }
  return r;
}

bool DetectHardware() {
#if HERONDB_CRC32C_HAVE_SSE42 && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

using RawFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

RawFn ChooseRaw() {
#if HERONDB_CRC32C_HAVE_SSE42
  if (DetectHardware()) return &internal::ExtendSse42Raw;
#endif
  return &PortableRaw;
}

}  // namespace

uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n) {
  return ~PortableRaw(~crc, static_cast<const uint8_t*>(data), n);
}

bool HardwareAvailable() {
  static const bool available = DetectHardware();
  return available;
}

uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n) {
#if HERONDB_CRC32C_HAVE_SSE42
  return ~internal::ExtendSse42Raw(~crc, static_cast<const uint8_t*>(data), n);
#else
  return ExtendPortable(crc, data, n);
#endif
}

uint32_t Extend(uint32_t crc, const void* data, size_t n) {
  static const RawFn fn = ChooseRaw();
  return ~fn(~crc, static_cast<const uint8_t*>(data), n);
}

const char* ImplementationName() { return HardwareAvailable() ? "sse4.2" : "portable"; }

}  // namespace herondb::crc32c
