// herondb::Error: the single error mechanism of the C++ core.
//
// Contract: every failure the core reports is a thrown herondb::Error whose
// code() maps one-to-one onto a Python exception in the bindings:
//   kInvalidArgument, kNotFound, kAlreadyExists, kReadOnly -> ValueError
//   kTypeError                                             -> TypeError
//   kLocked                                                -> DatabaseLockedError
//   kCorruption                                            -> CorruptionError
//   kIOError                                               -> StorageError (OSError+ValueError)
//   kNotSupported                                          -> NotImplementedError
// Messages name the offending id, field, value, file or offset. Code that
// throws must leave the object it was called on unchanged (all-or-nothing).
#pragma once

#include <stdexcept>
#include <string>

namespace herondb {

enum class ErrorCode {
  kInvalidArgument,
  kTypeError,
  kNotFound,
  kAlreadyExists,
  kReadOnly,
  kLocked,
  kCorruption,
  kIOError,
  kNotSupported,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, int sys_errno = 0)
      : std::runtime_error(message), code_(code), sys_errno_(sys_errno) {}
  ErrorCode code() const noexcept { return code_; }
  // errno of the failed system call for kIOError, else 0.
  int sys_errno() const noexcept { return sys_errno_; }

 private:
  ErrorCode code_;
  int sys_errno_;
};

[[noreturn]] inline void Throw(ErrorCode code, const std::string& message) {
  throw Error(code, message);
}

inline void Check(bool ok, ErrorCode code, const std::string& message) {
  if (!ok) throw Error(code, message);
}

}  // namespace herondb
