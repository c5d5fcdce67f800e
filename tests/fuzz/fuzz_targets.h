// The bodies of herondb's fuzz targets, shared by the libFuzzer binaries
// (tests/fuzz/<name>_fuzz.cc, built with -DHERONDB_BUILD_FUZZERS=ON and
// clang) and by the regression unit test (tests/cpp/fuzz_regression_test.cc),
// which runs every input that ever crashed a fuzzer, so a crash found once
// stays fixed.
//
// Contract of every target: any input is either accepted or refused with a
// herondb::Error; anything else (a crash, a sanitizer report, another
// exception type, a hang) is a bug. Targets that need files write the input
// to a per-process scratch directory (under $TMPDIR, else /tmp), removed at
// exit.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/db/db_snapshot.h"
#include "herondb/meta/json.h"
#include "herondb/meta/json_reader.h"
#include "herondb/meta/value_codec.h"
#include "herondb/storage/log_format.h"
#include "herondb/storage/log_reader.h"
#include "herondb/storage/manifest.h"
#include "herondb/storage/snapshot_file.h"

namespace herondb::fuzz {

inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/herondb-fuzz-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    static const std::string keep = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return tmpl;
  }();
  return dir;
}

inline void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) std::abort();
}

// CURRENT: the decoder on the raw bytes.
inline int Current(const uint8_t* data, size_t size) {
  try {
    CurrentInfo c =
        DecodeCurrent(std::string_view(reinterpret_cast<const char*>(data), size), "CURRENT");
    (void)c;
  } catch (const Error&) {
  }
  return 0;
}

// A snapshot file: header, table and footer parsing, every checksum, and
// the Database's structural checks of its sections.
inline int Snapshot(const uint8_t* data, size_t size) {
  const std::string path = ScratchDir() + "/snapshot.hdb";
  WriteFile(path, data, size);
  try {
    SnapshotReader r = SnapshotReader::Open(Env::Default(), path, /*verify_checksums=*/false);
    LoadedDbState st = LoadDbSnapshot(r, VectorResidency::kLoad);
    (void)st;
  } catch (const Error&) {
  }
  return 0;
}

// A database (dim 4, a few records) made once per process, whose log the
// WAL target replaces; returns its directory and sets its generation and id.
inline const std::string& WalDatabase(uint64_t* generation, DbId* id) {
  static uint64_t gen = 0;
  static DbId db_id;
  static const std::string dir = [] {
    const std::string d = ScratchDir() + "/waldb";
    DatabaseOptions o;
    o.dim = 4;
    o.threads = 1;
    {
      Database db(d, o);
      for (int i = 0; i < 3; ++i) {
        float v[4] = {1.0f + i, 2, 3, 4};
        std::string id = "seed";
        id += std::to_string(i);
        db.Add(PutEntry{id, v, true, nullptr});
      }
      db.Save();
    }
    std::optional<CurrentInfo> c = ReadCurrent(Env::Default(), d);
    gen = c->generation;
    db_id = c->id;
    return d;
  }();
  *generation = gen;
  *id = db_id;
  return dir;
}

// A write-ahead log, replayed into a database: LogReader's recovery rule
// (torn tail vs damage), the record decoders and the replay's checks.
// When the first byte is odd, the rest follows a valid file header of the
// database (so the fuzzer reaches the records at once); otherwise the
// input is the whole file.
inline int Wal(const uint8_t* data, size_t size) {
  uint64_t gen;
  DbId id;
  const std::string& dir = WalDatabase(&gen, &id);
  std::string file;
  if (size > 0 && (data[0] & 1)) {
    file = EncodeLogFileHeader(gen, id);
    file.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  } else {
    file.assign(reinterpret_cast<const char*>(data), size);
  }
  WriteFile(dir + "/" + LogFileName(gen), reinterpret_cast<const uint8_t*>(file.data()),
            file.size());
  try {
    DatabaseOptions o;
    o.read_only = true;
    o.threads = 1;
    Database db(dir, o);
    if (!db.Verify().empty()) std::abort();  // replay must keep the graph sound
  } catch (const Error&) {
  }
  return 0;
}

// The binary Value codec (metadata in snapshots and log records), every tag
// included: bytes that decode must be the one canonical encoding of their
// value (re-encoding gives them back), and the value must survive a trip
// through JSON text unchanged (integers of both 64-bit kinds included).
inline int ValueCodec(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Value v;
  try {
    v = DecodeValue(bytes);
  } catch (const Error&) {
    return 0;
  }
  if (EncodeValue(v) != bytes) std::abort();
  if (!(ParseJson(ToJson(v)) == v)) std::abort();
  return 0;
}

// JSON: the pull parser walking any value, then the Database's import of
// an export file into a dim-4 database.
inline int Json(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    JsonReader r(text);
    Value v = r.ReadValue();
    r.ExpectEnd();
  } catch (const Error&) {
  }
  try {
    JsonReader r(text);
    r.SkipValue();
    r.ExpectEnd();
  } catch (const Error&) {
  }
  static std::unique_ptr<Database> db = [] {
    DatabaseOptions o;
    o.dim = 4;
    o.threads = 1;
    return std::make_unique<Database>(ScratchDir() + "/jsondb", o);
  }();
  const std::string path = ScratchDir() + "/import.json";
  WriteFile(path, data, size);
  try {
    db->ImportJson(path);
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace herondb::fuzz
