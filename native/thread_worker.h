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
  // Runs while the JS thread works on: its thread keeps off the JS thread's CPU (see Launch).
  bool apart = false;
};

// Starts `job` on its own thread, or queues it while kMaxThreads jobs run: a burst of
// plans (a runtime starting hundreds of containers) must not become hundreds of threads.
void StartThreadJob(Napi::Env env, ThreadJob* job);

template <class Result>
class ThreadWorker final : public ThreadJob {
 public:
  static Napi::Promise Start(Napi::Env env, typename PromisedWork<Result>::Work work, typename PromisedWork<Result>::Settler settle, bool apart = false) {
    auto* job = new ThreadWorker(env, std::move(work), std::move(settle));
    job->apart = apart;
    Napi::Promise promise = job->work_.Promise();
    StartThreadJob(env, job);  // deletes the job once finished
    return promise;
  }

  void Execute() override { work_.Run(); }
  void Finish(Napi::Env env) override { work_.Settle(env); }
  void Fail(Napi::Env env, const Failure& f) override { work_.Fail(env, f); }

 private:
  ThreadWorker(Napi::Env env, typename PromisedWork<Result>::Work work, typename PromisedWork<Result>::Settler settle)
      : work_(env, std::move(work), std::move(settle)) {}

  PromisedWork<Result> work_;
};

}  // namespace nsnet
