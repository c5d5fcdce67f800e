// libFuzzer target: see fuzz_targets.h (herondb::fuzz::ValueCodec).
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return herondb::fuzz::ValueCodec(data, size);
}
