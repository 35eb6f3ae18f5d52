#include "thread_worker.h"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <system_error>

#include "addon.h"

namespace nsnet {

namespace {

// Plenty to keep two vCPUs busy with kernel work while staying far below thread limits;
// more in flight only means more threads waiting on the same kernel locks (rtnl_mutex).
constexpr size_t kMaxThreads = 16;

void OnJobDone(Napi::Env env, Napi::Function, ThreadDispatch* dispatch, ThreadJob* job);

using DoneChannel = Napi::TypedThreadSafeFunction<ThreadDispatch, ThreadJob, OnJobDone>;

// A thread started ahead of its job, waiting for exactly one. A new thread is not running
// yet when pthread_create returns: on a small VM the kernel often lets it start only once
// the JS thread sleeps, which put the whole start-up on the job's critical path. A thread
// made ahead (by the spawner, which never switches, so it starts in the process's own
// namespaces) and woken with a futex starts at once. It still does one job and exits.
struct Spare {
  std::mutex mutex;
  std::condition_variable handed;
  ThreadJob* job = nullptr;
  bool quit = false;
  std::thread thread;
};

// Makes the spares, on a thread of its own that never switches namespace: creating a thread
// costs the creator tens of microseconds, which the JS thread should not pay per job.
// Asked for the next one once the job that took the ready one has reported (see TakeSpare).
struct Spawner {
  std::mutex mutex;
  std::condition_variable asked;
  std::shared_ptr<Spare> ready;  // guarded by mutex
  bool wanted = true;            // guarded by mutex
  bool quit = false;             // guarded by mutex
  std::thread thread;
};

void RunJob(const DoneChannel& done, ThreadJob* job) {
  job->Execute();
  // Fails only while the environment is torn down; the job is then left to leak, as
  // nothing is left to settle its promise.
  done.NonBlockingCall(job);
}

}  // namespace

// Per environment: the one channel jobs report back through, the jobs waiting for a
// thread, and the spawner of spares. Touched only on the JS thread.
struct ThreadDispatch {
  DoneChannel done;
  size_t running = 0;
  std::deque<ThreadJob*> waiting;
  std::shared_ptr<Spawner> spawner;
  bool spareOwed = false;  // a spare was taken and the spawner not yet asked for the next
};

namespace {

std::shared_ptr<Spare> MakeSpare(const DoneChannel& done) {
  auto spare = std::make_shared<Spare>();
  spare->thread = std::thread([spare, done] {
    ThreadJob* job;
    {
      std::unique_lock<std::mutex> lock(spare->mutex);
      spare->handed.wait(lock, [&] { return spare->job != nullptr || spare->quit; });
      job = spare->job;
    }
    if (job) RunJob(done, job);
  });
  return spare;
}

void StopSpare(const std::shared_ptr<Spare>& spare) {
  if (!spare) return;
  {
    std::lock_guard<std::mutex> lock(spare->mutex);
    spare->quit = true;
  }
  spare->handed.notify_one();
  spare->thread.join();
}

std::shared_ptr<Spawner> StartSpawner(const DoneChannel& done) {
  auto spawner = std::make_shared<Spawner>();
  spawner->thread = std::thread([spawner, done] {
    std::unique_lock<std::mutex> lock(spawner->mutex);
    for (;;) {
      // One spare at a time: a second request while one is being made is met by it.
      spawner->asked.wait(lock, [&] { return (spawner->wanted && !spawner->ready) || spawner->quit; });
      if (spawner->quit) return;
      spawner->wanted = false;
      lock.unlock();
      std::shared_ptr<Spare> spare;
      try {
        spare = MakeSpare(done);
      } catch (const std::system_error&) {  // EAGAIN: jobs make their own thread meanwhile
      }
      lock.lock();
      spawner->ready = std::move(spare);
    }
  });
  return spawner;
}

// The spare made ahead, if there is one. Without one (a burst of jobs) the spawner is asked
// for the next at once; with one, only once this job has reported (AskForSpare from
// OnJobDone). Waking the spawner costs the JS thread a futex wake, and its clone would
// compete with the job's first kernel calls and the JS thread's encoding for the CPUs: on a
// 2-vCPU VM, asking at launch started a plan's first step 30-50 us later (medians of 300).
std::shared_ptr<Spare> TakeSpare(Spawner& spawner) {
  std::shared_ptr<Spare> spare;
  {
    std::lock_guard<std::mutex> lock(spawner.mutex);
    spare = std::move(spawner.ready);
    spawner.wanted = true;
  }
  if (!spare) spawner.asked.notify_one();
  return spare;
}

void AskForSpare(ThreadDispatch& d) {
  if (!d.spareOwed) return;
  d.spareOwed = false;
  d.spawner->asked.notify_one();
}

// Keeps `thread` off the CPU the calling (JS) thread is on, if the process may use another.
// Left alone, the kernel woke a job's thread on the JS thread's CPU and the two ran in
// turns while the other CPU idled: on a 2-vCPU KVM guest after 10 ms of idleness, 188 of
// 200 condvar wake-ups landed on the waker's CPU (none without the idleness) — an idle
// vCPU the host has descheduled seems not to count as an available idle CPU. A container's
// plan then waited for JS's lease and firewall work instead of running beside it. Cheap:
// two syscalls; a failure (e.g. more than CPU_SETSIZE CPUs) leaves the thread unpinned.
void KeepOffCallersCpu(std::thread& thread) {
  cpu_set_t allowed;
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
  if (!CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2) return;
  CPU_CLR(cpu, &allowed);
  pthread_setaffinity_np(thread.native_handle(), sizeof allowed, &allowed);
}

void Launch(Napi::Env env, ThreadDispatch& d, ThreadJob* job) {
  // The channel keeps the event loop alive only while a job runs, as a pool work item does.
  if (d.running++ == 0) d.done.Ref(env);
  // Only a job running alone: with several in flight the CPUs are busy, the kernel spreads
  // the threads itself, and pinning them all off one CPU slowed 8 concurrent creates by 15%.
  const bool apart = job->apart && d.running == 1;
  try {
    std::shared_ptr<Spare> spare = d.spawner ? TakeSpare(*d.spawner) : nullptr;
    if (spare) {
      job->thread = std::move(spare->thread);  // joined in OnJobDone, like any job's
      if (apart) KeepOffCallersCpu(job->thread);  // before it wakes: it wakes there
      {
        std::lock_guard<std::mutex> lock(spare->mutex);
        spare->job = job;
      }
      spare->handed.notify_one();
      d.spareOwed = true;
    } else {
      job->thread = std::thread([done = d.done, job] { RunJob(done, job); });
      if (apart) KeepOffCallersCpu(job->thread);  // moves it if it already runs here
    }
  } catch (const std::system_error& e) {
    if (--d.running == 0) d.done.Unref(env);
    Failure f;
    f.err = e.code().value() ? e.code().value() : EAGAIN;
    f.syscall = "pthread_create";
    job->Fail(env, f);
    delete job;
  }
}

void OnJobDone(Napi::Env env, Napi::Function, ThreadDispatch* dispatch, ThreadJob* job) {
  if (env == nullptr) return;  // the environment is going away
  ThreadDispatch& d = *dispatch;
  // The thread reported as its last act, so this returns at once; joining here means a
  // settled promise never leaves a thread behind in some other namespace.
  job->thread.join();
  AskForSpare(d);
  job->Finish(env);
  delete job;
  --d.running;
  while (!d.waiting.empty() && d.running < kMaxThreads) {
    ThreadJob* next = d.waiting.front();
    d.waiting.pop_front();
    Launch(env, d, next);
  }
  if (d.running == 0) d.done.Unref(env);
}

// When the environment goes away (a worker thread exits), the spawner and the spare left
// waiting are told to quit and joined, so no thread outlives its environment.
void StopSpawner(ThreadDispatch* d) {
  std::shared_ptr<Spawner> spawner = std::move(d->spawner);
  if (!spawner) return;
  {
    std::lock_guard<std::mutex> lock(spawner->mutex);
    spawner->quit = true;
  }
  spawner->asked.notify_one();
  spawner->thread.join();
  StopSpare(spawner->ready);
}

}  // namespace

void StartThreadJob(Napi::Env env, ThreadJob* job) {
  AddonData& data = GetAddonData(env);
  if (!data.threads) {
    data.threads = std::make_shared<ThreadDispatch>();
    data.threads->done = DoneChannel::New(env, "nsnet thread", 0, 1, data.threads.get());
    data.threads->done.Unref(env);
    try {
      data.threads->spawner = StartSpawner(data.threads->done);
    } catch (const std::system_error&) {  // jobs then make their own threads
    }
    env.AddCleanupHook(StopSpawner, data.threads.get());
  }
  ThreadDispatch& d = *data.threads;
  if (d.running >= kMaxThreads) {
    d.waiting.push_back(job);
    return;
  }
  Launch(env, d, job);
}

}  // namespace nsnet
