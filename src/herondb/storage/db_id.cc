// DbId: see db_id.h for the contract.
#include "herondb/storage/db_id.h"

#include <cstring>
#include <random>

namespace herondb {

DbId DbId::Random() {
  std::random_device rd;
  DbId id;
  do {
    for (size_t i = 0; i < kSize; i += 4) {
      const uint32_t v = rd();
      std::memcpy(id.bytes.data() + i, &v, 4);
    }
  } while (id.empty());
  return id;
}

DbId DbId::FromBytes(const char* p) {
  DbId id;
  std::memcpy(id.bytes.data(), p, kSize);
  return id;
}

bool DbId::empty() const {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

std::string DbId::ToString() const {
  if (empty()) return "none";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * kSize);
  for (uint8_t b : bytes) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

void DbId::AppendTo(std::string* dst) const {
  dst->append(reinterpret_cast<const char*>(bytes.data()), kSize);
}

}  // namespace herondb
