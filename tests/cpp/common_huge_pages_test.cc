// Tests for common/huge_pages.h: alignment, usability, and that large blocks
// are eligible for transparent huge pages where the kernel offers them.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "herondb/common/huge_pages.h"

namespace herondb {
namespace {

// "always" or "madvise" when THP can back an madvised range, else "".
std::string ThpMode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (s.find("[always]") != std::string::npos) return "always";
  if (s.find("[madvise]") != std::string::npos) return "madvise";
  return "";
}

// The THPeligible field of the /proc/self/smaps entry containing `p`, or -1.
int ThpEligible(const void* p) {
  std::ifstream f("/proc/self/smaps");
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::string line;
  bool inside = false;
  while (std::getline(f, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = lo <= addr && addr < hi;
      continue;
    }
    if (inside && line.rfind("THPeligible:", 0) == 0) return std::stoi(line.substr(12));
  }
  return -1;
}

TEST(HugePagesTest, SmallBlocksAreCacheLineAlignedAndUsable) {
  for (size_t n : {1u, 63u, 4096u, 100000u}) {
    auto* p = static_cast<unsigned char*>(AllocateLarge(n));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    std::memset(p, 0xAB, n);
    EXPECT_EQ(p[n - 1], 0xAB);
    FreeLarge(p);
  }
  FreeLarge(nullptr);
}

TEST(HugePagesTest, LargeBlocksAreHugePageAlignedAndEligibleWhereTheKernelHasThp) {
  const size_t n = 3 * kHugePageBytes + 12345;
  auto* p = static_cast<unsigned char*>(AllocateLarge(n));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kHugePageBytes, 0u);
  std::memset(p, 1, n);
  EXPECT_EQ(p[n - 1], 1);
  int eligible = ThpEligible(p);
  if (ThpMode().empty() || eligible < 0) {
    FreeLarge(p);
    GTEST_SKIP() << "transparent huge pages are off here (or smaps lacks THPeligible)";
  }
  EXPECT_EQ(eligible, 1);
  FreeLarge(p);
}

TEST(HugePagesTest, VectorWithTheAllocatorKeepsItsContentsAcrossGrowth) {
  std::vector<uint32_t, HugePageAllocator<uint32_t>> v;
  for (uint32_t i = 0; i < 1u << 20; ++i) v.push_back(i * 3);
  for (uint32_t i = 0; i < 1u << 20; i += 4099) ASSERT_EQ(v[i], i * 3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % kHugePageBytes, 0u);
}

}  // namespace
}  // namespace herondb
