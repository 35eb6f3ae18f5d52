// The one way the addon does blocking work: `work` runs on a libuv pool thread and returns
// plain C++ data (never touches N-API), then `settle` turns that data into a JS value on
// the JS thread and resolves the Promise. A Failure thrown by `work` rejects it with the
// SystemError-shaped Error from errors.h.
#pragma once

#include <napi.h>

#include <cerrno>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <utility>

#include "errors.h"

namespace nsnet {

template <class Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<Result()>;
  using Settle = std::function<Napi::Value(Napi::Env, Result&)>;

  static Napi::Promise Start(Napi::Env env, Work work, Settle settle) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(settle));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // deletes itself after OnOK/OnError
    return promise;
  }

 protected:
  void Execute() override {
    try {
      result_.emplace(work_());
    } catch (const Failure& f) {
      failure_.emplace(f);
    } catch (const std::bad_alloc&) {
      failure_.emplace();
      failure_->err = ENOMEM;
      failure_->syscall = "malloc";
    } catch (const std::exception& e) {  // a library bug; never let it escape a pool thread
      failure_.emplace();
      failure_->err = EIO;
      failure_->syscall = e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failure_) {
      deferred_.Reject(ToJsError(env, *failure_).Value());
      return;
    }
    try {
      deferred_.Resolve(settle_(env, *result_));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, Work work, Settle settle)
      : Napi::AsyncWorker(env, "nsnet"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        settle_(std::move(settle)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Settle settle_;
  std::optional<Result> result_;
  std::optional<Failure> failure_;
};

// Runs `body` (argument parsing + PromiseWorker::Start) so that a bad argument rejects the
// returned Promise instead of throwing synchronously: callers of a Promise API handle
// every failure in one place.
template <class Body>
Napi::Value AsyncEntry(const Napi::CallbackInfo& info, Body body) {
  Napi::Env env = info.Env();
  auto rejected = [&](const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  };
  try {
    return body();
  } catch (const Napi::Error& e) {
    return rejected(e);
  } catch (const Failure& f) {
    return rejected(ToJsError(env, f));
  }
}

}  // namespace nsnet
