// Runtime selection of the float32 kernels.
//
// Contract: see distance.h. CPU features are detected once (function-local
// static, thread-safe) and never change afterwards:
// - avx2   needs AVX2, FMA and BMI2 (distance_avx2.cc is built with -mbmi2)
//          and OS-enabled YMM state (XCR0 bits 1-2).
// - avx512 needs everything avx2 needs plus AVX-512 F/BW/VL/DQ and
//          OS-enabled ZMM/opmask state (XCR0 bits 5-7). VNNI is not required:
//          distance_avx512.cc contains float code only, so the compiler has
//          nothing to emit VNNI for (and Skylake-SP keeps its AVX-512 path).
// - neon   is part of the aarch64 baseline.
// __builtin_cpu_supports (libgcc/compiler-rt) already folds in the XGETBV
// check in current toolchains; we repeat it here so the result does not
// depend on the runtime library version.
// HERONDB_FORCE_ISA=scalar|avx2|neon|avx512 caps the choice made by Best()
// (read once on first use); see SelectFor in distance.h.
#include "herondb/kernels/distance.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "herondb/kernels/isa_tables.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#define HERONDB_KERNELS_X86 1
#endif

namespace herondb {

namespace kernels {

namespace {

std::string AsciiLower(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

#if defined(HERONDB_KERNELS_X86)
struct CpuFeatures {
  bool avx2 = false;    // AVX2 + FMA + BMI2, YMM state enabled
  bool avx512 = false;  // avx2 + AVX-512 F/BW/VL/DQ, ZMM/opmask state enabled
};

uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures DetectCpu() {
  CpuFeatures f;
  __builtin_cpu_init();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  if (!(ecx & bit_OSXSAVE)) return f;  // XGETBV unavailable: no AVX state
  const uint64_t xcr0 = ReadXcr0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE + AVX
  const bool zmm_state = (xcr0 & 0xE6) == 0xE6;  // + opmask, ZMM_Hi256, Hi16_ZMM
  f.avx2 = ymm_state && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("bmi2");
  f.avx512 = f.avx2 && zmm_state && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq");
  return f;
}

const CpuFeatures& Cpu() {
  static const CpuFeatures features = DetectCpu();
  return features;
}
#endif  // HERONDB_KERNELS_X86

// Width tier used by HERONDB_FORCE_ISA caps.
int Tier(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return 0;
    case Isa::kAvx2:
    case Isa::kNeon:
      return 1;
    case Isa::kAvx512:
      return 2;
  }
  return 0;
}

// Tier named by a HERONDB_FORCE_ISA value; -1 when absent or unrecognised.
int ParseCap(const char* force) {
  if (force == nullptr || *force == '\0') return -1;
  const std::string s = AsciiLower(force);
  if (s == "scalar") return 0;
  if (s == "avx2" || s == "neon") return 1;
  if (s == "avx512") return 2;
  return -1;
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kNeon:
      return "neon";
  }
  return "unknown";
}

const F32Kernels* ForIsa(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return &internal::kScalarKernels;
    case Isa::kNeon:
#if defined(__aarch64__)
      return &internal::kNeonKernels;
#else
      return nullptr;
#endif
    case Isa::kAvx2:
#if defined(HERONDB_KERNELS_X86)
      return Cpu().avx2 ? &internal::kAvx2Kernels : nullptr;
#else
      return nullptr;
#endif
    case Isa::kAvx512:
#if defined(HERONDB_KERNELS_X86)
      return Cpu().avx512 ? &internal::kAvx512Kernels : nullptr;
#else
      return nullptr;
#endif
  }
  return nullptr;
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kNeon, Isa::kAvx2, Isa::kAvx512}) {
    if (ForIsa(isa) != nullptr) out.push_back(isa);
  }
  return out;
}

const F32Kernels& SelectFor(const char* force) {
  const int cap = ParseCap(force);
  const F32Kernels* best = &internal::kScalarKernels;
  for (Isa isa : SupportedIsas()) {  // narrowest first
    if (cap >= 0 && Tier(isa) > cap) continue;
    if (Tier(isa) >= Tier(best->isa)) best = ForIsa(isa);
  }
  return *best;
}

const F32Kernels& Best() {
  static const F32Kernels& best = []() -> const F32Kernels& {
    const char* force = std::getenv("HERONDB_FORCE_ISA");
    if (force != nullptr && *force != '\0' && ParseCap(force) < 0) {
      std::fprintf(stderr,
                   "herondb: ignoring HERONDB_FORCE_ISA=%s (expected scalar, avx2, neon or "
                   "avx512)\n",
                   force);
    }
    return SelectFor(force);
  }();
  return best;
}

}  // namespace kernels

}  // namespace herondb
