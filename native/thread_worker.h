// ThreadWorker: like PromiseWorker, but `work` runs on a thread of its own (made ahead by
// a spawner thread, handed the work by the JS thread, joined once it has reported back) —
// for work whose first step switches namespace (a netlink plan making or entering one).
//
// Through the pool, such work cost three cross-thread wake-ups before its first kernel
// call and one after: JS → pool thread, pool thread → the fresh thread it must start for
// the switch, the fresh thread's exit → the pool thread's join. Here the fresh thread is
// the only one: it switches, does all the work, reports back and exits. It never serves
// anything else, so the switch cannot leak (DESIGN.md: "Threads and namespaces").
#pragma once

#include <napi.h>

#include <thread>
#include <utility>

#include "errors.h"
#include "promise_worker.h"

namespace nsnet {

// One piece of work; the dispatcher owns it from Start until it is finished.
class ThreadJob {
 public:
  virtual ~ThreadJob() = default;
  virtual void Execute() = 0;                  // on the job's own thread
  virtual void Finish(Napi::Env env) = 0;      // on the JS thread, after the join
  virtual void Fail(Napi::Env env, const Failure& f) = 0;  // the thread could not start
  std::thread thread;
};

// Starts `job` on its own thread, or queues it while kMaxThreads jobs run: a burst of
// plans (a runtime starting hundreds of containers) must not become hundreds of threads.
void StartThreadJob(Napi::Env env, ThreadJob* job);

template <class Result>
class ThreadWorker final : public ThreadJob {
 public:
  using Work = typename WorkOutcome<Result>::Work;
  using Settle = typename WorkOutcome<Result>::Settler;

  static Napi::Promise Start(Napi::Env env, Work work, Settle settle) {
    auto* job = new ThreadWorker(env, std::move(work), std::move(settle));
    Napi::Promise promise = job->deferred_.Promise();
    StartThreadJob(env, job);  // deletes the job once finished
    return promise;
  }

  void Execute() override { outcome_.Run(work_); }
  void Finish(Napi::Env env) override { outcome_.Settle(env, deferred_, settle_); }
  void Fail(Napi::Env env, const Failure& f) override {
    outcome_.failure.emplace(f);
    Finish(env);
  }

 private:
  ThreadWorker(Napi::Env env, Work work, Settle settle)
      : deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), settle_(std::move(settle)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Settle settle_;
  WorkOutcome<Result> outcome_;
};

}  // namespace nsnet
