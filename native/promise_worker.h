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

// What a piece of blocking work produced: its result, or the Failure it threw (any other
// exception, a library bug, becomes one too: nothing may escape a worker thread). Run on
// the worker thread, Settle on the JS thread.
template <class Result>
struct WorkOutcome {
  using Work = std::function<Result()>;
  using Settler = std::function<Napi::Value(Napi::Env, Result&)>;

  void Run(const Work& work) {
    try {
      result.emplace(work());
    } catch (const Failure& f) {
      failure.emplace(f);
    } catch (const std::bad_alloc&) {
      failure.emplace();
      failure->err = ENOMEM;
      failure->syscall = "malloc";
    } catch (const std::exception& e) {
      failure.emplace();
      failure->err = EIO;
      failure->syscall = e.what();
    }
  }

  void Settle(Napi::Env env, Napi::Promise::Deferred& deferred, const Settler& settle) {
    Napi::HandleScope scope(env);
    if (failure) {
      deferred.Reject(ToJsError(env, *failure).Value());
      return;
    }
    try {
      deferred.Resolve(settle(env, *result));
    } catch (const Napi::Error& e) {
      deferred.Reject(e.Value());
    }
  }

  std::optional<Result> result;
  std::optional<Failure> failure;
};

template <class Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = typename WorkOutcome<Result>::Work;
  using Settle = typename WorkOutcome<Result>::Settler;

  static Napi::Promise Start(Napi::Env env, Work work, Settle settle) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(settle));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // deletes itself after OnOK/OnError
    return promise;
  }

 protected:
  void Execute() override { outcome_.Run(work_); }
  void OnOK() override { outcome_.Settle(Env(), deferred_, settle_); }
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
  WorkOutcome<Result> outcome_;
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
