#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "herondb/storage/coding.h"
#include "herondb/storage/crc32c.h"
#include "herondb/storage/fault_injection_env.h"
#include "herondb/storage/log_format.h"
#include "herondb/storage/log_reader.h"
#include "herondb/storage/log_writer.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

struct Rec {
  uint8_t type;
  std::string payload;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> ReadLog(const std::string& path, uint64_t* valid_end = nullptr) {
  LogReader r(Env::Default(), path);
  std::vector<Rec> out;
  Rec rec;
  while (r.ReadRecord(&rec.type, &rec.payload)) out.push_back(rec);
  if (valid_end) *valid_end = r.valid_end();
  return out;
}

std::string Payload(int i, size_t n) {
  std::string s(n, '\0');
  std::mt19937 rng(i);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<Rec> WriteSample(const std::string& path, int n) {
  auto w = LogWriter::Create(Env::Default(), path, 7);
  std::vector<Rec> recs;
  for (int i = 0; i < n; ++i) {
    recs.push_back({static_cast<uint8_t>(1 + i % 3), Payload(i, 10 + 37 * i)});
    w->AddRecord(recs.back().type, recs.back().payload, false);
  }
  return recs;
}

// Offsets at which each record starts, plus the end of the file.
std::vector<uint64_t> RecordOffsets(const std::vector<Rec>& recs) {
  std::vector<uint64_t> offs{kLogHeaderSize};
  for (const Rec& r : recs) offs.push_back(offs.back() + kRecordHeaderSize + r.payload.size());
  return offs;
}

TEST(LogTest, RoundTripsRecordsInOrder) {
  TempDir dir;
  std::string path = dir.File("wal-1.log");
  auto recs = WriteSample(path, 50);
  LogReader r(Env::Default(), path);
  EXPECT_EQ(r.log_number(), 7u);
  std::vector<Rec> got;
  Rec rec;
  while (r.ReadRecord(&rec.type, &rec.payload)) got.push_back(rec);
  EXPECT_EQ(got, recs);
  EXPECT_EQ(r.valid_end(), r.file_size());
  EXPECT_EQ(r.dropped_bytes(), 0u);
  EXPECT_EQ(r.valid_end(), RecordOffsets(recs).back());
}

TEST(LogTest, EmptyPayloadsAndAnEmptyLog) {
  TempDir dir;
  std::string path = dir.File("l");
  auto w = LogWriter::Create(Env::Default(), path, 1);
  EXPECT_TRUE(ReadLog(path).empty());
  w->AddRecord(5, "", true);
  w->AddRecord(6, "", false);
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{5, ""}, {6, ""}}));
}

TEST(LogTest, LargeRecordsOfManyMegabytes) {
  TempDir dir;
  std::string path = dir.File("l");
  auto w = LogWriter::Create(Env::Default(), path, 1);
  std::string big = Payload(1, 12 << 20);
  w->AddRecord(1, big, false);
  w->AddRecord(2, "after", true);
  auto recs = ReadLog(path);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[0].payload == big);
  EXPECT_EQ(recs[1].payload, "after");
}

TEST(LogTest, RecordsSurviveWithoutSyncOrClose) {
  TempDir dir;
  std::string path = dir.File("l");
  auto w = LogWriter::Create(Env::Default(), path, 1);
  w->AddRecord(1, "visible", false);
  // The writer is still open and never synced: another reader sees it.
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{1, "visible"}}));
}

TEST(LogTest, RejectsTypeZero) {
  TempDir dir;
  auto w = LogWriter::Create(Env::Default(), dir.File("l"), 1);
  ExpectError(ErrorCode::kInvalidArgument, [&] { w->AddRecord(0, "x", false); });
}

TEST(LogTest, TornTailAtEveryTruncationPointOfTheLastRecordIsDropped) {
  TempDir dir;
  std::string path = dir.File("l");
  auto recs = WriteSample(path, 6);
  std::string full = ReadAll(path);
  auto offs = RecordOffsets(recs);
  uint64_t last_start = offs[offs.size() - 2];
  std::vector<Rec> expect(recs.begin(), recs.end() - 1);
  for (uint64_t cut = last_start; cut < full.size(); ++cut) {
    WriteAll(path, full.substr(0, cut));
    uint64_t valid_end = 0;
    ASSERT_EQ(ReadLog(path, &valid_end), expect) << "cut=" << cut;
    ASSERT_EQ(valid_end, last_start);
  }
}

TEST(LogTest, ZeroFilledTailIsDropped) {
  TempDir dir;
  std::string path = dir.File("l");
  auto recs = WriteSample(path, 4);
  std::string full = ReadAll(path);
  auto offs = RecordOffsets(recs);
  // Power loss: the last record's blocks read back as zeros, and more zeros.
  std::string damaged = full.substr(0, offs[3]) + std::string(full.size() - offs[3] + 5000, '\0');
  WriteAll(path, damaged);
  uint64_t valid_end = 0;
  EXPECT_EQ(ReadLog(path, &valid_end), std::vector<Rec>(recs.begin(), recs.begin() + 3));
  EXPECT_EQ(valid_end, offs[3]);
}

TEST(LogTest, FileShorterThanItsHeaderIsCorruption) {
  // The header is synced before CURRENT names the log: a short file is
  // damage, never a torn tail (issue 11, defect 3).
  TempDir dir;
  std::string path = dir.File("l");
  WriteSample(path, 1);
  std::string full = ReadAll(path);
  for (size_t cut = 0; cut < kLogHeaderSize; ++cut) {
    WriteAll(path, full.substr(0, cut));
    std::string msg =
        ExpectError(ErrorCode::kCorruption, [&] { LogReader r(Env::Default(), path); });
    EXPECT_NE(msg.find("shorter than its header"), std::string::npos) << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
  ExpectError(ErrorCode::kCorruption, [&] { LogWriter::Open(Env::Default(), path, 9, 0); });
}

TEST(LogTest, HeaderRecordsTheDatabaseId) {
  TempDir dir;
  std::string path = dir.File("l");
  const DbId id = DbId::Random();
  auto w = LogWriter::Create(Env::Default(), path, 4, id);
  w->AddRecord(1, "x", false);
  w.reset();
  LogReader r(Env::Default(), path);
  EXPECT_EQ(r.db_id(), id);
  EXPECT_EQ(r.format_version(), kLogFormatVersion);
  EXPECT_EQ(r.header_size(), kLogHeaderSize);
  EXPECT_EQ(r.log_number(), 4u);
}

// The version-1 layout (before database ids): 32-byte header.
std::string EncodeV1Header(uint64_t log_number) {
  std::string h(kLogMagic, sizeof kLogMagic);
  storage::PutFixed32(&h, 1);
  storage::PutFixed32(&h, 0);
  storage::PutFixed64(&h, log_number);
  storage::PutFixed32(&h, 0);
  storage::PutFixed32(&h, crc32c::Mask(crc32c::Value(h.data(), h.size())));
  return h;
}

TEST(LogTest, Version1LogStillReadsAndAppends) {
  TempDir dir;
  std::string path = dir.File("l");
  {
    // A v1 file: the v1 header, then records as LogWriter writes them.
    auto w = LogWriter::Create(Env::Default(), path, 5);
    w->AddRecord(3, "old", false);
    w.reset();
    std::string body = ReadAll(path).substr(kLogHeaderSize);
    WriteAll(path, EncodeV1Header(5) + body);
  }
  LogReader r(Env::Default(), path);
  EXPECT_EQ(r.format_version(), 1u);
  EXPECT_EQ(r.header_size(), kLogHeaderSizeV1);
  EXPECT_TRUE(r.db_id().empty());
  uint8_t t;
  std::string p;
  ASSERT_TRUE(r.ReadRecord(&t, &p));
  EXPECT_EQ(p, "old");
  EXPECT_FALSE(r.ReadRecord(&t, &p));
  auto w = LogWriter::Open(Env::Default(), path, 5, r.valid_end(), r.header_size());
  w->AddRecord(3, "new", false);
  w->Reset();
  EXPECT_EQ(w->size(), kLogHeaderSizeV1);
  w->AddRecord(3, "after-reset", false);
  w.reset();
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{3, "after-reset"}}));
}

TEST(LogTest, DamagedFileHeaderIsCorruptionAtOffsetZero) {
  TempDir dir;
  std::string path = dir.File("l");
  WriteSample(path, 2);
  std::string full = ReadAll(path);
  for (size_t i = 0; i < kLogHeaderSize; ++i) {
    std::string bad = full;
    bad[i] ^= 0x01;
    WriteAll(path, bad);
    std::string msg =
        ExpectError(ErrorCode::kCorruption, [&] { LogReader r(Env::Default(), path); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("at offset"), std::string::npos) << msg;
  }
}

TEST(LogTest, FlippedByteInAMiddleRecordIsCorruptionNamingItsOffset) {
  TempDir dir;
  std::string path = dir.File("l");
  auto recs = WriteSample(path, 5);
  std::string full = ReadAll(path);
  auto offs = RecordOffsets(recs);
  for (size_t rec = 0; rec + 1 < recs.size(); ++rec) {  // every record but the last
    for (uint64_t pos = offs[rec]; pos < offs[rec + 1]; ++pos) {
      std::string bad = full;
      bad[pos] ^= 0x20;
      WriteAll(path, bad);
      std::string msg = ExpectError(ErrorCode::kCorruption, [&] { ReadLog(path); });
      ASSERT_NE(msg.find(path + ": bad record"), std::string::npos) << msg;
      ASSERT_NE(msg.find("at offset " + std::to_string(offs[rec])), std::string::npos)
          << "pos=" << pos << " " << msg;
    }
  }
}

TEST(LogTest, FlippedByteInTheLastRecordIsATornTail) {
  TempDir dir;
  std::string path = dir.File("l");
  auto recs = WriteSample(path, 4);
  std::string full = ReadAll(path);
  auto offs = RecordOffsets(recs);
  std::vector<Rec> expect(recs.begin(), recs.end() - 1);
  for (uint64_t pos = offs[3]; pos < offs[4]; ++pos) {
    std::string bad = full;
    bad[pos] ^= 0x20;
    WriteAll(path, bad);
    uint64_t valid_end;
    ASSERT_EQ(ReadLog(path, &valid_end), expect) << "pos=" << pos;
    ASSERT_EQ(valid_end, offs[3]);
  }
}

TEST(LogTest, WriterReopenCutsTheTornTailBeforeAppending) {
  TempDir dir;
  std::string path = dir.File("l");
  auto recs = WriteSample(path, 3);
  std::string full = ReadAll(path);
  WriteAll(path, full.substr(0, full.size() - 3));
  LogReader r(Env::Default(), path);
  Rec rec;
  while (r.ReadRecord(&rec.type, &rec.payload)) {
  }
  EXPECT_GT(r.dropped_bytes(), 0u);
  auto w = LogWriter::Open(Env::Default(), path, r.log_number(), r.valid_end());
  w->AddRecord(9, "new", false);
  std::vector<Rec> expect{recs[0], recs[1], {9, "new"}};
  EXPECT_EQ(ReadLog(path), expect);
}

TEST(LogTest, ResetLeavesAnEmptyLogThatAcceptsRecords) {
  TempDir dir;
  std::string path = dir.File("l");
  auto w = LogWriter::Create(Env::Default(), path, 3);
  w->AddRecord(1, "a", false);
  w->Reset();
  EXPECT_EQ(w->size(), kLogHeaderSize);
  EXPECT_TRUE(ReadLog(path).empty());
  w->AddRecord(1, "b", false);
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{1, "b"}}));
  w->Close();
  w->Close();
  ExpectError(ErrorCode::kIOError, [&] { w->AddRecord(1, "c", false); });
}

TEST(LogTest, GroupCommitSharesFsyncsAmongConcurrentWriters) {
  TempDir dir;
  std::string path = dir.File("l");
  FaultInjectionEnv env;
  auto w = LogWriter::Create(&env, path, 1);
  env.ResetCounters();
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        w->AddRecord(static_cast<uint8_t>(t + 1), std::to_string(t) + ":" + std::to_string(i),
                     true);
      }
    });
  }
  for (auto& th : threads) th.join();
  auto recs = ReadLog(path);
  ASSERT_EQ(recs.size(), size_t{kThreads * kPerThread});
  // Each thread's records appear in its own order.
  std::vector<int> next(kThreads, 0);
  for (const Rec& r : recs) {
    int t = r.type - 1;
    EXPECT_EQ(r.payload, std::to_string(t) + ":" + std::to_string(next[t]++));
  }
  std::printf("%d sync records: %llu fsyncs, %llu writes\n", kThreads * kPerThread,
              static_cast<unsigned long long>(env.sync_count()),
              static_cast<unsigned long long>(env.write_count()));
  EXPECT_LT(env.sync_count(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(env.sync_count(), env.write_count());  // one fsync per group write
}

TEST(LogTest, FailedWriteLeavesExactlyThePriorRecords) {
  for (size_t partial : {size_t{0}, size_t{5}, size_t{20}, size_t{1000}}) {
    TempDir dir;
    std::string path = dir.File("l");
    FaultInjectionEnv env;
    auto w = LogWriter::Create(&env, path, 1);
    w->AddRecord(1, "one", false);
    w->AddRecord(1, "two", false);
    env.SetPartialWrite(partial);
    env.FailWriteAfter(0, ENOSPC);
    try {
      w->AddRecord(1, std::string(500, 'x'), false);
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kIOError);
      EXPECT_EQ(e.sys_errno(), ENOSPC);
    }
    uint64_t valid_end;
    EXPECT_EQ(ReadLog(path, &valid_end), (std::vector<Rec>{{1, "one"}, {1, "two"}}));
    EXPECT_EQ(valid_end, testing::ReadAll(path).size());  // nothing left behind
    w->AddRecord(1, "three", false);                      // the writer keeps working
    EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{1, "one"}, {1, "two"}, {1, "three"}}));
  }
}

TEST(LogTest, FailedSyncIsReportedAndTheRecordIsNotKept) {
  TempDir dir;
  std::string path = dir.File("l");
  FaultInjectionEnv env;
  auto w = LogWriter::Create(&env, path, 1);
  w->AddRecord(1, "kept", true);
  env.FailSyncAfter(0, EIO);
  try {
    w->AddRecord(1, "lost", true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), EIO);
  }
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{1, "kept"}}));
  env.FailSyncAfter(0, EIO);
  ExpectError(ErrorCode::kIOError, [&] { w->Sync(); });
  w->AddRecord(1, "later", true);
  EXPECT_EQ(ReadLog(path), (std::vector<Rec>{{1, "kept"}, {1, "later"}}));
}

TEST(LogTest, WritesFailingUnderConcurrencyNeverLeaveAGap) {
  TempDir dir;
  std::string path = dir.File("l");
  FaultInjectionEnv env;
  auto w = LogWriter::Create(&env, path, 1);
  env.SetPartialWrite(7);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (i % 10 == 0) env.FailWriteAfter(1, ENOSPC);
        try {
          w->AddRecord(1, std::to_string(t * 1000 + i), i % 2 == 0);
          ++ok;
        } catch (const Error&) {
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  uint64_t valid_end;
  auto recs = ReadLog(path, &valid_end);
  EXPECT_EQ(recs.size(), static_cast<size_t>(ok.load()));
  EXPECT_EQ(valid_end, ReadAll(path).size());
}

}  // namespace
}  // namespace herondb
