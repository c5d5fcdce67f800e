// FaultInjectionEnv: see fault_injection_env.h for the contract.
#include "herondb/storage/fault_injection_env.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>

namespace herondb {
namespace {

Error Injected(const char* op, const std::string& path, int err) {
  Error base = IOError(op, path, err);
  return Error(ErrorCode::kIOError, std::string(base.what()) + " (injected)", err);
}

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(FaultInjectionEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}

  void Append(const void* data, size_t n) override {
    std::string_view part(static_cast<const char*>(data), n);
    AppendParts(std::span<const std::string_view>(&part, 1));
  }

  void AppendParts(std::span<const std::string_view> parts) override {
    uint64_t total = 0;
    for (auto p : parts) total += p.size();
    if (int cut = env_->CountMutation(); cut != 0) throw Injected("write", base_->path(), cut);
    int err = env_->Decide(FaultInjectionEnv::Op::kWrite, total);
    if (err != 0) {
      size_t left = std::min<uint64_t>(env_->partial_write(), total);
      if (left > 0) {
        // Write a prefix, then restore the logical size as a failed write does.
        uint64_t before = base_->Size();
        for (auto p : parts) {
          size_t take = std::min(left, p.size());
          if (take > 0) base_->Append(p.data(), take);
          left -= take;
          if (left == 0) break;
        }
        torn_size_ = before;
      }
      throw Injected("write", base_->path(), err);
    }
    base_->AppendParts(parts);
    env_->NoteAppend(base_->path(), base_->Size());
  }

  void Sync() override {
    if (int cut = env_->CountMutation(); cut != 0) throw Injected("fsync", base_->path(), cut);
    int err = env_->Decide(FaultInjectionEnv::Op::kSync);
    if (err != 0) throw Injected("fsync", base_->path(), err);
    if (env_->simulating()) {
      env_->NoteSync(base_->path(), Size());
    } else {
      base_->Sync();
    }
  }

  void Truncate(uint64_t size) override {
    if (int cut = env_->CountMutation(); cut != 0) throw Injected("truncate", base_->path(), cut);
    base_->Truncate(size);
    torn_size_.reset();
    env_->NoteTruncate(base_->path(), size);
  }
  void Close() override { base_->Close(); }
  uint64_t Size() const override { return torn_size_ ? *torn_size_ : base_->Size(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionEnv* env_;
  std::unique_ptr<WritableFile> base_;
  // Logical size before a failed partial write (the base counted the prefix).
  std::optional<uint64_t> torn_size_;
};

}  // namespace

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::SetPlan(Op op, int n, int err, bool sticky) {
  std::lock_guard<std::mutex> l(mu_);
  Plan& p = plans_[static_cast<int>(op)];
  p.active = true;
  p.sticky = sticky;
  p.countdown = std::max(n, 0);
  p.err = err;
}

void FaultInjectionEnv::FailWriteAfter(int n, int err) { SetPlan(Op::kWrite, n, err, false); }
void FaultInjectionEnv::FailAllWritesAfter(int n, int err) { SetPlan(Op::kWrite, n, err, true); }
void FaultInjectionEnv::FailSyncAfter(int n, int err) { SetPlan(Op::kSync, n, err, false); }
void FaultInjectionEnv::FailAllSyncsAfter(int n, int err) { SetPlan(Op::kSync, n, err, true); }
void FaultInjectionEnv::FailRenameAfter(int n, int err) { SetPlan(Op::kRename, n, err, false); }
void FaultInjectionEnv::FailAllRenamesAfter(int n, int err) { SetPlan(Op::kRename, n, err, true); }
void FaultInjectionEnv::FailOpenAfter(int n, int err) { SetPlan(Op::kOpen, n, err, false); }
void FaultInjectionEnv::FailAllOpensAfter(int n, int err) { SetPlan(Op::kOpen, n, err, true); }

void FaultInjectionEnv::SetPartialWrite(size_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  partial_write_ = bytes;
}

size_t FaultInjectionEnv::partial_write() const {
  std::lock_guard<std::mutex> l(mu_);
  return partial_write_;
}

void FaultInjectionEnv::Reset() {
  std::lock_guard<std::mutex> l(mu_);
  for (Plan& p : plans_) p = Plan{};
  partial_write_ = 0;
}

void FaultInjectionEnv::ResetCounters() {
  std::lock_guard<std::mutex> l(mu_);
  for (uint64_t& c : counts_) c = 0;
  bytes_written_ = 0;
  failed_ = 0;
}

uint64_t FaultInjectionEnv::write_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_[static_cast<int>(Op::kWrite)];
}
uint64_t FaultInjectionEnv::bytes_written() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_written_;
}
uint64_t FaultInjectionEnv::sync_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_[static_cast<int>(Op::kSync)];
}
uint64_t FaultInjectionEnv::rename_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_[static_cast<int>(Op::kRename)];
}
uint64_t FaultInjectionEnv::failed_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return failed_;
}

int FaultInjectionEnv::Decide(Op op, uint64_t bytes) {
  std::lock_guard<std::mutex> l(mu_);
  Plan& p = plans_[static_cast<int>(op)];
  if (p.active) {
    if (p.countdown > 0) {
      --p.countdown;
    } else {
      int err = p.err;
      if (!p.sticky) p.active = false;
      ++failed_;
      return err;
    }
  }
  ++counts_[static_cast<int>(op)];
  if (op == Op::kWrite) bytes_written_ += bytes;
  return 0;
}

std::unique_ptr<WritableFile> FaultInjectionEnv::NewWritableFile(const std::string& path) {
  if (int cut = CountMutation(); cut != 0) throw Injected("open", path, cut);
  if (int err = Decide(Op::kOpen); err != 0) throw Injected("open", path, err);
  const bool existed = simulating() && base_->FileExists(path);
  auto file = std::make_unique<FaultWritableFile>(this, base_->NewWritableFile(path));
  if (simulating()) {
    std::lock_guard<std::mutex> l(mu_);
    tracked_[path] = TrackedFile{};
    if (!existed) pending_.push_back(DirOp{DirOp::kCreate, path, {}, false, {}});
  }
  return file;
}
std::unique_ptr<WritableFile> FaultInjectionEnv::NewAppendableFile(const std::string& path) {
  if (int cut = CountMutation(); cut != 0) throw Injected("open", path, cut);
  if (int err = Decide(Op::kOpen); err != 0) throw Injected("open", path, err);
  const bool existed = simulating() && base_->FileExists(path);
  auto file = std::make_unique<FaultWritableFile>(this, base_->NewAppendableFile(path));
  if (simulating()) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = tracked_.find(path);
    if (it == tracked_.end()) tracked_[path] = TrackedFile{file->Size(), file->Size()};
    if (!existed) pending_.push_back(DirOp{DirOp::kCreate, path, {}, false, {}});
  }
  return file;
}
std::unique_ptr<RandomAccessFile> FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  if (int err = Decide(Op::kOpen); err != 0) throw Injected("open", path, err);
  return base_->NewRandomAccessFile(path);
}
std::string FaultInjectionEnv::ReadFileToString(const std::string& path) {
  if (int err = Decide(Op::kOpen); err != 0) throw Injected("open", path, err);
  return base_->ReadFileToString(path);
}
bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }
uint64_t FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}
void FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  if (int cut = CountMutation(); cut != 0) throw Injected("rename", from + " -> " + to, cut);
  int err = Decide(Op::kRename);
  if (err != 0) throw Injected("rename", from + " -> " + to, err);
  if (!simulating()) {
    base_->RenameFile(from, to);
    return;
  }
  std::lock_guard<std::mutex> l(mu_);
  DirOp op{DirOp::kRename, to, from, base_->FileExists(to), {}};
  if (op.replaced) {
    op.content = DurableContent(to);
  }
  base_->RenameFile(from, to);
  tracked_.erase(to);
  if (auto it = tracked_.find(from); it != tracked_.end()) {
    tracked_[to] = it->second;
    tracked_.erase(from);
  }
  pending_.push_back(std::move(op));
}
void FaultInjectionEnv::RemoveFile(const std::string& path) {
  if (int cut = CountMutation(); cut != 0) throw Injected("remove", path, cut);
  if (!simulating()) {
    base_->RemoveFile(path);
    return;
  }
  std::lock_guard<std::mutex> l(mu_);
  DirOp op{DirOp::kRemove, path, {}, false, DurableContent(path)};
  base_->RemoveFile(path);
  tracked_.erase(path);
  pending_.push_back(std::move(op));
}
void FaultInjectionEnv::CreateDirs(const std::string& path) { base_->CreateDirs(path); }
std::vector<std::string> FaultInjectionEnv::ListDir(const std::string& path) {
  return base_->ListDir(path);
}
void FaultInjectionEnv::SyncDir(const std::string& path) {
  if (int cut = CountMutation(); cut != 0) throw Injected("fsync directory", path, cut);
  if (int err = Decide(Op::kOpen); err != 0) throw Injected("open directory", path, err);
  int err = Decide(Op::kSync);
  if (err != 0) throw Injected("fsync directory", path, err);
  if (!simulating()) {
    base_->SyncDir(path);
    return;
  }
  // Every directory operation in `path` is durable now.
  std::lock_guard<std::mutex> l(mu_);
  const std::string dir = DirOf(JoinPath(path, "x"));
  std::erase_if(pending_, [&](const DirOp& op) {
    return DirOf(op.path) == dir && (op.from.empty() || DirOf(op.from) == dir);
  });
}

// ---- power-loss simulation --------------------------------------------------

std::string FaultInjectionEnv::DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

void FaultInjectionEnv::SimulatePowerLoss(bool on) {
  std::lock_guard<std::mutex> l(mu_);
  simulate_ = on;
  tracked_.clear();
  pending_.clear();
  cut_armed_ = power_cut_ = false;
  mutations_ = 0;
}

bool FaultInjectionEnv::simulating() const {
  std::lock_guard<std::mutex> l(mu_);
  return simulate_;
}

void FaultInjectionEnv::CutPowerAfter(uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  cut_armed_ = true;
  cut_after_ = n;
  mutations_ = 0;
}

bool FaultInjectionEnv::power_cut() const {
  std::lock_guard<std::mutex> l(mu_);
  return power_cut_;
}

uint64_t FaultInjectionEnv::mutation_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return mutations_;
}

int FaultInjectionEnv::CountMutation() {
  std::lock_guard<std::mutex> l(mu_);
  if (!simulate_) return 0;
  if (power_cut_) return EIO;
  if (cut_armed_ && mutations_ >= cut_after_) {
    power_cut_ = true;
    return EIO;
  }
  ++mutations_;
  return 0;
}

void FaultInjectionEnv::NoteAppend(const std::string& path, uint64_t new_size) {
  std::lock_guard<std::mutex> l(mu_);
  if (!simulate_) return;
  if (auto it = tracked_.find(path); it != tracked_.end()) it->second.size = new_size;
}

void FaultInjectionEnv::NoteSync(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  if (auto it = tracked_.find(path); it != tracked_.end()) {
    it->second.size = size;
    it->second.durable = size;
  }
}

void FaultInjectionEnv::NoteTruncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> l(mu_);
  if (!simulate_) return;
  if (auto it = tracked_.find(path); it != tracked_.end()) {
    it->second.size = size;
    it->second.durable = std::min(it->second.durable, size);
  }
}

std::string FaultInjectionEnv::DurableContent(const std::string& path) {
  std::string content = base_->ReadFileToString(path);
  if (auto it = tracked_.find(path); it != tracked_.end() && it->second.durable < content.size())
    content.resize(static_cast<size_t>(it->second.durable));
  return content;
}

void FaultInjectionEnv::DropUnsyncedData(std::mt19937_64* rng) {
  std::lock_guard<std::mutex> l(mu_);
  namespace fs = std::filesystem;
  auto write_file = [&](const std::string& path, const std::string& content) {
    auto f = base_->NewWritableFile(path);
    f->Append(content.data(), content.size());
    f->Close();
  };
  for (const auto& [path, tf] : tracked_) {
    std::error_code ec;
    if (!fs::exists(path, ec)) continue;
    uint64_t keep = tf.durable;
    if (rng != nullptr && tf.size > tf.durable)
      keep = tf.durable + (*rng)() % (tf.size - tf.durable + 1);
    if (fs::file_size(path, ec) > keep) fs::resize_file(path, keep);
  }
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    std::error_code ec;
    switch (it->kind) {
      case DirOp::kCreate:
        fs::remove(it->path, ec);
        break;
      case DirOp::kRename:
        if (fs::exists(it->path, ec)) fs::rename(it->path, it->from, ec);
        if (it->replaced) write_file(it->path, it->content);
        break;
      case DirOp::kRemove:
        write_file(it->path, it->content);
        break;
    }
  }
  tracked_.clear();
  pending_.clear();
  cut_armed_ = power_cut_ = false;
  mutations_ = 0;
}

}  // namespace herondb
