// Module entry point: registers the functions of lib/native.ts's RawAddon.
#include "addon.h"

#include <cstring>

namespace nsnet {

Napi::Error InvalidArg(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_VALUE"));
  return error;
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) throw InvalidArg(info.Env(), std::string(name) + " must be a string");
  std::string value = info[i].As<Napi::String>().Utf8Value();
  // A NUL would silently cut the path short at the syscall boundary.
  if (value.find('\0') != std::string::npos) {
    throw InvalidArg(info.Env(), std::string(name) + " must not contain NUL bytes");
  }
  return value;
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsBoolean()) throw InvalidArg(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);  // deleted by N-API when the environment goes away
  InitNsFd(env, exports, *data);
  InitNetns(env, exports, *data);
  InitNetlinkSocket(env, exports, *data);
  InitNetlinkPlan(env, exports, *data);
  InitSysctl(env, exports, *data);
  InitFileLock(env, exports, *data);
  InitInetSocket(env, exports, *data);
  return exports;
}

}  // namespace nsnet

// The macro pastes its argument into an identifier, so it needs an unqualified name.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nsnet::Init(env, exports); }

NODE_API_MODULE(nsnet, InitModule)
