// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum of every herondb file.
//
// Contract:
// - Value(data, n) is the standard CRC32C (initial value ~0, final xor ~0),
//   e.g. Value("123456789", 9) == 0xE3069283. Extend(Value(a), b) equals
//   Value(a || b), so a checksum can be computed over data given in pieces.
// - Two implementations give identical results: a portable table-driven one
//   (slicing-by-8, ~1-2 GB/s) and, on x86-64 CPUs with SSE4.2, one built on
//   the crc32 instruction with three interleaved streams (~15-20 GB/s). The
//   choice is made once per process, at the first call, from the CPU's
//   features; Extend/Value always use the best available.
// - Mask/Unmask: a CRC stored inside data that is itself checksummed (a
//   record that embeds a CRC, a file of CRCs) is stored masked, so that the
//   CRC of data containing CRCs does not degenerate. Unmask(Mask(c)) == c.
// - Thread-safe, no allocation, any alignment of `data`, n may be 0.
#pragma once

#include <cstddef>
#include <cstdint>

namespace herondb::crc32c {

// CRC32C of `data[0, n)` continued from `crc`, the CRC32C of the preceding
// bytes (0 for none).
uint32_t Extend(uint32_t crc, const void* data, size_t n);

// CRC32C of `data[0, n)`.
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

// Rotates right by 15 bits and adds a constant.
inline constexpr uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

// Inverse of Mask.
inline constexpr uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// The individual implementations, for tests and benchmarks.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
// True when this build has the SSE4.2 path and this CPU supports it.
bool HardwareAvailable();
// The SSE4.2 path; callable only when HardwareAvailable().
uint32_t ExtendHardware(uint32_t crc, const void* data, size_t n);
// "sse4.2" or "portable": the implementation Extend uses.
const char* ImplementationName();

namespace internal {
// Defined in crc32c_sse42.cc (x86-64 builds only). Works on the raw CRC
// register (no initial/final inversion).
uint32_t ExtendSse42Raw(uint32_t raw, const uint8_t* p, size_t n);
}  // namespace internal

}  // namespace herondb::crc32c
