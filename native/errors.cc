#include "errors.h"

#include <string.h>

#include <cerrno>

namespace nsnet {

void ThrowFailure(int err, const char* syscall, const std::string& path) {
  Failure f;
  f.err = err;
  f.syscall = syscall;
  f.path = path;
  throw f;
}

void ThrowErrno(const char* syscall, const std::string& path) { ThrowFailure(errno, syscall, path); }

std::string ErrnoCode(int err) {
  // strerrorname_np exists since glibc 2.32; elsewhere fall back to the number, which is
  // still what lib/errors.ts prints for errnos Node does not know.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* name = strerrorname_np(err)) return name;
#endif
  return "E" + std::to_string(err);
}

static std::string Describe(int err) {
  char buf[256];
  // The GNU strerror_r returns a pointer that may or may not be `buf`.
  return strerror_r(err, buf, sizeof buf);
}

Napi::Error ToJsError(Napi::Env env, const Failure& f) {
  std::string code = ErrnoCode(f.err);
  std::string message = code + ": " + Describe(f.err);
  if (f.index >= 0) {
    if (f.hasExtack) message += ": " + f.extack;
    message += ", netlink message " + std::to_string(f.index) + " (type " + std::to_string(f.msgType) + ")";
  } else if (f.dumpInterrupted) {
    message += ", netlink dump interrupted (the kernel's table changed during the dump; retry)";
  } else {
    message += ", " + f.syscall;
    if (!f.path.empty()) message += " '" + f.path + "'";
  }

  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -f.err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, f.syscall));
  if (!f.path.empty()) obj.Set("path", Napi::String::New(env, f.path));
  if (f.index >= 0) {
    obj.Set("index", Napi::Number::New(env, static_cast<double>(f.index)));
    obj.Set("msgType", Napi::Number::New(env, f.msgType));
    if (f.hasExtack) obj.Set("extack", Napi::String::New(env, f.extack));
    if (f.extackOffset >= 0) obj.Set("extackOffset", Napi::Number::New(env, static_cast<double>(f.extackOffset)));
  }
  if (f.dumpInterrupted) obj.Set("dumpInterrupted", Napi::Boolean::New(env, true));
  return error;
}

Napi::Error ToJsError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  Failure f;
  f.err = err;
  f.syscall = syscall;
  f.path = path;
  return ToJsError(env, f);
}

}  // namespace nsnet
