#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"
#include "herondb/storage/fault_injection_env.h"
#include "herondb/storage/snapshot_file.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

std::string Bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

struct Sample {
  std::string vectors = Bytes(3 * 4096 + 123, 1);
  std::string ids = Bytes(777, 2);
  std::string config = "dim=4";
};

void WriteSample(Env* env, const std::string& path, const Sample& s) {
  SnapshotWriter w(env, path, 42, 7);
  w.AddSection(1, s.config.data(), s.config.size());
  w.BeginSection(2);
  for (size_t i = 0; i < s.vectors.size(); i += 1000) {
    w.Append(s.vectors.data() + i, std::min<size_t>(1000, s.vectors.size() - i));
  }
  w.EndSection();
  w.AddSection(3, s.ids.data(), s.ids.size());
  w.AddSection(4, nullptr, 0);
  w.Finish();
}

std::string AsString(std::optional<std::span<const char>> s) {
  return s ? std::string(s->data(), s->size()) : "<absent>";
}

TEST(SnapshotFileTest, RoundTripsSectionsAndHeaderFields) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("snapshot-000001.hdb");
  WriteSample(Env::Default(), path, s);
  auto r = SnapshotReader::Open(Env::Default(), path);
  EXPECT_EQ(r.generation(), 42u);
  EXPECT_EQ(r.flags(), 7u);
  EXPECT_EQ(r.format_version(), kSnapshotFormatVersion);
  EXPECT_EQ(AsString(r.Section(1)), s.config);
  EXPECT_EQ(AsString(r.Section(2)), s.vectors);
  EXPECT_EQ(AsString(r.Section(3)), s.ids);
  EXPECT_EQ(AsString(r.Section(4)), "");
  EXPECT_FALSE(r.Section(5).has_value());
  EXPECT_EQ(r.sections().size(), 4u);
  EXPECT_EQ(r.file_size(), ReadAll(path).size());
}

TEST(SnapshotFileTest, SectionsArePageAlignedAndMappableSeparately) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  auto r = SnapshotReader::Open(Env::Default(), path);
  for (const auto& sec : r.sections()) {
    EXPECT_EQ(sec.offset % kSnapshotAlignment, 0u) << sec.tag;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(r.Section(sec.tag)->data()) % 4096, 0u);
  }
  auto sec = r.Find(2);
  ASSERT_TRUE(sec.has_value());
  auto g = GrowableRegion::FromFd(r.fd(), r.path(), sec->offset, sec->length, 1 << 20);
  EXPECT_EQ(std::string(g.data(), g.size()), s.vectors);
  g.EnsureSize(g.size() + 4096);
  g.data()[0] ^= 1;  // private: the snapshot is untouched
  EXPECT_EQ(AsString(r.Section(2)), s.vectors);
}

TEST(SnapshotFileTest, CopySectionReadsTheBytesAndVerifiesTheirChecksum) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  auto sec = SnapshotReader::Open(Env::Default(), path).Find(2);
  ASSERT_TRUE(sec.has_value());
  {
    auto r = SnapshotReader::Open(Env::Default(), path, /*verify_checksums=*/false);
    std::string copy(sec->length, '\0');
    r.CopySection(*sec, copy.data());
    EXPECT_EQ(copy, s.vectors);
  }
  // Damage section 2: a copy detects it, and so does VerifyChecksums unless
  // told to skip that section.
  std::string bytes = ReadAll(path);
  bytes[sec->offset + 5000] ^= 0x04;
  WriteAll(path, bytes);
  auto r = SnapshotReader::Open(Env::Default(), path, /*verify_checksums=*/false);
  std::string copy(sec->length, '\0');
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { r.CopySection(*sec, copy.data()); });
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  ExpectError(ErrorCode::kCorruption, [&] { r.VerifyChecksums(); });
  ExpectError(ErrorCode::kCorruption, [&] { r.VerifySection(*sec); });
  const uint32_t skip[] = {2};
  EXPECT_NO_THROW(r.VerifyChecksums(skip));
}

TEST(SnapshotFileTest, CopySectionOfAFileCutShortAfterOpeningIsCorruption) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  auto r = SnapshotReader::Open(Env::Default(), path, /*verify_checksums=*/false);
  auto sec = r.Find(2);
  ASSERT_TRUE(sec.has_value());
  // Cut inside section 2 (never touched through the reader's mapping here:
  // CopySection reads with pread).
  std::filesystem::resize_file(path, sec->offset + sec->length / 2);
  std::string copy(sec->length, '\0');
  std::string msg = ExpectError(ErrorCode::kCorruption, [&] { r.CopySection(*sec, copy.data()); });
  EXPECT_NE(msg.find("ends early"), std::string::npos) << msg;
}

TEST(SnapshotFileTest, EmptySnapshotHasNoSections) {
  TempDir dir;
  std::string path = dir.File("s");
  SnapshotWriter(Env::Default(), path).Finish();
  auto r = SnapshotReader::Open(Env::Default(), path);
  EXPECT_TRUE(r.sections().empty());
}

TEST(SnapshotFileTest, WriterMisuseIsInvalidArgument) {
  TempDir dir;
  SnapshotWriter w(Env::Default(), dir.File("s"));
  w.AddSection(1, "a", 1);
  ExpectError(ErrorCode::kInvalidArgument, [&] { w.AddSection(1, "b", 1); });
  ExpectError(ErrorCode::kInvalidArgument, [&] { w.Append("b", 1); });
  w.BeginSection(2);
  ExpectError(ErrorCode::kInvalidArgument, [&] { w.Finish(); });
}

TEST(SnapshotFileTest, UnfinishedWriterRemovesItsFile) {
  TempDir dir;
  std::string path = dir.File("s");
  {
    SnapshotWriter w(Env::Default(), path);
    w.AddSection(1, "abc", 3);
  }
  EXPECT_FALSE(Env::Default()->FileExists(path));
}

TEST(SnapshotFileTest, FailedWriteOrSyncIsReportedAndLeavesNoFile) {
  for (bool fail_sync : {false, true}) {
    TempDir dir;
    FaultInjectionEnv env;
    std::string path = dir.File("s");
    if (fail_sync) {
      env.FailSyncAfter(0, EIO);
    } else {
      env.FailWriteAfter(0, ENOSPC);
    }
    try {
      Sample s;
      WriteSample(&env, path, s);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kIOError);
      EXPECT_EQ(e.sys_errno(), fail_sync ? EIO : ENOSPC);
    }
    EXPECT_FALSE(env.FileExists(path));
  }
}

TEST(SnapshotFileTest, EveryTruncationIsCorruption) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  std::string full = ReadAll(path);
  std::string cut_path = dir.File("cut");
  for (size_t cut = 0; cut < full.size();
       cut += (cut < 64 || (cut > 4090 && cut < 4200) || cut + 300 > full.size()) ? 1 : 61) {
    WriteAll(cut_path, full.substr(0, cut));
    std::string msg = ExpectError(ErrorCode::kCorruption,
                                  [&] { SnapshotReader::Open(Env::Default(), cut_path); });
    ASSERT_NE(msg.find(cut_path + ": "), std::string::npos) << msg;
    ASSERT_NE(msg.find(" at offset "), std::string::npos) << msg;
  }
  WriteAll(cut_path, full + "x");  // extended
  ExpectError(ErrorCode::kCorruption, [&] { SnapshotReader::Open(Env::Default(), cut_path); });
}

TEST(SnapshotFileTest, EveryFlippedByteIsCorruptionOrHarmlessPadding) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  std::string full = ReadAll(path);
  auto good = SnapshotReader::Open(Env::Default(), path);
  std::vector<SnapshotSection> secs = good.sections();
  auto in_data = [&](size_t pos) {
    for (const auto& sec : secs) {
      if (pos >= sec.offset && pos < sec.offset + sec.length) return true;
    }
    return false;
  };
  std::string bad_path = dir.File("bad");
  std::mt19937 rng(7);
  int corrupt = 0, harmless = 0;
  for (size_t pos = 0; pos < full.size(); ++pos) {
    bool interesting = pos < 40 || pos + 300 > full.size() || rng() % 40 == 0;
    if (!interesting) continue;
    std::string bad = full;
    bad[pos] ^= static_cast<char>(1 + rng() % 255);
    WriteAll(bad_path, bad);
    try {
      auto r = SnapshotReader::Open(Env::Default(), bad_path);
      // Only padding may change without notice; the data must be intact.
      ASSERT_FALSE(in_data(pos)) << "undetected flip in section data at " << pos;
      ASSERT_EQ(AsString(r.Section(1)), s.config);
      ASSERT_EQ(AsString(r.Section(2)), s.vectors);
      ASSERT_EQ(AsString(r.Section(3)), s.ids);
      ++harmless;
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
      ++corrupt;
    }
  }
  EXPECT_GT(corrupt, 0);
  EXPECT_GT(harmless, 0);
}

TEST(SnapshotFileTest, RandomGarbageAndMultiByteDamageNeverCrash) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  std::string full = ReadAll(path);
  std::string bad_path = dir.File("bad");
  std::mt19937_64 rng(11);
  for (int iter = 0; iter < 300; ++iter) {
    std::string bad = full;
    int flips = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] = static_cast<char>(rng());
    if (iter % 3 == 0) bad.resize(rng() % bad.size());
    WriteAll(bad_path, bad);
    try {
      auto r = SnapshotReader::Open(Env::Default(), bad_path, iter % 2 == 0);
      for (const auto& sec : r.sections()) {
        auto span = r.Section(sec.tag);
        char sink = 0;
        for (char c : *span) sink = static_cast<char>(sink ^ c);  // in bounds under ASan
        EXPECT_GE(static_cast<int>(sink), -128);
      }
    } catch (const Error& e) {
      ASSERT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
    }
  }
}

TEST(SnapshotFileTest, ChecksumVerificationIsFast) {
  TempDir dir;
  std::string path = dir.File("big");
  std::string data = Bytes(64 << 20, 3);
  {
    SnapshotWriter w(Env::Default(), path);
    w.AddSection(1, data.data(), data.size());
    w.Finish();
  }
  auto t0 = std::chrono::steady_clock::now();
  auto r = SnapshotReader::Open(Env::Default(), path, true);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("open+verify 64 MiB: %.1f ms (%.2f GB/s)\n", s * 1e3, 64.0 * (1 << 20) / s / 1e9);
  EXPECT_EQ(r.Section(1)->size(), data.size());
}

TEST(SnapshotFileTest, NewerVersionIsCorruptionNamingIt) {
  TempDir dir;
  Sample s;
  std::string path = dir.File("s");
  WriteSample(Env::Default(), path, s);
  std::string full = ReadAll(path);
  full[8] = 9;  // version 9, header crc now wrong too: still corruption
  WriteAll(path, full);
  ExpectError(ErrorCode::kCorruption, [&] { SnapshotReader::Open(Env::Default(), path); });
}

TEST(SnapshotFileTest, HeaderRecordsTheDatabaseIdUnderItsOwnChecksum) {
  TempDir dir;
  const std::string path = dir.File("s");
  const DbId id = DbId::Random();
  {
    SnapshotWriter w(Env::Default(), path, 3, 0, id);
    w.AddSection(1, "abc", 3);
    w.Finish();
  }
  EXPECT_EQ(SnapshotReader::Open(Env::Default(), path).db_id(), id);
  std::string good = ReadAll(path);
  for (size_t at : {32, 40, 47, 48, 51}) {
    std::string bad = good;
    bad[at] ^= 0x10;
    WriteAll(path, bad);
    std::string msg =
        ExpectError(ErrorCode::kCorruption, [&] { SnapshotReader::Open(Env::Default(), path); });
    EXPECT_NE(msg.find("database id checksum"), std::string::npos) << msg;
  }
}

TEST(SnapshotFileTest, VersionOneFileReadsWithoutAnId) {
  TempDir dir;
  const std::string path = dir.File("s");
  {
    SnapshotWriter w(Env::Default(), path, 3);
    w.AddSection(1, "abc", 3);
    w.Finish();
  }
  // Rewrite as version 1: no id fields, version 1 in header and footer.
  std::string s = ReadAll(path);
  storage::EncodeFixed32(s.data() + 8, 1);
  storage::EncodeFixed32(s.data() + 28, crc32c::Mask(crc32c::Value(s.data(), 28)));
  std::fill(s.begin() + 32, s.begin() + 52, '\0');
  char* f = s.data() + s.size() - kSnapshotFooterSize;
  storage::EncodeFixed32(f + 16, 1);
  storage::EncodeFixed32(f + 20, crc32c::Mask(crc32c::Value(f, 20)));
  WriteAll(path, s);
  SnapshotReader r = SnapshotReader::Open(Env::Default(), path);
  EXPECT_EQ(r.format_version(), 1u);
  EXPECT_TRUE(r.db_id().empty());
  EXPECT_EQ(std::string(r.Section(1)->data(), 3), "abc");
}

}  // namespace
}  // namespace herondb
