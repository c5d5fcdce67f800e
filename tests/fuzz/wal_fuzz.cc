// libFuzzer target: see fuzz_targets.h (herondb::fuzz::Wal).
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herondb::fuzz::Wal(data, size);
}
