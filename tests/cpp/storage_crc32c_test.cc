#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "herondb/storage/crc32c.h"

namespace herondb::crc32c {
namespace {

TEST(Crc32cTest, MatchesRfc3720TestVectors) {
  std::vector<uint8_t> buf(32);
  EXPECT_EQ(Value(buf.data(), buf.size()), 0x8A9136AAu);  // 32 zero bytes
  std::fill(buf.begin(), buf.end(), 0xff);
  EXPECT_EQ(Value(buf.data(), buf.size()), 0x62A8AB43u);  // 32 0xff bytes
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Value(buf.data(), buf.size()), 0x46DD794Eu);  // ascending
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(Value(buf.data(), buf.size()), 0x113FDB5Cu);  // descending
  const uint8_t iscsi_read[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(Value(iscsi_read, sizeof iscsi_read), 0xD9963A56u);
}

TEST(Crc32cTest, MatchesTheCheckValue) {
  EXPECT_EQ(Value("123456789", 9), 0xE3069283u);
  EXPECT_EQ(ExtendPortable(0, "123456789", 9), 0xE3069283u);
  EXPECT_EQ(Value("", 0), 0u);
}

TEST(Crc32cTest, ExtendEqualsValueOfConcatenation) {
  std::string a = "hello ", b = "world";
  EXPECT_EQ(Extend(Value(a.data(), a.size()), b.data(), b.size()),
            Value((a + b).data(), a.size() + b.size()));
}

TEST(Crc32cTest, MaskIsInvertibleAndChangesTheValue) {
  uint32_t crc = Value("foo", 3);
  EXPECT_NE(Mask(crc), crc);
  EXPECT_NE(Mask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Mask(crc)), crc);
  EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomDataOfEveryShape) {
  if (!HardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(42);
  std::vector<uint8_t> data(3 * 8192 * 3 + 1000);
  for (auto& x : data) x = static_cast<uint8_t>(rng());
  std::vector<size_t> lengths;
  for (size_t n = 0; n < 800; ++n) lengths.push_back(n);
  for (size_t n : {767u, 768u, 769u, 1535u, 24575u, 24576u, 24577u, 50000u, 73000u}) {
    lengths.push_back(n);
  }
  for (size_t n : lengths) {
    for (size_t align = 0; align < 8; align += (n < 100 ? 1 : 3)) {
      if (align + n > data.size()) continue;
      uint32_t seed = static_cast<uint32_t>(rng());
      ASSERT_EQ(ExtendHardware(seed, data.data() + align, n),
                ExtendPortable(seed, data.data() + align, n))
          << "n=" << n << " align=" << align;
    }
  }
  EXPECT_EQ(Value(data.data(), data.size()), ExtendPortable(0, data.data(), data.size()));
}

// Speed is a benchmark's business (timed assertions flake on shared
// machines); what a test can check is that the hardware path is the one in
// use wherever the CPU has it, and that it agrees with the portable one.
TEST(Crc32cTest, UsesHardwarePathWhereAvailable) {
  EXPECT_STREQ(ImplementationName(), HardwareAvailable() ? "sse4.2" : "portable");
}

}  // namespace
}  // namespace herondb::crc32c
