// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, the zlib checksum),
// which vctrs's write-ahead log uses. herondb's own files use CRC-32C
// (storage/crc32c.h); this one exists only to read vctrs's log.
//
// Contract: Crc32Ieee(data, n, 0) of "123456789" is 0xCBF43926; passing the
// previous result as `crc` continues a checksum over more bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace herondb::vctrs {

uint32_t Crc32Ieee(const void* data, size_t n, uint32_t crc = 0);

}  // namespace herondb::vctrs
