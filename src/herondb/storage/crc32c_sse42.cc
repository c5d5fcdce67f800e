// CRC32C with the SSE4.2 crc32 instruction (compiled with -msse4.2 -mpclmul;
// called only after a run-time CPU check, see crc32c.cc).
//
// Long inputs are split into three equal blocks whose CRCs are computed in
// parallel (the instruction has a latency of 3 cycles and a throughput of 1)
// and then combined: for the raw CRC register r, processing A || B gives
// Z_|B|(r after A) ^ (r after B starting from 0), where Z_k, "append k zero
// bytes", is linear over GF(2) and is applied with four table look-ups.
#include <nmmintrin.h>

#include <array>
#include <cstring>

#include "herondb/storage/crc32c.h"

namespace herondb::crc32c::internal {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;
constexpr size_t kLongBlock = 8192;  // bytes per stream for large inputs
constexpr size_t kShortBlock = 256;  // bytes per stream for medium inputs

using Matrix = std::array<uint32_t, 32>;  // column i = image of bit i

constexpr uint32_t Apply(const Matrix& m, uint32_t x) {
  uint32_t r = 0;
  for (int i = 0; i < 32; ++i)
    if (x & (1u << i)) r ^= m[i];
  return r;
}

constexpr Matrix Multiply(const Matrix& a, const Matrix& b) {  // a after b
  Matrix r{};
  for (int i = 0; i < 32; ++i) r[i] = Apply(a, b[i]);
  return r;
}

// The operator "shift in `bytes` zero bytes" on the raw register.
constexpr Matrix ZeroBytesOperator(size_t bytes) {
  Matrix one_byte{};
  for (int i = 0; i < 32; ++i) {
    uint32_t r = 1u << i;
    for (int k = 0; k < 8; ++k) r = (r >> 1) ^ (kPoly & (0u - (r & 1u)));
    one_byte[i] = r;
  }
  Matrix result{};
  for (int i = 0; i < 32; ++i) result[i] = 1u << i;  // identity
  Matrix power = one_byte;
  while (bytes > 0) {
    if (bytes & 1) result = Multiply(power, result);
    power = Multiply(power, power);
    bytes >>= 1;
  }
  return result;
}

using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

constexpr ShiftTable MakeShiftTable(size_t bytes) {
  Matrix m = ZeroBytesOperator(bytes);
  ShiftTable t{};
  for (int j = 0; j < 4; ++j)
    for (uint32_t b = 0; b < 256; ++b) t[j][b] = Apply(m, b << (8 * j));
  return t;
}

constexpr ShiftTable kLongShift = MakeShiftTable(kLongBlock);
constexpr ShiftTable kShortShift = MakeShiftTable(kShortBlock);

inline uint32_t Shift(const ShiftTable& t, uint32_t r) {
  return t[0][r & 0xff] ^ t[1][(r >> 8) & 0xff] ^ t[2][(r >> 16) & 0xff] ^ t[3][r >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <size_t kBlock>
inline uint32_t ThreeWay(uint32_t r, const uint8_t* p, const ShiftTable& shift) {
  uint64_t c0 = r, c1 = 0, c2 = 0;
  const uint8_t* p1 = p + kBlock;
  const uint8_t* p2 = p + 2 * kBlock;
  for (size_t i = 0; i < kBlock; i += 8) {
    c0 = _mm_crc32_u64(c0, Load64(p + i));
    c1 = _mm_crc32_u64(c1, Load64(p1 + i));
    c2 = _mm_crc32_u64(c2, Load64(p2 + i));
  }
  uint32_t x = Shift(shift, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
  return Shift(shift, x) ^ static_cast<uint32_t>(c2);
}

}  // namespace

uint32_t ExtendSse42Raw(uint32_t raw, const uint8_t* p, size_t n) {
  uint32_t r = raw;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    r = _mm_crc32_u8(r, *p++);
    --n;
  }
  while (n >= 3 * kLongBlock) {
    r = ThreeWay<kLongBlock>(r, p, kLongShift);
    p += 3 * kLongBlock;
    n -= 3 * kLongBlock;
  }
  while (n >= 3 * kShortBlock) {
    r = ThreeWay<kShortBlock>(r, p, kShortShift);
    p += 3 * kShortBlock;
    n -= 3 * kShortBlock;
  }
  uint64_t c = r;
  while (n >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    n -= 8;
  }
  r = static_cast<uint32_t>(c);
  while (n > 0) {
    r = _mm_crc32_u8(r, *p++);
    --n;
  }
  return r;
}

}  // namespace herondb::crc32c::internal
