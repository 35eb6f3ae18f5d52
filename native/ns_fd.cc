#include "ns_fd.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "addon.h"
#include "errors.h"
#include "fd_table.h"

namespace nsnet {

Napi::Function NsFd::Define(Napi::Env env) {
  return DefineClass(env, "NsFd",
                     {
                         InstanceAccessor<&NsFd::GetFd>("fd"),
                         InstanceAccessor<&NsFd::GetClosed>("closed"),
                         InstanceMethod<&NsFd::Identity>("identity"),
                         InstanceMethod<&NsFd::Close>("close"),
                     });
}

void InitNsFd(Napi::Env env, Napi::Object /*exports*/, AddonData& data) {
  // Not exported: JS gets NsFds only from the addon's functions.
  data.nsFd = Napi::Persistent(NsFd::Define(env));
}

NsFd::NsFd(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NsFd>(info) {
  // Only NsFd::New passes an External; JS code cannot create one.
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NsFd cannot be constructed from JavaScript");
  }
  fd_ = std::move(*info[0].As<Napi::External<UniqueFd>>().Data());
}

Napi::Object NsFd::New(Napi::Env env, UniqueFd fd) {
  KeepFdTableAhead(fd.Get());
  return GetAddonData(env).nsFd.New({Napi::External<UniqueFd>::New(env, &fd)});
}

UniqueFd NsFd::DupArg(Napi::Env env, Napi::Value value) {
  if (value.IsNull() || value.IsUndefined()) return UniqueFd();
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(GetAddonData(env).nsFd.Value())) {
    throw InvalidArg(env, "ns must be an NsFd or null");
  }
  NsFd* ns = Unwrap(value.As<Napi::Object>());
  if (!ns->fd_.Valid()) throw ToJsError(env, EBADF, "dup");
  UniqueFd dup(fcntl(ns->fd_.Get(), F_DUPFD_CLOEXEC, 0));
  if (!dup.Valid()) throw ToJsError(env, errno, "dup");
  return dup;
}

Napi::Value NsFd::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_.Get()); }

Napi::Value NsFd::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !fd_.Valid());
}

Napi::Value NsFd::Identity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Every namespace is an inode of the nsfs pseudo filesystem: two fds refer to the same
  // namespace exactly when st_dev and st_ino agree (what `ip netns identify` compares).
  struct stat st;
  if (!fd_.Valid()) throw ToJsError(env, EBADF, "fstat");
  if (fstat(fd_.Get(), &st) != 0) throw ToJsError(env, errno, "fstat");
  Napi::Object id = Napi::Object::New(env);
  id.Set("dev", Napi::Number::New(env, static_cast<double>(st.st_dev)));
  id.Set("ino", Napi::Number::New(env, static_cast<double>(st.st_ino)));
  return id;
}

Napi::Value NsFd::Close(const Napi::CallbackInfo& info) {
  fd_.Reset();  // idempotent
  return info.Env().Undefined();
}

}  // namespace nsnet
