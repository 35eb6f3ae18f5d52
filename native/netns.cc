// Named network namespaces, iproute2-compatible: `ip netns add/del` and nsnet see and
// manage the same /run/netns/NAME files. Plus opening namespace files by path or pid.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "addon.h"
#include "errors.h"
#include "netns.h"
#include "netlink_socket.h"
#include "ns_fd.h"
#include "ns_thread.h"
#include "promise_worker.h"
#include "unique_fd.h"

namespace nsnet {

static UniqueFd OpenNsFile(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.Valid()) ThrowErrno("open", path);
  return fd;
}

// mkdir -p with mode 0755 (the mode `ip netns add` gives /run/netns).
static void MakeDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir", prefix);
  }
}

// Creates `dir` and makes it a shared mount point, as iproute2 does for /run/netns. Shared
// propagation means a namespace bind mount made (or unmounted) here shows up in every mount
// namespace that has a copy of `dir`, so `ip netns del` in one of them really frees the
// namespace.
//
// Once per directory per process (`forget` drops it from the cache, for a directory removed
// behind our back): with MS_REC the kernel walks every mount below `dir` (one per named
// namespace), so redoing it for each create made a create's cost grow with the number of
// namespaces, and the mkdir of each path component is a failed syscall per create. A
// namespace mounted later under a shared mount joins its peer group anyway; only someone
// making `dir` private behind our back defeats the cache, and then the bind mounts still
// work, they just stop propagating (as with an older iproute2).
static void PrepareNetnsDir(const std::string& dir, bool forget = false) {
  // Two concurrent creates must not both bind-mount `dir` onto itself (stacked mounts).
  static std::mutex mutex;
  static std::set<std::string> done;
  std::lock_guard<std::mutex> lock(mutex);
  if (forget) done.erase(dir);
  if (done.count(dir)) return;
  MakeDirs(dir);
  bool boundOntoItself = false;
  while (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    // EINVAL: `dir` is not a mount point yet. Make it one by binding it onto itself,
    // then retry; any other error, or EINVAL after that, is real.
    if (errno != EINVAL || boundOntoItself) ThrowErrno("mount", dir);
    if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) ThrowErrno("mount", dir);
    boundOntoItself = true;
  }
  done.insert(dir);
}

CreatedNetns CreateNamedNetns(const std::string& dir, const std::string& name, int protocol, SwitchOn where) {
  PrepareNetnsDir(dir);
  const std::string file = dir + "/" + name;
  // O_EXCL makes the name the lock: of two creators, exactly one gets the file.
  {
    auto makePlaceholder = [&] { return UniqueFd(open(file.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0)); };
    UniqueFd placeholder = makePlaceholder();
    if (!placeholder.Valid() && errno == ENOENT) {
      PrepareNetnsDir(dir, true);  // the directory went away since we made it
      placeholder = makePlaceholder();
    }
    if (!placeholder.Valid()) ThrowErrno("open", file);
  }
  try {
    UniqueFd socketFd;
    RunSwitching(where, [&] {
      if (unshare(CLONE_NEWNET) != 0) ThrowErrno("unshare");
      // thread-self, not self: /proc/self/ns/net is the namespace of the process's main
      // thread, while the new namespace belongs to this thread only.
      if (mount("/proc/thread-self/ns/net", file.c_str(), "none", MS_BIND, nullptr) != 0) {
        ThrowErrno("mount", file);
      }
      if (protocol >= 0) socketFd = OpenNetlinkFd(protocol);
    });
    CreatedNetns created;
    // The bind mount holds the namespace alive after the thread exits; open it through
    // the file, which also proves the mount is in place.
    created.ns = OpenNsFile(file);
    if (socketFd.Valid()) created.socket = AdoptNetlinkSocket(std::move(socketFd), protocol);
    return created;
  } catch (...) {
    // Roll back: leave no empty or half-made name behind.
    umount2(file.c_str(), MNT_DETACH);
    unlink(file.c_str());
    throw;
  }
}

void CheckNetnsPath(Napi::Env env, const std::string& dir, const std::string& name) {
  if (dir.empty() || dir[0] != '/') throw InvalidArg(env, "dir must be an absolute path");
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw InvalidArg(env, "name must be a plain file name");
  }
}

static bool DeleteNamedNetns(const std::string& file) {
  // MNT_DETACH: processes or fds still using the namespace keep it; the name goes now.
  // EINVAL = not a mount point (half-created or already unmounted), ENOENT = no file.
  if (umount2(file.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    ThrowErrno("umount2", file);
  }
  if (unlink(file.c_str()) != 0) {
    if (errno == ENOENT) return false;
    ThrowErrno("unlink", file);
  }
  return true;
}

static Napi::Value NetnsCreate(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    std::string dir = StringArg(info, 0, "dir");
    std::string name = StringArg(info, 1, "name");
    int protocol = -1;
    if (info[2].IsObject()) {
      Napi::Value p = info[2].As<Napi::Object>().Get("netlinkProtocol");
      if (p.IsNumber()) protocol = p.As<Napi::Number>().Int32Value();
      else if (!p.IsUndefined()) throw InvalidArg(info.Env(), "netlinkProtocol must be a number");
      if (p.IsNumber() && protocol < 0) throw InvalidArg(info.Env(), "netlinkProtocol must be >= 0");
    } else if (!info[2].IsUndefined()) {
      throw InvalidArg(info.Env(), "options must be an object");
    }
    CheckNetnsPath(info.Env(), dir, name);
    return PromiseWorker<CreatedNetns>::Start(
        info.Env(), [dir, name, protocol] { return CreateNamedNetns(dir, name, protocol); },
        [](Napi::Env env, CreatedNetns& created) -> Napi::Value {
          Napi::Object result = Napi::Object::New(env);
          result.Set("ns", NsFd::New(env, std::move(created.ns)));
          if (created.socket) result.Set("socket", NetlinkSocket::New(env, std::move(created.socket)));
          return result;
        });
  });
}

static Napi::Value NetnsDelete(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    std::string file = StringArg(info, 0, "file");
    return PromiseWorker<bool>::Start(
        info.Env(), [file] { return DeleteNamedNetns(file); },
        [](Napi::Env env, bool& deleted) -> Napi::Value { return Napi::Boolean::New(env, deleted); });
  });
}

// Synchronous opens: one open(2) of a /proc or nsfs file, not worth a thread hop.
static Napi::Value OpenSync(Napi::Env env, const std::string& path) {
  try {
    return NsFd::New(env, OpenNsFile(path));
  } catch (const Failure& f) {
    throw ToJsError(env, f);
  }
}

static Napi::Value NsOpen(const Napi::CallbackInfo& info) {
  return OpenSync(info.Env(), StringArg(info, 0, "file"));
}

static Napi::Value NsOpenPid(const Napi::CallbackInfo& info) {
  double pid = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0;
  if (!(pid >= 1 && pid <= INT_MAX && std::floor(pid) == pid)) {
    throw InvalidArg(info.Env(), "pid must be a positive integer");
  }
  return OpenSync(info.Env(), "/proc/" + std::to_string(static_cast<int>(pid)) + "/ns/net");
}

static Napi::Value NsCurrent(const Napi::CallbackInfo& info) {
  // thread-self: the namespace of the calling (JS) thread, which is what "current" means
  // for every socket this thread opens.
  return OpenSync(info.Env(), "/proc/thread-self/ns/net");
}

void InitNetns(Napi::Env env, Napi::Object exports, AddonData& /*data*/) {
  exports.Set("netnsCreate", Napi::Function::New<NetnsCreate>(env, "netnsCreate"));
  exports.Set("netnsDelete", Napi::Function::New<NetnsDelete>(env, "netnsDelete"));
  exports.Set("nsOpen", Napi::Function::New<NsOpen>(env, "nsOpen"));
  exports.Set("nsOpenPid", Napi::Function::New<NsOpenPid>(env, "nsOpenPid"));
  exports.Set("nsCurrent", Napi::Function::New<NsCurrent>(env, "nsCurrent"));
}

}  // namespace nsnet
