#include "herondb/db/log_records.h"

#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "herondb/common/error.h"
#include "herondb/meta/value_codec.h"

namespace herondb {
namespace {

static_assert(std::endian::native == std::endian::little,
              "log records store float32 values in the host's byte order");

constexpr uint8_t kHasVector = 1, kSetMeta = 2, kHasMeta = 4;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  for (; v >= 0x80; v >>= 7) ++n;
  return n;
}

// A bounds-checked cursor over a payload.
class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  size_t pos() const { return pos_; }

  uint8_t Byte() {
    Need(1);
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = Byte();
      if (shift == 63 && b > 1) Fail("varint overflows 64 bits");
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0) Fail("varint not in shortest form");
        return v;
      }
    }
    Fail("varint too long");
  }
  std::string_view Bytes(uint64_t n) {
    Need(n);
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void Need(uint64_t n) const {
    if (n > in_.size() - pos_) Fail("truncated payload");
  }
  [[noreturn]] void Fail(const std::string& what) const {
    Throw(ErrorCode::kCorruption,
          "log record: " + what + " at payload byte " + std::to_string(pos_));
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

std::string_view ReadId(Cursor* c) {
  uint64_t n = c->Varint();
  if (n == 0) c->Fail("empty id");
  return c->Bytes(n);
}

}  // namespace

void EncodePutRecord(PutOp op, const std::vector<PutRecordView>& entries, uint32_t dim,
                     std::string* out) {
  // The metadata is encoded first and the record's exact size reserved:
  // growing a record of a large batch by doubling would hold the old and
  // the new buffer at once (a 150 MiB batch peaked ~60 MiB higher).
  std::string metas;
  std::vector<size_t> meta_end(entries.size(), 0);
  size_t bytes = 1 + VarintSize(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const PutRecordView& e = entries[i];
    const size_t before = metas.size();
    if (e.set_metadata && e.metadata) EncodeValue(*e.metadata, &metas);
    meta_end[i] = metas.size();
    bytes += VarintSize(e.id.size()) + e.id.size() + 1 +
             (e.vector ? size_t{dim} * sizeof(float) : 0) +
             (e.set_metadata && e.metadata ? VarintSize(metas.size() - before) : 0) +
             (metas.size() - before);
  }
  out->clear();
  out->reserve(bytes);
  out->push_back(static_cast<char>(op));
  PutVarint(out, entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const PutRecordView& e = entries[i];
    PutBytes(out, e.id);
    uint8_t flags = (e.vector ? kHasVector : 0) | (e.set_metadata ? kSetMeta : 0) |
                    (e.set_metadata && e.metadata ? kHasMeta : 0);
    out->push_back(static_cast<char>(flags));
    if (e.vector) out->append(reinterpret_cast<const char*>(e.vector), size_t{dim} * sizeof(float));
    if (flags & kHasMeta) {
      const size_t begin = i ? meta_end[i - 1] : 0;
      PutBytes(out, std::string_view(metas).substr(begin, meta_end[i] - begin));
    }
  }
}

void EncodeDeleteRecord(const std::vector<std::string_view>& ids, std::string* out) {
  out->clear();
  PutVarint(out, ids.size());
  for (std::string_view id : ids) PutBytes(out, id);
}

void DecodePutRecord(std::string_view payload, uint32_t dim, PutOp* op,
                     std::vector<LoggedPut>* entries) {
  Cursor c(payload);
  uint8_t raw_op = c.Byte();
  if (raw_op < 1 || raw_op > 3) c.Fail("unknown put operation " + std::to_string(raw_op));
  *op = static_cast<PutOp>(raw_op);
  uint64_t count = c.Varint();
  if (count == 0) c.Fail("empty put batch");
  // Every entry takes at least 3 bytes: bound the reservation by the input.
  if (count > payload.size() / 3) c.Fail("entry count larger than the payload");
  entries->clear();
  entries->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    LoggedPut e;
    e.id = std::string(ReadId(&c));
    uint8_t flags = c.Byte();
    if (flags & ~(kHasVector | kSetMeta | kHasMeta)) c.Fail("unknown entry flags");
    if ((flags & kHasMeta) && !(flags & kSetMeta)) c.Fail("metadata without its set flag");
    if (flags & kHasVector) {
      std::string_view raw = c.Bytes(size_t{dim} * sizeof(float));
      e.vector.resize(dim);
      std::memcpy(e.vector.data(), raw.data(), raw.size());
    }
    e.set_metadata = (flags & kSetMeta) != 0;
    if (flags & kHasMeta) {
      std::string_view bytes = c.Bytes(c.Varint());
      e.metadata = std::make_shared<const Value>(DecodeValue(bytes));
    }
    entries->push_back(std::move(e));
  }
  if (!c.done()) c.Fail("trailing bytes");
}

void DecodeDeleteRecord(std::string_view payload, std::vector<std::string>* ids) {
  Cursor c(payload);
  uint64_t count = c.Varint();
  if (count > payload.size() / 2) c.Fail("id count larger than the payload");
  ids->clear();
  ids->reserve(count);
  for (uint64_t i = 0; i < count; ++i) ids->emplace_back(ReadId(&c));
  if (!c.done()) c.Fail("trailing bytes");
}

void EncodeTextIndexRecord(TextIndexOp op, const text::TextIndexDef& def, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(op));
  text::EncodeTextIndexDef(def, out);
}

void DecodeTextIndexRecord(std::string_view payload, TextIndexOp* op, text::TextIndexDef* def) {
  Cursor c(payload);
  const uint8_t raw = c.Byte();
  if (raw != 1 && raw != 2) c.Fail("unknown text index operation " + std::to_string(raw));
  *op = static_cast<TextIndexOp>(raw);
  std::string_view rest = payload.substr(1);
  *def = text::DecodeTextIndexDef(&rest);
  if (!rest.empty()) Throw(ErrorCode::kCorruption, "log record: trailing bytes");
}

}  // namespace herondb
