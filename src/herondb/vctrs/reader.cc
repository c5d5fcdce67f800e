// Reading a vctrs database directory (contract in reader.h).
#include "herondb/vctrs/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "herondb/common/error.h"
#include "herondb/vctrs/format.h"
#include "herondb/vctrs/graph_file.h"
#include "herondb/vctrs/wal_file.h"

namespace herondb::vctrs {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void IoFail(const std::string& what, const std::string& path) {
  const int err = errno;
  throw Error(ErrorCode::kIOError, what + " " + path + ": " + std::strerror(err), err);
}

// The whole file, or nullopt when it does not exist.
std::optional<std::string> ReadWhole(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    IoFail("stat", path);
  }
  if (!S_ISREG(st.st_mode)) Throw(ErrorCode::kCorruption, path + ": not a regular file");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) IoFail("open", path);
  if (::fstat(fd.get(), &st) != 0) IoFail("stat", path);
  if (!S_ISREG(st.st_mode)) Throw(ErrorCode::kCorruption, path + ": not a regular file");
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      IoFail("read", path);
    }
    if (n == 0) break;  // the file shrank while being read
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace

VctrsDirectory ReadVctrsDirectory(const std::string& dir) {
  auto path = [&](const char* name) { return dir + "/" + name; };
  VctrsDirectory out;
  std::optional<std::string> graph_bytes = ReadWhole(path(kGraphFileName));
  std::optional<std::string> vector_bytes = ReadWhole(path(kVectorsFileName));
  std::optional<std::string> sq8_bytes = ReadWhole(path(kSq8FileName));
  std::optional<std::string> wal_bytes = ReadWhole(path(kWalFileName));
  if (!graph_bytes && !wal_bytes) {
    if (vector_bytes)
      Throw(ErrorCode::kCorruption, path(kGraphFileName) + ": missing beside vectors.bin");
    Throw(ErrorCode::kInvalidArgument,
          dir + " holds no vctrs database (no graph.vctrs or wal.vctrs)");
  }
  std::optional<GraphFile> graph;
  std::string_view rows;
  if (graph_bytes) {
    if (!vector_bytes) {
      struct stat st;
      const bool older = ::stat(path("meta.vctrs").c_str(), &st) == 0;
      Throw(ErrorCode::kCorruption,
            path(kVectorsFileName) + ": missing beside graph.vctrs" +
                (older ? " (meta.vctrs is there: a layout older than vctrs 0.3.0's; open and "
                         "save it with vctrs 0.3.0 first, or move it with export_json)"
                       : ""));
    }
    graph = ParseGraphFile(*graph_bytes, path(kGraphFileName));
    rows = VectorRows(*vector_bytes, *graph, path(kVectorsFileName));
    out.files.push_back(kGraphFileName);
    out.files.push_back(kVectorsFileName);
    if (sq8_bytes) {
      CheckSq8File(*sq8_bytes, *graph, path(kSq8FileName));
      out.quantized = true;
      out.files.push_back(kSq8FileName);
    }
  } else if (vector_bytes) {
    Throw(ErrorCode::kCorruption, path(kGraphFileName) + ": missing beside vectors.bin");
  }
  std::optional<WalFile> wal;
  if (wal_bytes) {
    wal = ParseWalFile(*wal_bytes, path(kWalFileName));
    out.files.push_back(kWalFileName);
  }
  out.records = Replay(graph ? &*graph : nullptr, rows, wal ? &*wal : nullptr, path(kGraphFileName),
                       path(kWalFileName));
  return out;
}

}  // namespace herondb::vctrs
