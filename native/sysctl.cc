// sysctl read/write inside a network namespace.
//
// /proc/sys/net/** is resolved against the network namespace of the thread that *opens*
// the file (not the process, not the reader/writer), so the open has to happen on the
// thread that did setns(). Other /proc/sys subtrees are global or follow other namespaces.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

#include "addon.h"
#include "errors.h"
#include "ns_fd.h"
#include "ns_thread.h"
#include "promise_worker.h"
#include "unique_fd.h"

namespace nsnet {

// 'net/ipv4/conf/eth0.100/forwarding' is fine; anything that could leave /proc/sys is not.
static bool ValidKey(const std::string& key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '/' || c == '-';
    if (!ok) return false;
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

static std::string KeyArg(const Napi::CallbackInfo& info) {
  std::string key = StringArg(info, 1, "key");
  if (!ValidKey(key)) throw InvalidArg(info.Env(), "invalid sysctl key: '" + key + "'");
  return key;
}

static void WriteSysctl(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.Valid()) ThrowErrno("open", path);
  // One write(): proc handlers parse each write call separately, so a split value would be
  // two assignments. They consume the whole buffer or fail (EINVAL for a bad value).
  ssize_t n;
  do n = write(fd.Get(), value.data(), value.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno("write", path);
  if (static_cast<size_t>(n) != value.size()) ThrowFailure(EIO, "write", path);
}

static std::string ReadSysctl(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.Valid()) ThrowErrno("open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.Get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno("read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

static Napi::Value SysctlWrite(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    std::string path = "/proc/sys/" + KeyArg(info);
    std::string value = StringArg(info, 2, "value");
    auto ns = std::make_shared<UniqueFd>(NsFd::DupArg(info.Env(), info[0]));
    return PromiseWorker<bool>::Start(
        info.Env(),
        [ns, path, value] {
          RunInNetns(ns->Get(), [&] { WriteSysctl(path, value); });
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  });
}

static Napi::Value SysctlRead(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    std::string path = "/proc/sys/" + KeyArg(info);
    auto ns = std::make_shared<UniqueFd>(NsFd::DupArg(info.Env(), info[0]));
    return PromiseWorker<std::string>::Start(
        info.Env(),
        [ns, path] {
          std::string value;
          RunInNetns(ns->Get(), [&] { value = ReadSysctl(path); });
          return value;
        },
        [](Napi::Env env, std::string& value) -> Napi::Value { return Napi::String::New(env, value); });
  });
}

void InitSysctl(Napi::Env env, Napi::Object exports, AddonData& /*data*/) {
  exports.Set("sysctlWrite", Napi::Function::New<SysctlWrite>(env, "sysctlWrite"));
  exports.Set("sysctlRead", Napi::Function::New<SysctlRead>(env, "sysctlRead"));
}

}  // namespace nsnet
