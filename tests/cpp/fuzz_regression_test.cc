// The fuzz targets (tests/fuzz/fuzz_targets.h) as unit tests, built with any
// compiler: every input that once crashed a fuzzer is kept below (as bytes in
// the source, so no data file lives in the repository) and replayed, plus a
// deterministic sweep of truncations and byte flips of valid files. A target
// passes when it returns (any herondb::Error is caught inside it).
//
// To turn a fuzzer crash into a regression test: `xxd -i crash-<sha1>` and
// add the bytes to the target's list below.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ReadAll;
using testing::TempDir;

using Bytes = std::vector<uint8_t>;

Bytes FromString(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Per target: hostile inputs written by hand, and every input that crashed
// (or hung) a fuzzer, with a note on what it broke. None has crashed the
// current code.
const std::vector<Bytes> kWalInputs = {
    // A record header claiming a 4 GiB payload right after the file header.
    {1, 0x3e, 0x8d, 0x27, 0x11, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0},
};
const std::vector<Bytes> kJsonInputs = {
    FromString(R"({"records": [{"id": "a", "vector": [1e400, 0, 0, 0]}]})"),
    FromString(std::string(5000, '[')),
};

const std::vector<Bytes> kValueInputs = {
    // Tag 8 (an integer in [2^63, 2^64)) below 2^63: not canonical.
    {8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    // Tag 8 cut short, then with a trailing byte.
    {8, 0, 0, 0, 0, 0, 0, 0x80},
    {8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0},
    // A list of 2^64-1 and 2^63.
    {6, 2, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 0, 0, 0, 0, 0x80},
};

// Runs `target` on `input`, every prefix at `stride`, and every byte flipped
// (xor 0xff) at `stride`.
template <typename Target>
void Sweep(Target target, const Bytes& input, size_t stride) {
  target(input.data(), input.size());
  for (size_t n = 0; n < input.size(); n += stride) target(input.data(), n);
  for (size_t i = 0; i < input.size(); i += stride) {
    Bytes b = input;
    b[i] ^= 0xff;
    target(b.data(), b.size());
  }
}

// The files of a small real database.
struct Sample {
  Bytes current, snapshot, wal;
};

Sample MakeSample() {
  TempDir dir;
  DatabaseOptions o;
  o.dim = 4;
  o.threads = 1;
  uint64_t gen;
  {
    Database db(dir.path(), o);
    for (int i = 0; i < 4; ++i) {
      float v[4] = {1.0f + i, 2, 3, 4};
      Object m;
      m.emplace_back("i", Value(int64_t{i}));
      m.emplace_back("u", Value::OfUint(~uint64_t{0} - static_cast<uint64_t>(i)));
      std::string id = "r";
      id += std::to_string(i);  // (not "r" + ...: GCC 12's -Wrestrict false positive)
      db.Add(PutEntry{id, v, true, std::make_shared<const Value>(Value(std::move(m)))});
    }
    db.Save();
    float v[4] = {9, 9, 9, 9};
    db.Add(PutEntry{"logged", v, true, nullptr});
    db.Delete("r0");
    gen = db.generation();
  }
  Sample s;
  s.current = FromString(ReadAll(dir.File("CURRENT")));
  s.snapshot = FromString(ReadAll(dir.File(SnapshotFileName(gen))));
  s.wal = FromString(ReadAll(dir.File(LogFileName(gen))));
  return s;
}

TEST(FuzzRegressionTest, CurrentTargetSurvivesCrashInputsAndDamage) {
  fuzz::Current(nullptr, 0);
  Sweep(fuzz::Current, MakeSample().current, 1);
}

TEST(FuzzRegressionTest, SnapshotTargetSurvivesCrashInputsAndDamage) {
  fuzz::Snapshot(nullptr, 0);
  Sweep(fuzz::Snapshot, MakeSample().snapshot, 997);
}

TEST(FuzzRegressionTest, WalTargetSurvivesCrashInputsAndDamage) {
  for (const Bytes& b : kWalInputs) fuzz::Wal(b.data(), b.size());
  fuzz::Wal(nullptr, 0);
  // The WAL target replays into its own database: give it that database's
  // header (first byte odd) followed by the sample's records.
  Bytes wal = MakeSample().wal;
  Bytes input{1};
  input.insert(input.end(), wal.begin() + kLogHeaderSize, wal.end());
  Sweep(fuzz::Wal, input, 7);
  Sweep(fuzz::Wal, wal, 13);
}

TEST(FuzzRegressionTest, JsonTargetSurvivesCrashInputsAndDamage) {
  for (const Bytes& b : kJsonInputs) fuzz::Json(b.data(), b.size());
  Sweep(fuzz::Json,
        FromString(R"({"dim": 4, "records": [{"id": "a", "vector": [1, 2, 3, 4], )"
                   R"("metadata": {"k": [1, 2.5, "s\u00e9", null, true]}}]})"),
        3);
}

TEST(FuzzRegressionTest, ValueTargetSurvivesCrashInputsAndDamage) {
  for (const Bytes& b : kValueInputs) fuzz::ValueCodec(b.data(), b.size());
  fuzz::ValueCodec(nullptr, 0);
  Value deep;
  for (int i = 0; i < kMaxValueDepth; ++i) deep = Value(Array{std::move(deep)});
  for (const Value& v :
       {ParseJson(R"({"u": 18446744073709551615, "l": [9223372036854775808, -9223372036854775808,)"
                  R"( 1.5, -0.0, "s\u0000\u00e9", null, true, false, {"k": {}}]})"),
        deep}) {
    ASSERT_EQ(DecodeValue(EncodeValue(v)), v);  // a valid input: the target checks it whole
    ASSERT_EQ(ParseJson(ToJson(v)), v);
    Sweep(fuzz::ValueCodec, FromString(EncodeValue(v)), 1);
  }
}

}  // namespace
}  // namespace herondb
