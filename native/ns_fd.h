// NsFd: the JS owner of one namespace fd (/run/netns/NAME, /proc/PID/ns/net, …).
#pragma once

#include <napi.h>

#include "unique_fd.h"

namespace nsnet {

class NsFd : public Napi::ObjectWrap<NsFd> {
 public:
  // Wraps `fd` in a new JS NsFd (JS thread only).
  static Napi::Object New(Napi::Env env, UniqueFd fd);

  // For async calls that take an `NsFd | null`: returns a dup of its fd (an invalid
  // UniqueFd for null/undefined). The worker owns the dup, so a close() from JS while the
  // work runs cannot close the fd under it or hand its number to another open().
  static UniqueFd DupArg(Napi::Env env, Napi::Value value);

  explicit NsFd(const Napi::CallbackInfo& info);

  static Napi::Function Define(Napi::Env env);

 private:
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value Identity(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // Closed by close() or, if JS never called it, by the destructor when the object is
  // garbage-collected.
  UniqueFd fd_;
};

}  // namespace nsnet
