#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "herondb/storage/mmap_region.h"
#include "storage_test_util.h"

namespace herondb {
namespace {

using testing::ExpectError;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return s;
}

TEST(MmapRegionTest, MapsAFileRangeReadOnlyAtAnyOffset) {
  TempDir dir;
  std::string content = Pattern(3 * 4096 + 100);
  WriteAll(dir.File("f"), content);
  for (uint64_t off : {uint64_t{0}, uint64_t{1}, uint64_t{4095}, uint64_t{4096}, uint64_t{5000}}) {
    auto r = MmapRegion::MapFile(dir.File("f"), off, 6000, MapMode::kReadOnly);
    ASSERT_EQ(r.size(), 6000u);
    EXPECT_EQ(std::string(r.data(), r.size()), content.substr(off, 6000)) << off;
    r.Advise(Advice::kWillNeed);
    r.Advise(Advice::kRandom, 100, 10);
  }
}

TEST(MmapRegionTest, CopyOnWriteNeverModifiesTheFile) {
  TempDir dir;
  std::string content = Pattern(10000);
  WriteAll(dir.File("f"), content);
  auto r = MmapRegion::MapFile(dir.File("f"), 0, content.size(), MapMode::kCopyOnWrite);
  std::memset(r.data(), 'Z', r.size());
  EXPECT_EQ(r.data()[9999], 'Z');
  r.Reset();
  EXPECT_EQ(ReadAll(dir.File("f")), content);
}

TEST(MmapRegionTest, RangePastEndOfFileIsRejected) {
  TempDir dir;
  WriteAll(dir.File("f"), "short");
  ExpectError(ErrorCode::kCorruption,
              [&] { MmapRegion::MapFile(dir.File("f"), 0, 4096, MapMode::kReadOnly); });
  ExpectError(ErrorCode::kCorruption,
              [&] { MmapRegion::MapFile(dir.File("f"), 6, 0, MapMode::kReadOnly); });
  ExpectError(ErrorCode::kIOError,
              [&] { MmapRegion::MapFile(dir.File("missing"), 0, 1, MapMode::kReadOnly); });
  auto empty = MmapRegion::MapFile(dir.File("f"), 5, 0, MapMode::kReadOnly);
  EXPECT_TRUE(empty.empty());
}

TEST(MmapRegionTest, AnonymousIsZeroedWritableAndMovable) {
  auto a = MmapRegion::Anonymous(100000);
  for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], 0);
  a.data()[5] = 7;
  MmapRegion b = std::move(a);
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data()[5], 7);
  MmapRegion c;
  c = std::move(b);
  EXPECT_EQ(c.size(), 100000u);
}

TEST(GrowableRegionTest, FromFileIsContiguousWithZeroedAppendedSpace) {
  TempDir dir;
  const size_t page = PageSize();
  std::string header(page, 'H');
  std::vector<float> vecs(1000);
  std::iota(vecs.begin(), vecs.end(), 0.5f);
  std::string body(reinterpret_cast<const char*>(vecs.data()), vecs.size() * sizeof(float));
  std::string trailer(3 * page, 'T');  // non-zero bytes after the mapped range
  WriteAll(dir.File("f"), header + body + trailer);

  auto g = GrowableRegion::FromFile(dir.File("f"), page, body.size(), 1 << 20);
  EXPECT_EQ(g.size(), body.size());
  EXPECT_GT(g.file_mapped_bytes(), 0u);  // mapped, not copied
  EXPECT_EQ(std::memcmp(g.data(), body.data(), body.size()), 0);
  char* before = g.data();
  // Append 5000 more floats contiguously.
  g.EnsureSize(body.size() + 5000 * sizeof(float));
  EXPECT_EQ(g.data(), before);
  const float* f = reinterpret_cast<const float*>(g.data());
  EXPECT_EQ(f[999], 999.5f);
  for (size_t i = 1000; i < 6000; ++i) ASSERT_EQ(f[i], 0.0f) << i;  // not the trailer's 'T's
  float* w = reinterpret_cast<float*>(g.data());
  for (size_t i = 0; i < 6000; ++i) w[i] = -1.0f;  // copy-on-write over the file pages too
  EXPECT_EQ(ReadAll(dir.File("f")), header + body + trailer);
}

TEST(GrowableRegionTest, GrowingPastTheReservationRelocatesAndKeepsContent) {
  TempDir dir;
  std::string content = Pattern(3 * PageSize());
  WriteAll(dir.File("f"), content);
  auto g = GrowableRegion::FromFile(dir.File("f"), 0, content.size(), content.size());
  size_t cap = g.capacity();
  g.EnsureSize(cap * 3 + 17);
  EXPECT_GE(g.capacity(), cap * 3 + 17);
  EXPECT_EQ(g.size(), cap * 3 + 17);
  EXPECT_EQ(g.file_mapped_bytes(), 0u);
  EXPECT_EQ(std::string(g.data(), content.size()), content);
  for (size_t i = content.size(); i < g.size(); ++i) ASSERT_EQ(g.data()[i], 0);
  g.data()[0] = '!';
  EXPECT_EQ(ReadAll(dir.File("f")), content);
}

TEST(GrowableRegionTest, ShrinkThenGrowGivesZeros) {
  auto g = GrowableRegion::Anonymous(1 << 16);
  g.Resize(1000);
  std::memset(g.data(), 0x5a, 1000);
  g.Resize(10);
  g.Resize(2000);
  EXPECT_EQ(g.data()[9], 0x5a);
  for (size_t i = 10; i < 2000; ++i) ASSERT_EQ(g.data()[i], 0) << i;
}

TEST(GrowableRegionTest, AnonymousGrowsFromNothing) {
  auto g = GrowableRegion::Anonymous(0);
  EXPECT_EQ(g.size(), 0u);
  for (size_t n = 1; n < (1u << 22); n = n * 3 + 1) {
    size_t old = g.size();
    g.EnsureSize(n);
    for (size_t i = old; i < n; i += 997) ASSERT_EQ(g.data()[i], 0);
    std::memset(g.data() + old, 1, n - old);
  }
  GrowableRegion moved = std::move(g);
  EXPECT_EQ(moved.data()[0], 1);
}

TEST(GrowableRegionTest, UnalignedOffsetFallsBackToACopy) {
  TempDir dir;
  std::string content = Pattern(10000);
  WriteAll(dir.File("f"), content);
  auto g = GrowableRegion::FromFile(dir.File("f"), 123, 5000, 0);
  EXPECT_EQ(g.file_mapped_bytes(), 0u);
  EXPECT_EQ(std::string(g.data(), g.size()), content.substr(123, 5000));
  g.EnsureSize(9000);
  for (size_t i = 5000; i < 9000; ++i) ASSERT_EQ(g.data()[i], 0);
}

}  // namespace
}  // namespace herondb
