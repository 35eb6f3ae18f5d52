#include "ns_thread.h"

#include <sched.h>

#include <cerrno>
#include <exception>
#include <system_error>
#include <thread>

#include "errors.h"

namespace nsnet {

void RunOnFreshThread(const std::function<void()>& fn) {
  std::exception_ptr failure;
  try {
    // The new thread starts in the namespaces of the thread that creates it (our pool
    // thread, which never switches), does its switch, runs `fn` and exits; the kernel
    // drops its namespace references when it does.
    std::thread thread([&] {
      try {
        fn();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    thread.join();
  } catch (const std::system_error& e) {
    ThrowFailure(e.code().value() ? e.code().value() : EAGAIN, "pthread_create");
  }
  if (failure) std::rethrow_exception(failure);
}

void EnterNetns(int nsFd) {
  // nstype CLONE_NEWNET makes the kernel refuse an fd of some other namespace type
  // (EINVAL) instead of silently switching e.g. the mount namespace.
  if (setns(nsFd, CLONE_NEWNET) != 0) ThrowErrno("setns");
}

void RunSwitching(SwitchOn where, const std::function<void()>& fn) {
  if (where == SwitchOn::kThisThread) {
    fn();
  } else {
    RunOnFreshThread(fn);
  }
}

void RunInNetns(int nsFd, const std::function<void()>& fn, SwitchOn where) {
  if (nsFd < 0) {
    fn();
    return;
  }
  RunSwitching(where, [&] {
    EnterNetns(nsFd);
    fn();
  });
}

}  // namespace nsnet
