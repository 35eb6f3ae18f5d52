// Per-environment state and the init hooks of each part of the addon.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

namespace nsnet {

struct ThreadDispatch;  // thread_worker.cc

// Constructors of the classes we hand out. Stored per environment (worker_threads each
// load their own copy of the addon) rather than in globals.
struct AddonData {
  Napi::FunctionReference nsFd;
  Napi::FunctionReference netlinkSocket;
  Napi::FunctionReference fileLock;
  std::shared_ptr<ThreadDispatch> threads;  // made on first use
};

inline AddonData& GetAddonData(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// Argument helpers: throw a TypeError naming the argument.
std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// A TypeError with code 'ERR_INVALID_ARG_VALUE', as Node's own APIs throw: the input was
// refused before any syscall.
Napi::Error InvalidArg(Napi::Env env, const std::string& message);

void InitNsFd(Napi::Env env, Napi::Object exports, AddonData& data);
void InitNetns(Napi::Env env, Napi::Object exports, AddonData& data);
void InitNetlinkSocket(Napi::Env env, Napi::Object exports, AddonData& data);
void InitNetlinkPlan(Napi::Env env, Napi::Object exports, AddonData& data);
void InitSysctl(Napi::Env env, Napi::Object exports, AddonData& data);
void InitFileLock(Napi::Env env, Napi::Object exports, AddonData& data);
void InitInetSocket(Napi::Env env, Napi::Object exports, AddonData& data);

}  // namespace nsnet
