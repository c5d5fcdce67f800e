// Reading wal.vctrs (contract in wal_file.h).
#include "herondb/vctrs/wal_file.h"

#include "herondb/common/error.h"
#include "herondb/meta/utf8.h"
#include "herondb/vctrs/byte_reader.h"
#include "herondb/vctrs/crc32_ieee.h"
#include "herondb/vctrs/format.h"

namespace herondb::vctrs {
namespace {

std::string ReadId(ByteReader& p) {
  const uint32_t len = p.U32("the id length");
  std::string_view id = p.Bytes(len, "the id");
  if (!IsValidUtf8(id)) p.Fail("the id is not valid UTF-8");
  return std::string(id);
}

void ReadVector(ByteReader& p, std::vector<float>* out) {
  const uint32_t len = p.U32("the vector length");
  if (uint64_t{len} * 4 > p.remaining()) p.Fail("the vector runs past the entry");
  out->resize(len);
  for (uint32_t i = 0; i < len; ++i) (*out)[i] = p.F32("a vector value");
}

std::string ReadMetadata(ByteReader& p) {
  const uint32_t len = p.U32("the metadata length");
  return std::string(p.Bytes(len, "the metadata"));
}

bool ReadFlag(ByteReader& p, const char* what) {
  const uint8_t f = p.U8(what);
  if (f > 1) p.Fail(std::string(what) + " is " + std::to_string(f) + ", not 0 or 1");
  return f == 1;
}

}  // namespace

WalFile ParseWalFile(std::string_view bytes, const std::string& name) {
  WalFile out;
  uint64_t pos = 0;
  while (pos < bytes.size()) {
    const uint64_t left = bytes.size() - pos;
    // op (1) + payload length (4) + checksum (4) at least.
    if (left < 9) {
      out.torn_tail_bytes = left;
      break;
    }
    const uint8_t op = static_cast<uint8_t>(bytes[pos]);
    uint32_t len = 0;
    for (int i = 4; i >= 1; --i) len = (len << 8) | static_cast<uint8_t>(bytes[pos + i]);
    if (uint64_t{len} + 9 > left) {
      out.torn_tail_bytes = left;
      break;
    }
    std::string_view body = bytes.substr(pos + 5, len);
    uint32_t stored = 0;
    for (int i = 3; i >= 0; --i)
      stored = (stored << 8) | static_cast<uint8_t>(bytes[pos + 5 + len + i]);
    const std::string where = name + " entry at offset " + std::to_string(pos);
    uint32_t crc = Crc32Ieee(&bytes[pos], 1);
    crc = Crc32Ieee(body.data(), body.size(), crc);
    if (crc != stored) Throw(ErrorCode::kCorruption, where + ": checksum mismatch");

    ByteReader p(body, where);
    WalEntry e;
    e.op = op;
    e.offset = pos;
    switch (op) {
      case kWalAdd:
        e.id = ReadId(p);
        ReadVector(p, &e.vector);
        e.has_vector = true;
        e.metadata_json = ReadMetadata(p);
        e.has_metadata = true;
        break;
      case kWalDelete:
        e.id = ReadId(p);
        break;
      case kWalUpdate:
        e.id = ReadId(p);
        e.has_vector = ReadFlag(p, "the has-vector flag");
        if (e.has_vector) ReadVector(p, &e.vector);
        e.has_metadata = ReadFlag(p, "the has-metadata flag");
        if (e.has_metadata) e.metadata_json = ReadMetadata(p);
        break;
      default:
        Throw(ErrorCode::kCorruption, where + ": unknown operation " + std::to_string(op));
    }
    if (!p.at_end()) p.Fail(std::to_string(p.remaining()) + " unexpected bytes in the entry");
    out.entries.push_back(std::move(e));
    pos += uint64_t{len} + 9;
  }
  return out;
}

}  // namespace herondb::vctrs
