// The contents of write-ahead log records: one record per mutating call
// (a batch is one record), encoded by the Database before it changes
// anything and decoded when the log is replayed at open.
//
// Payload formats (all integers little-endian; "varint" is unsigned LEB128
// in its shortest form; float32 values are raw IEEE-754 binary32):
//   kPut (log type 1):
//     u8 op               1 add, 2 upsert, 3 update
//     varint count        entries that follow, >= 1
//     entry :=  varint id_length | id bytes (UTF-8, non-empty)
//               u8 flags      bit 0: a vector follows
//                             bit 1: the metadata is set by this entry
//                             bit 2: ...to a value (a codec Value follows);
//                                    without it, set to "no metadata"
//               [dim x f32]   when bit 0
//               [varint n | n bytes of meta/value_codec.h]  when bit 2
//   kDelete (log type 2):
//     varint count | count x (varint id_length | id bytes)
//   kTextIndex (log type 3): create or drop a text index
//     u8 op               1 create, 2 drop
//     definition          text/text_index_def.h (field, language, k1, b);
//                         a drop names the field (the rest is ignored)
//   Any other type, unknown flag bits, an op outside 1..3, or bytes left
//   over is corruption.
//
// Contract: Encode* produce the payload; Decode* parse one and throw
// Error(kCorruption, "<what>") on any malformed input without reading
// outside it. Decoded entries own their ids, vectors and metadata.
// The caller (the Database) adds the file name and offset to messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herondb/meta/value.h"
#include "herondb/text/text_index_def.h"

namespace herondb {

enum class LogRecordType : uint8_t { kPut = 1, kDelete = 2, kTextIndex = 3 };
enum class TextIndexOp : uint8_t { kCreate = 1, kDrop = 2 };
enum class PutOp : uint8_t { kAdd = 1, kUpsert = 2, kUpdate = 3 };

// One put as it travels through the log; `vector` is empty when the entry
// keeps the stored vector.
struct LoggedPut {
  std::string id;
  std::vector<float> vector;
  bool set_metadata = true;
  ValuePtr metadata;  // null: no metadata
};

struct PutRecordView {
  std::string_view id;
  const float* vector = nullptr;  // null: keep the stored vector
  bool set_metadata = true;
  const Value* metadata = nullptr;  // null: no metadata
};

void EncodePutRecord(PutOp op, const std::vector<PutRecordView>& entries, uint32_t dim,
                     std::string* out);
void EncodeDeleteRecord(const std::vector<std::string_view>& ids, std::string* out);

void DecodePutRecord(std::string_view payload, uint32_t dim, PutOp* op,
                     std::vector<LoggedPut>* entries);
void DecodeDeleteRecord(std::string_view payload, std::vector<std::string>* ids);

void EncodeTextIndexRecord(TextIndexOp op, const text::TextIndexDef& def, std::string* out);
void DecodeTextIndexRecord(std::string_view payload, TextIndexOp* op, text::TextIndexDef* def);

}  // namespace herondb
