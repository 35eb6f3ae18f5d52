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

// A piece of blocking work and the promise it settles: `Run` on the worker thread (every
// exception becomes a Failure, a library bug included: nothing may escape a worker
// thread), `Settle` or `Fail` on the JS thread.
template <class Result>
class PromisedWork {
 public:
  using Work = std::function<Result()>;
  using Settler = std::function<Napi::Value(Napi::Env, Result&)>;

  PromisedWork(Napi::Env env, Work work, Settler settle)
      : deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), settle_(std::move(settle)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Run() {
    try {
      result_.emplace(work_());
    } catch (const Failure& f) {
      failure_.emplace(f);
    } catch (const std::bad_alloc&) {
      failure_.emplace();
      failure_->err = ENOMEM;
      failure_->syscall = "malloc";
    } catch (const std::exception& e) {
      failure_.emplace();
      failure_->err = EIO;
      failure_->syscall = e.what();
    }
  }

  void Settle(Napi::Env env) {
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

  // The work could not be run at all.
  void Fail(Napi::Env env, const Failure& f) {
    failure_.emplace(f);
    Settle(env);
  }

  void Reject(const Napi::Value& error) { deferred_.Reject(error); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Settler settle_;
  std::optional<Result> result_;
  std::optional<Failure> failure_;
};

template <class Result>
class PromiseWorker : public Napi::AsyncWorker {
 public:
  static Napi::Promise Start(Napi::Env env, typename PromisedWork<Result>::Work work, typename PromisedWork<Result>::Settler settle) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(settle));
    Napi::Promise promise = worker->work_.Promise();
    worker->Queue();  // deletes itself after OnOK/OnError
    return promise;
  }

 protected:
  void Execute() override { work_.Run(); }
  void OnOK() override { work_.Settle(Env()); }
  void OnError(const Napi::Error& e) override { work_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, typename PromisedWork<Result>::Work work, typename PromisedWork<Result>::Settler settle)
      : Napi::AsyncWorker(env, "nsnet"), work_(env, std::move(work), std::move(settle)) {}

  PromisedWork<Result> work_;
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
