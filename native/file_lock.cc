// flock(2) for the state store: one lock per open file description, released by closing
// the fd (release(), or garbage collection as a last resort). Other processes — another
// nsnet, or `flock(1)` in a shell — see the same lock.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "addon.h"
#include "errors.h"
#include "promise_worker.h"
#include "unique_fd.h"

namespace nsnet {

class FileLock : public Napi::ObjectWrap<FileLock> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FileLock",
                       {
                           InstanceAccessor<&FileLock::GetFd>("fd"),
                           InstanceAccessor<&FileLock::GetClosed>("closed"),
                           InstanceMethod<&FileLock::Release>("release"),
                       });
  }

  static Napi::Object New(Napi::Env env, UniqueFd fd) {
    return GetAddonData(env).fileLock.New({Napi::External<UniqueFd>::New(env, &fd)});
  }

  explicit FileLock(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FileLock>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "FileLock cannot be constructed from JavaScript");
    }
    fd_ = std::move(*info[0].As<Napi::External<UniqueFd>>().Data());
  }

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_.Get()); }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !fd_.Valid()); }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    fd_.Reset();  // closing the only fd of the open file description drops the flock
    return info.Env().Undefined();
  }

  UniqueFd fd_;
};

// True if `file` still names the inode `fd` is open on.
static bool NamesInode(int fd, const std::string& file) {
  struct stat held, named;
  if (fstat(fd, &held) != 0) ThrowErrno("fstat", file);
  if (stat(file.c_str(), &named) != 0) {
    if (errno == ENOENT) return false;
    ThrowErrno("stat", file);
  }
  return held.st_ino == named.st_ino && held.st_dev == named.st_dev;
}

// A lock file can be unlinked while someone waits on it (a network being deleted): the
// waiter then wins a lock on an orphaned inode that nobody else will ever contend for. So
// the lock is held only once the path still names the inode locked; else it starts over.
static UniqueFd TakeLock(const std::string& file, bool exclusive, bool wait) {
  for (;;) {
    UniqueFd fd(open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.Valid()) ThrowErrno("open", file);
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    // A waiting flock() occupies this pool thread until the holder lets go; EINTR only
    // happens on a signal, after which we simply wait again.
    while (flock(fd.Get(), op) != 0) {
      if (errno != EINTR) ThrowErrno("flock", file);
    }
    if (NamesInode(fd.Get(), file)) return fd;
  }
}

static Napi::Value Lock(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    std::string file = StringArg(info, 0, "file");
    bool exclusive = BoolArg(info, 1, "exclusive");
    bool wait = BoolArg(info, 2, "wait");
    return PromiseWorker<UniqueFd>::Start(
        info.Env(), [file, exclusive, wait] { return TakeLock(file, exclusive, wait); },
        [](Napi::Env env, UniqueFd& fd) -> Napi::Value { return FileLock::New(env, std::move(fd)); });
  });
}

// The uncontended case without a thread hop: open(2) of a local file and flock(LOCK_NB)
// never block, so they may run on the JS thread. Returns null when someone else holds the
// lock; the caller then waits through lock() on the pool.
static Napi::Value TryLock(const Napi::CallbackInfo& info) {
  std::string file = StringArg(info, 0, "file");
  bool exclusive = BoolArg(info, 1, "exclusive");
  try {
    return FileLock::New(info.Env(), TakeLock(file, exclusive, false));
  } catch (const Failure& f) {
    if (f.err == EWOULDBLOCK) return info.Env().Null();
    throw ToJsError(info.Env(), f);
  }
}

void InitFileLock(Napi::Env env, Napi::Object exports, AddonData& data) {
  data.fileLock = Napi::Persistent(FileLock::Define(env));
  exports.Set("lock", Napi::Function::New<Lock>(env, "lock"));
  exports.Set("tryLock", Napi::Function::New<TryLock>(env, "tryLock"));
}

}  // namespace nsnet
