// Database: JSON export and import (api-decisions D19).
//
// Export writes vctrs's layout, {"version": 1, "dim": D, "metric": "...",
// "count": N, "vectors": [{"id", "vector", "metadata"}, ...]} ("count" is an
// extra key that vctrs 0.3.0's import_json ignores), record by record into
// <file>.tmp, fsyncs it and renames it over <file>, so a reader never sees half
// an export. Floats are written so that they parse back to exactly the stored
// float32. Metric names are the canonical ones, which vctrs writes and reads
// too ("cosine", "euclidean", "dot_product").
// Import reads the file incrementally (JsonReader): the records sit under
// "vectors" (vctrs's layout, and herondb's own exports) or "records" (older
// herondb exports); "version", when present, must be 1; "metric" is not
// checked (vectors are stored raw, so any metric's export imports, as in
// vctrs). It decodes every record, checks all of them (dimension, values, ids,
// metadata), then upserts them as one batch: one log record, all or nothing.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>

#include "herondb/common/error.h"
#include "herondb/db/database.h"
#include "herondb/meta/json.h"
#include "herondb/meta/json_reader.h"

namespace herondb {
namespace {

constexpr size_t kFlushBytes = size_t{1} << 20;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

[[noreturn]] void BadImport(const std::string& file, const std::string& what) {
  Throw(ErrorCode::kInvalidArgument, "import_json " + file + ": " + what);
}

}  // namespace

void Database::ExportJson(const std::string& file, bool pretty) const {
  CheckPath(file, "export path");
  std::shared_lock lk(mu_);
  const std::string tmp = file + ".tmp";
  std::unique_ptr<WritableFile> out = env_->NewWritableFile(tmp);
  bool done = false;
  struct Cleanup {
    Env* env;
    const std::string& path;
    bool& done;
    ~Cleanup() {
      if (done) return;
      try {
        env->RemoveFile(path);
      } catch (const Error&) {
      }
    }
  } cleanup{env_, tmp, done};

  std::string buf;
  const char* nl = pretty ? "\n" : "";
  const std::string in1 = pretty ? "  " : "", in2 = pretty ? "    " : "",
                    in3 = pretty ? "      " : "";
  const char* sep = pretty ? ": " : ":";
  buf += "{";
  buf += nl;
  buf += in1 + "\"version\"" + sep + "1," + nl;
  buf += in1 + "\"dim\"" + sep + std::to_string(dim_) + "," + nl;
  buf += in1 + "\"metric\"" + sep + "\"" + MetricName(metric_) + "\"," + nl;
  buf += in1 + "\"count\"" + sep + std::to_string(ids_.live()) + "," + nl;
  buf += in1 + "\"vectors\"" + sep + "[";
  bool first = true;
  for (uint32_t s = 0; s < index_->size(); ++s) {
    if (index_->IsDeleted(s)) continue;
    buf += first ? "" : ",";
    first = false;
    buf += nl;
    buf += in2 + "{" + nl + in3 + "\"id\"" + sep;
    AppendJsonString(ids_.id(s), &buf);
    buf += std::string(",") + nl + in3 + "\"vector\"" + sep + "[";
    const float* v = index_->vector(s);
    for (uint32_t i = 0; i < dim_; ++i) {
      if (i) buf += pretty ? ", " : ",";
      AppendJsonFloat32(v[i], &buf);
    }
    buf += std::string("],") + nl + in3 + "\"metadata\"" + sep;
    if (slot_meta_[s])
      SerializeJson(*slot_meta_[s], &buf, pretty, 3);
    else
      buf += "null";
    buf += nl + in2 + "}";
    if (buf.size() >= kFlushBytes) {
      out->Append(buf.data(), buf.size());
      buf.clear();
    }
  }
  if (!first) buf += nl + in1;
  buf += "]";
  buf += nl;
  buf += "}\n";
  out->Append(buf.data(), buf.size());
  out->Sync();
  out->Close();
  env_->RenameFile(tmp, file);
  done = true;
}

void Database::ImportJson(const std::string& file) {
  CheckPath(file, "import path");
  std::unique_ptr<std::FILE, FileCloser> fp(std::fopen(file.c_str(), "rb"));
  if (!fp) throw Error(ErrorCode::kIOError, "open " + file + ": " + ErrnoText(errno), errno);
  std::vector<std::string> ids;
  std::vector<float> rows;
  std::vector<ValuePtr> metas;
  std::optional<int64_t> file_dim;
  const char* records_key = nullptr;  // "vectors" or "records", once seen
  try {
    JsonReader r(fp.get());
    if (r.Peek() != JsonReader::Next::kObject) BadImport(file, "the top level must be an object");
    r.BeginObject();
    std::string key, rkey;
    std::vector<double> numbers;
    while (r.NextMember(&key)) {
      if (key == "dim") {
        Value d = r.ReadValue();
        if (!d.is_int()) BadImport(file, "\"dim\" must be an integer");
        file_dim = d.as_int();
      } else if (key == "version") {
        Value v = r.ReadValue();
        if (!v.is_int() || v.as_int() != 1)
          BadImport(file, "unsupported \"version\" (this reader knows version 1)");
      } else if (key == "vectors" || key == "records") {
        const char* this_key = key == "vectors" ? "vectors" : "records";
        if (records_key)
          BadImport(file, records_key == std::string(this_key)
                              ? "\"" + key + "\" appears twice"
                              : "both \"vectors\" and \"records\" are present; give one");
        records_key = this_key;
        if (r.Peek() != JsonReader::Next::kArray)
          BadImport(file, "\"" + key + "\" must be an array");
        r.BeginArray();
        while (r.NextElement()) {
          const size_t index = ids.size();
          const std::string where = "record " + std::to_string(index);
          if (r.Peek() != JsonReader::Next::kObject) BadImport(file, where + " is not an object");
          r.BeginObject();
          bool has_id = false, has_vector = false;
          ValuePtr meta;
          std::string id;
          while (r.NextMember(&rkey)) {
            if (rkey == "id") {
              Value v = r.ReadValue();
              if (!v.is_string() || v.as_string().empty())
                BadImport(file, where + ": \"id\" must be a non-empty string");
              id = v.as_string();
              has_id = true;
            } else if (rkey == "vector") {
              if (r.Peek() != JsonReader::Next::kArray)
                BadImport(file, where + ": \"vector\" must be an array of numbers");
              r.ReadNumberArray(&numbers);
              if (numbers.size() != dim_)
                BadImport(file, where + ": vector has dimension " + std::to_string(numbers.size()) +
                                    ", the database " + std::to_string(dim_));
              rows.resize((index + 1) * dim_);
              for (uint32_t i = 0; i < dim_; ++i) {
                float f = static_cast<float>(numbers[i]);
                if (!std::isfinite(f))
                  BadImport(file, where + ": vector value " + std::to_string(i) +
                                      " is not a finite float32");
                rows[index * dim_ + i] = f;
              }
              has_vector = true;
            } else if (rkey == "metadata") {
              // The same rules as add(): integers exact in 64 bits, at most
              // kMaxMetadataDepth levels of nesting.
              Value m;
              try {
                r.RequireExactIntegers(true);
                m = r.ReadValue();
                r.RequireExactIntegers(false);
              } catch (const Error& e) {
                if (e.code() != ErrorCode::kInvalidArgument) throw;
                BadImport(file, where + ": metadata: " + e.what());
              }
              if (ValueDepth(m, kMaxMetadataDepth) > kMaxMetadataDepth)
                BadImport(file, where + ": metadata is nested too deeply (more than " +
                                    std::to_string(kMaxMetadataDepth) + " levels)");
              if (m.is_object())
                meta = std::make_shared<const Value>(std::move(m));
              else if (!m.is_null())
                BadImport(file, where + ": \"metadata\" must be an object or null");
            } else {
              r.SkipValue();
            }
          }
          if (!has_id) BadImport(file, where + " has no \"id\"");
          if (!has_vector) BadImport(file, where + " (id '" + id + "') has no \"vector\"");
          ids.push_back(std::move(id));
          metas.push_back(std::move(meta));
        }
      } else {
        r.SkipValue();
      }
    }
    r.ExpectEnd();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    std::string msg = e.what();
    if (msg.rfind("import_json", 0) == 0) throw;
    BadImport(file, msg);
  }
  if (file_dim && *file_dim != static_cast<int64_t>(dim_))
    BadImport(file, "the export has dimension " + std::to_string(*file_dim) + ", the database " +
                        std::to_string(dim_));
  if (!records_key) BadImport(file, "no \"vectors\" (or \"records\") array");
  std::vector<PutEntry> entries(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    entries[i].id = std::move(ids[i]);
    entries[i].vector = rows.data() + i * dim_;
    entries[i].metadata = std::move(metas[i]);
  }
  UpsertMany(std::move(entries));
}

}  // namespace herondb
