// SQ8 kernel dispatch and the portable scalar kernel.
//
// Contract: see sq8.h. AVX2 and AVX-512 availability is taken from the float
// kernels' detection (kernels::ForIsa), so both families agree on what the
// CPU and OS support; AVX512_VNNI is one more CPUID bit on top of AVX-512.
#include "herondb/kernels/sq8.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "herondb/kernels/distance.h"
#include "herondb/kernels/sq8_tables.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define HERONDB_SQ8_X86 1
#endif

namespace herondb::kernels {
namespace internal {
namespace {

int32_t DotScalar(const uint8_t* code, const int16_t* w, size_t dim) {
  // int64 so the scalar path is defined even if a caller breaks the bound;
  // within the contract the result fits int32 exactly.
  int64_t s = 0;
  for (size_t i = 0; i < dim; ++i) s += static_cast<int32_t>(code[i]) * w[i];
  return static_cast<int32_t>(s);
}

}  // namespace

constinit const Sq8Kernels kSq8ScalarKernels = {Sq8Isa::kScalar, &DotScalar, nullptr};

}  // namespace internal

namespace {

#if defined(HERONDB_SQ8_X86)
bool CpuHasAvx512Vnni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & (1u << 11)) != 0;  // AVX512_VNNI
}
#endif

// Width tier for HERONDB_FORCE_ISA caps (same tiers as distance.cc).
int Tier(Sq8Isa isa) {
  switch (isa) {
    case Sq8Isa::kScalar:
      return 0;
    case Sq8Isa::kAvx2:
      return 1;
    case Sq8Isa::kAvx512Bw:
    case Sq8Isa::kAvx512Vnni:
      return 2;
  }
  return 0;
}

int ParseCap(const char* force) {
  if (force == nullptr || *force == '\0') return -1;
  std::string s(force);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (s == "scalar") return 0;
  if (s == "avx2" || s == "neon") return 1;
  if (s == "avx512") return 2;
  return -1;
}

}  // namespace

const char* Sq8IsaName(Sq8Isa isa) {
  switch (isa) {
    case Sq8Isa::kScalar:
      return "scalar";
    case Sq8Isa::kAvx2:
      return "avx2";
    case Sq8Isa::kAvx512Bw:
      return "avx512bw";
    case Sq8Isa::kAvx512Vnni:
      return "avx512vnni";
  }
  return "unknown";
}

const Sq8Kernels* Sq8ForIsa(Sq8Isa isa) {
  switch (isa) {
    case Sq8Isa::kScalar:
      return &internal::kSq8ScalarKernels;
#if defined(HERONDB_SQ8_X86)
    case Sq8Isa::kAvx2:
      return ForIsa(Isa::kAvx2) ? &internal::kSq8Avx2Kernels : nullptr;
    case Sq8Isa::kAvx512Bw:
      return ForIsa(Isa::kAvx512) ? &internal::kSq8Avx512BwKernels : nullptr;
    case Sq8Isa::kAvx512Vnni: {
      static const bool vnni = CpuHasAvx512Vnni();
      return ForIsa(Isa::kAvx512) && vnni ? &internal::kSq8Avx512VnniKernels : nullptr;
    }
#else
    case Sq8Isa::kAvx2:
    case Sq8Isa::kAvx512Bw:
    case Sq8Isa::kAvx512Vnni:
      return nullptr;
#endif
  }
  return nullptr;
}

std::vector<Sq8Isa> SupportedSq8Isas() {
  std::vector<Sq8Isa> out;
  for (Sq8Isa isa : {Sq8Isa::kScalar, Sq8Isa::kAvx2, Sq8Isa::kAvx512Bw, Sq8Isa::kAvx512Vnni}) {
    if (Sq8ForIsa(isa) != nullptr) out.push_back(isa);
  }
  return out;
}

const Sq8Kernels& Sq8SelectFor(const char* force) {
  const int cap = ParseCap(force);
  const Sq8Kernels* best = &internal::kSq8ScalarKernels;
  for (Sq8Isa isa : SupportedSq8Isas()) {  // narrowest first; VNNI after BW
    if (cap >= 0 && Tier(isa) > cap) continue;
    best = Sq8ForIsa(isa);
  }
  return *best;
}

const Sq8Kernels& Sq8Best() {
  // distance.cc's Best() already warns about unrecognised values.
  static const Sq8Kernels& best = Sq8SelectFor(std::getenv("HERONDB_FORCE_ISA"));
  return best;
}

}  // namespace herondb::kernels
