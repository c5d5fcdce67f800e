// FaultInjectionEnv: see fault_injection_env.h for the contract.
#include "herondb/storage/fault_injection_env.h"

#include <algorithm>
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
  }

  void Sync() override {
    int err = env_->Decide(FaultInjectionEnv::Op::kSync);
    if (err != 0) throw Injected("fsync", base_->path(), err);
    base_->Sync();
  }

  void Truncate(uint64_t size) override {
    base_->Truncate(size);
    torn_size_.reset();
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
  return std::make_unique<FaultWritableFile>(this, base_->NewWritableFile(path));
}
std::unique_ptr<WritableFile> FaultInjectionEnv::NewAppendableFile(const std::string& path) {
  return std::make_unique<FaultWritableFile>(this, base_->NewAppendableFile(path));
}
std::unique_ptr<RandomAccessFile> FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  return base_->NewRandomAccessFile(path);
}
std::string FaultInjectionEnv::ReadFileToString(const std::string& path) {
  return base_->ReadFileToString(path);
}
bool FaultInjectionEnv::FileExists(const std::string& path) { return base_->FileExists(path); }
uint64_t FaultInjectionEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}
void FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  int err = Decide(Op::kRename);
  if (err != 0) throw Injected("rename", from + " -> " + to, err);
  base_->RenameFile(from, to);
}
void FaultInjectionEnv::RemoveFile(const std::string& path) { base_->RemoveFile(path); }
void FaultInjectionEnv::CreateDirs(const std::string& path) { base_->CreateDirs(path); }
std::vector<std::string> FaultInjectionEnv::ListDir(const std::string& path) {
  return base_->ListDir(path);
}
void FaultInjectionEnv::SyncDir(const std::string& path) {
  int err = Decide(Op::kSync);
  if (err != 0) throw Injected("fsync directory", path, err);
  base_->SyncDir(path);
}

}  // namespace herondb
