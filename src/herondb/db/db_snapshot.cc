#include "herondb/db/db_snapshot.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <span>

#include "herondb/common/error.h"
#include "herondb/db/region_backing.h"
#include "herondb/meta/value_codec.h"
#include "herondb/storage/coding.h"

namespace herondb {
namespace {

using storage::DecodeFixed32;
using storage::DecodeFixed64;
using storage::EncodeFixed32;
using storage::EncodeFixed64;

static_assert(std::endian::native == std::endian::little,
              "snapshots store arrays in the host's byte order");

constexpr uint32_t Tag(const char (&s)[5]) {
  return uint32_t{static_cast<uint8_t>(s[0])} | uint32_t{static_cast<uint8_t>(s[1])} << 8 |
         uint32_t{static_cast<uint8_t>(s[2])} << 16 | uint32_t{static_cast<uint8_t>(s[3])} << 24;
}
constexpr uint32_t kParm = Tag("PARM"), kVecs = Tag("VECS"), kNorm = Tag("NORM"),
                   kGrl0 = Tag("GRL0"), kGlvl = Tag("GLVL"), kGupo = Tag("GUPO"),
                   kGupp = Tag("GUPP"), kDels = Tag("DELS"), kIdof = Tag("IDOF"),
                   kIdby = Tag("IDBY"), kMtof = Tag("MTOF"), kMtby = Tag("MTBY"),
                   kSqmn = Tag("SQMN"), kSqsc = Tag("SQSC"), kSqcd = Tag("SQCD"),
                   kTxdf = Tag("TXDF"),
                   kEfcl = Tag("EFCL");
constexpr uint32_t kLayoutVersion = 1;
constexpr size_t kParmSize = 64;

template <typename T>
void AddArray(SnapshotWriter* w, uint32_t tag, const T* data, size_t count) {
  w->AddSection(tag, data, count * sizeof(T));
}

// Streams (n+1) offsets then the concatenated byte strings given by `get`.
template <typename Get>
void AddStrings(SnapshotWriter* w, uint32_t off_tag, uint32_t bytes_tag, size_t n, Get get) {
  std::string buf;
  w->BeginSection(off_tag);
  uint64_t off = 0;
  char enc[8];
  for (size_t i = 0; i <= n; ++i) {
    EncodeFixed64(enc, off);
    w->Append(enc, 8);
    if (i < n) off += get(i, &buf).size();
  }
  w->EndSection();
  w->BeginSection(bytes_tag);
  for (size_t i = 0; i < n; ++i) {
    std::string_view s = get(i, &buf);
    w->Append(s.data(), s.size());
  }
  w->EndSection();
}

class Loader {
 public:
  explicit Loader(const SnapshotReader& r) : r_(r) {}

  [[noreturn]] void Corrupt(const std::string& what) const {
    Throw(ErrorCode::kCorruption, r_.path() + ": " + what);
  }
  std::span<const char> Need(uint32_t tag, const char* name) const {
    auto s = r_.Section(tag);
    if (!s) Corrupt(std::string("missing section ") + name);
    return *s;
  }
  // A section that must hold exactly `count` elements of T.
  template <typename T>
  const T* Array(uint32_t tag, const char* name, uint64_t count) const {
    std::span<const char> s = Need(tag, name);
    if (s.size() != count * sizeof(T))
      Corrupt(std::string("section ") + name + " has " + std::to_string(s.size()) +
              " bytes, expected " + std::to_string(count * sizeof(T)));
    return reinterpret_cast<const T*>(s.data());
  }
  // (n+1) offsets + bytes; calls fn(i, bytes) for each of the n strings.
  template <typename Fn>
  void Strings(uint32_t off_tag, uint32_t bytes_tag, const char* name, uint64_t n, Fn fn) const {
    const char* offs = Array<char>(off_tag, name, (n + 1) * 8);
    std::span<const char> bytes = Need(bytes_tag, name);
    uint64_t prev = DecodeFixed64(offs);
    if (prev != 0) Corrupt(std::string(name) + " offsets do not start at 0");
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t next = DecodeFixed64(offs + (i + 1) * 8);
      if (next < prev || next > bytes.size())
        Corrupt(std::string(name) + " offset " + std::to_string(i + 1) + " out of order or range");
      fn(i, std::string_view(bytes.data() + prev, next - prev));
      prev = next;
    }
    if (prev != bytes.size()) Corrupt(std::string(name) + " bytes do not end at the last offset");
  }

 private:
  const SnapshotReader& r_;
};

}  // namespace

uint64_t WriteDbSnapshot(Env* env, const std::string& path, uint64_t generation,
                         const DbStateView& state, const DbId& id) {
  const DbParams& p = *state.params;
  const HnswIndex& index = *state.index;
  const HnswGraph& g = index.graph();
  const size_t n = index.size();

  SnapshotWriter w(env, path, generation, 0, id);
  char parm[kParmSize] = {};
  EncodeFixed32(parm + 0, kLayoutVersion);
  EncodeFixed32(parm + 4, p.dim);
  EncodeFixed32(parm + 8, static_cast<uint32_t>(p.metric));
  EncodeFixed32(parm + 12, p.hnsw.m);
  EncodeFixed32(parm + 16, g.max0());
  EncodeFixed32(parm + 20, p.hnsw.ef_construction);
  EncodeFixed32(parm + 24, p.quantize ? 1u : 0u);
  EncodeFixed32(parm + 28, index.entry_point());
  EncodeFixed32(parm + 32, static_cast<uint32_t>(index.max_level()));
  EncodeFixed64(parm + 40, n);
  EncodeFixed64(parm + 48, p.hnsw.seed);
  w.AddSection(kParm, parm, kParmSize);

  AddArray(&w, kVecs, index.vector(0), n * p.dim);
  if (MetricNeedsNorms(p.metric)) AddArray(&w, kNorm, index.inv_norms().data(), n);
  AddArray(&w, kGrl0, g.level0().data(), n * g.stride0());
  AddArray(&w, kGlvl, g.levels().data(), n);
  AddArray(&w, kGupo, g.upper_offset().data(), n);
  AddArray(&w, kGupp, g.upper().data(), g.upper().size());
  AddArray(&w, kDels, index.deleted().words.data(), (n + 63) / 64);
  if (const Sq8Quantizer* q = index.quantizer(); q && q->trained()) {
    AddArray(&w, kSqmn, q->mins().data(), p.dim);
    AddArray(&w, kSqsc, q->scales().data(), p.dim);
    AddArray(&w, kSqcd, q->codes().data(), n * p.dim);
  }
  if (state.calibration && state.calibration->ef > 0) {
    const std::string efcl = EncodeCalibration(*state.calibration);
    w.AddSection(kEfcl, efcl.data(), efcl.size());
  }
  AddArray(&w, kIdof, state.ids->offsets().data(), n + 1);
  w.AddSection(kIdby, state.ids->bytes().data(), state.ids->bytes().size());
  AddStrings(&w, kMtof, kMtby, n, [&](size_t i, std::string* buf) {
    buf->clear();
    if (const ValuePtr& m = (*state.metadata)[i]) EncodeValue(*m, buf);
    return std::string_view(*buf);
  });
  if (state.text_indexes && !state.text_indexes->empty()) {
    std::string defs;
    text::EncodeTextIndexDefs(*state.text_indexes, &defs);
    w.AddSection(kTxdf, defs.data(), defs.size());
  }
  w.Finish();
  return w.bytes_written();
}

VectorResidency ResolveResidency(VectorResidency r, uint64_t bytes, bool quantized) {
  if (r != VectorResidency::kAuto) return r;
  if (quantized) return VectorResidency::kMap;
  const long pages = ::sysconf(_SC_AVPHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return VectorResidency::kMap;
  const uint64_t avail = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
  return bytes <= std::min(avail / 4, kAutoLoadMaxBytes) ? VectorResidency::kLoad
                                                         : VectorResidency::kMap;
}

namespace {

// Section `sec` mapped or copied into a growable region reserving `reserve`
// bytes of address space. A copied section's checksum is always verified
// (while copying); a mapped one's when `verify` is set.
GrowableRegion SectionRegion(const SnapshotReader& reader, const SnapshotSection& sec,
                             size_t reserve, VectorResidency residency, bool verify) {
  if (sec.length == 0) return GrowableRegion::Anonymous(reserve);
  if (residency == VectorResidency::kMap) {
    if (verify) reader.VerifySection(sec);
    return GrowableRegion::FromFd(reader.fd(), reader.path(), sec.offset, sec.length, reserve);
  }
  GrowableRegion region = GrowableRegion::Anonymous(std::max<size_t>(reserve, sec.length));
  region.Resize(sec.length);
  reader.CopySection(sec, region.data());
  return region;
}

}  // namespace

GrowableRegion MapVectorBlock(const SnapshotReader& reader, uint64_t bytes,
                              VectorResidency residency, bool verify) {
  auto vecs = reader.Find(kVecs);
  if (!vecs) Throw(ErrorCode::kCorruption, reader.path() + ": missing section VECS");
  if (vecs->length != bytes)
    Throw(ErrorCode::kCorruption, reader.path() + ": section VECS has the wrong size");
  // Room to grow in place: address space only, it costs no memory.
  return SectionRegion(reader, *vecs, std::max<size_t>(bytes * 4, size_t{256} << 20), residency,
                       verify);
}

DbParams ReadDbParams(const SnapshotReader& reader) {
  Loader L(reader);
  const char* parm = L.Array<char>(kParm, "PARM", kParmSize);
  if (DecodeFixed32(parm) != kLayoutVersion)
    L.Corrupt("unsupported layout version " + std::to_string(DecodeFixed32(parm)));
  DbParams p;
  p.dim = DecodeFixed32(parm + 4);
  uint32_t metric = DecodeFixed32(parm + 8);
  p.hnsw.m = DecodeFixed32(parm + 12);
  uint32_t max0 = DecodeFixed32(parm + 16);
  p.hnsw.ef_construction = DecodeFixed32(parm + 20);
  uint32_t flags = DecodeFixed32(parm + 24);
  p.hnsw.seed = DecodeFixed64(parm + 48);
  if (p.dim < 1 || p.dim > 65536) L.Corrupt("dimension out of range");
  if (!IsMetricId(metric)) L.Corrupt("unknown metric " + std::to_string(metric));
  if (p.hnsw.m < 2 || p.hnsw.m > 256 || max0 != 2 * p.hnsw.m) L.Corrupt("bad graph degree");
  if (p.hnsw.ef_construction < 1) L.Corrupt("bad ef_construction");
  if (flags > 1) L.Corrupt("unknown flags");
  p.metric = static_cast<Metric>(metric);
  p.quantize = flags & 1;
  return p;
}

LoadedDbState LoadDbSnapshot(const SnapshotReader& reader, VectorResidency residency) {
  // Every section but the two large blocks is verified before any is read;
  // VECS and SQCD are verified where they are mapped or copied (one pass).
  const uint32_t kLarge[] = {kVecs, kSqcd};
  reader.VerifyChecksums(kLarge);
  bool codes_verified = false;
  Loader L(reader);
  LoadedDbState st;
  st.params = ReadDbParams(reader);
  const DbParams& p = st.params;
  const char* parm = L.Array<char>(kParm, "PARM", kParmSize);
  const uint32_t entry = DecodeFixed32(parm + 28);
  const int32_t max_level = static_cast<int32_t>(DecodeFixed32(parm + 32));
  const uint64_t n = DecodeFixed64(parm + 40);
  if (n > 0xFFFFFFFFull) L.Corrupt("slot count out of range");
  if (max_level < -1 || max_level > 255) L.Corrupt("top level out of range");

  const uint64_t vector_bytes = n * p.dim * sizeof(float);
  st.residency = ResolveResidency(residency, vector_bytes, p.quantize);
  GrowableRegion region = MapVectorBlock(reader, vector_bytes, st.residency);
  st.index = std::make_unique<HnswIndex>(p.dim, p.metric, p.hnsw,
                                         std::make_unique<RegionRowBacking>(std::move(region)));
  HnswIndex& index = *st.index;
  HnswGraph& g = index.graph();

  const uint32_t* l0 = L.Array<uint32_t>(kGrl0, "GRL0", n * g.stride0());
  const uint8_t* lv = L.Array<uint8_t>(kGlvl, "GLVL", n);
  const uint32_t* uo = L.Array<uint32_t>(kGupo, "GUPO", n);
  std::span<const char> up = L.Need(kGupp, "GUPP");
  if (up.size() % 4) L.Corrupt("section GUPP is not a whole number of u32");
  g.level0().assign(l0, l0 + n * g.stride0());
  g.levels().assign(lv, lv + n);
  g.upper_offset().assign(uo, uo + n);
  const uint32_t* upw = reinterpret_cast<const uint32_t*>(up.data());
  g.upper().assign(upw, upw + up.size() / 4);
  for (uint64_t s = 0; s < n; ++s)
    if ((lv[s] == 0) != (uo[s] == HnswGraph::kNoUpper))
      L.Corrupt("slot " + std::to_string(s) + " has inconsistent upper levels");

  const uint64_t* dels = L.Array<uint64_t>(kDels, "DELS", (n + 63) / 64);
  if (n % 64 && (dels[n / 64] >> (n % 64))) L.Corrupt("deleted bitmap has bits past the last slot");
  const float* norms = nullptr;
  if (MetricNeedsNorms(p.metric)) norms = L.Array<float>(kNorm, "NORM", n);
  index.RestoreState(entry, max_level, dels, norms);
  std::string err = index.Verify();
  if (!err.empty()) L.Corrupt("graph: " + err);
  if (p.quantize) {
    auto codes = reader.Find(kSqcd);
    if (codes && n > 0) {
      const float* mins = L.Array<float>(kSqmn, "SQMN", p.dim);
      const float* scales = L.Array<float>(kSqsc, "SQSC", p.dim);
      if (codes->length != n * p.dim) L.Corrupt("section SQCD has the wrong size");
      for (uint32_t d = 0; d < p.dim; ++d)
        if (!std::isfinite(mins[d]) || !std::isfinite(scales[d]) || scales[d] < 0)
          L.Corrupt("SQ8 range of dimension " + std::to_string(d) + " is invalid");
      // The codes are what quantized search reads: held like an unquantized
      // vector block (loaded unless too large or mapping was asked for).
      GrowableRegion region =
          SectionRegion(reader, *codes, std::max<size_t>(codes->length * 4, 64 << 20),
                        ResolveResidency(residency, codes->length, /*quantized=*/false),
                        /*verify=*/true);
      codes_verified = true;
      index.RestoreQuantized(std::vector<float>(mins, mins + p.dim),
                             std::vector<float>(scales, scales + p.dim),
                             std::make_unique<RegionRowBacking>(std::move(region)));
    } else {
      index.EnableQuantized();  // saved while switched off, or empty: encode now
    }
  }
  if (auto codes = reader.Find(kSqcd); codes && !codes_verified) reader.VerifySection(*codes);

  {
    const uint64_t* offs = L.Array<uint64_t>(kIdof, "IDOF", n + 1);
    std::span<const char> bytes = L.Need(kIdby, "IDBY");
    if (offs[0] != 0 || offs[n] != bytes.size()) L.Corrupt("id offsets do not span IDBY");
    for (uint64_t i = 0; i < n; ++i)
      if (offs[i + 1] <= offs[i])
        L.Corrupt("slot " + std::to_string(i) + " has an empty or misplaced id");
    st.ids =
        IdMap(std::vector<uint64_t>(offs, offs + n + 1), std::string(bytes.data(), bytes.size()));
  }

  if (auto efcl = reader.Section(kEfcl)) {
    std::optional<SearchCalibration> c = DecodeCalibration(*efcl);
    if (!c) L.Corrupt("section EFCL is invalid");
    st.calibration = *c;
  }

  st.metadata.resize(n);
  L.Strings(kMtof, kMtby, "METADATA", n, [&](uint64_t i, std::string_view s) {
    if (s.empty()) return;
    try {
      st.metadata[i] = std::make_shared<const Value>(DecodeValue(s));
    } catch (const Error& e) {
      L.Corrupt("metadata of slot " + std::to_string(i) + ": " + e.what());
    }
  });
  if (auto defs = reader.Section(kTxdf)) {
    try {
      st.text_indexes = text::DecodeTextIndexDefs(std::string_view(defs->data(), defs->size()));
    } catch (const Error& e) {
      L.Corrupt(std::string("section TXDF: ") + e.what());
    }
  }
  return st;
}

}  // namespace herondb
