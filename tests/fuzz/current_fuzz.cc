// libFuzzer target: see fuzz_targets.h (herondb::fuzz::Current).
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herondb::fuzz::Current(data, size);
}
