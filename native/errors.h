// Failures cross from worker threads to JS as plain data (Failure), and become a JS Error
// only on the JS thread, where N-API may be called. The JS shape follows Node's
// SystemError: negative `errno`, `code` ('EEXIST'), `syscall`, plus netlink fields.
#pragma once

#include <napi.h>

#include <cstdint>
#include <exception>
#include <string>

namespace nsnet {

struct Failure : std::exception {
  int err = 0;          // positive errno value
  std::string syscall;  // 'open', 'setns', … or 'netlink' for NLMSG_ERROR replies
  std::string path;     // what the syscall acted on, if anything
  // Netlink replies only (index < 0 means "not a netlink message error").
  int64_t index = -1;
  int msgType = 0;
  bool hasExtack = false;
  std::string extack;
  int64_t extackOffset = -1;
  bool dumpInterrupted = false;

  const char* what() const noexcept override { return "nsnet::Failure"; }
};

// Throws a Failure for `err` (positive errno).
[[noreturn]] void ThrowFailure(int err, const char* syscall, const std::string& path = {});
// Throws a Failure for the current errno.
[[noreturn]] void ThrowErrno(const char* syscall, const std::string& path = {});

// 'EEXIST' for 17; 'E<n>' for numbers the C library has no name for.
std::string ErrnoCode(int err);

// Builds the JS Error (JS thread only).
Napi::Error ToJsError(Napi::Env env, const Failure& failure);
Napi::Error ToJsError(Napi::Env env, int err, const char* syscall, const std::string& path = {});

}  // namespace nsnet
