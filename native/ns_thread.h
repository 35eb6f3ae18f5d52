// Namespace switching happens only on a fresh, short-lived thread.
//
// setns(2) and unshare(2) change the namespace of the calling *thread*, not the process.
// If the JS thread or a libuv pool thread did it, every later syscall on that thread
// (sockets, /proc/sys opens, other requests that land on the same pool thread) would
// silently run in the wrong namespace. A thread that exits right after the work takes its
// namespace with it, so nothing can inherit the switch.
#pragma once

#include <functional>

namespace nsnet {

// Runs `fn` on a new std::thread and joins it; an exception thrown by `fn` is rethrown
// in the caller. Blocks the caller, so call it from a libuv pool thread.
void RunOnFreshThread(const std::function<void()>& fn);

// setns(nsFd, CLONE_NEWNET) on the calling thread. Only call it inside RunOnFreshThread
// (or on a ThreadWorker's thread).
void EnterNetns(int nsFd);

// Where a namespace switch runs: on a fresh thread made for it (the caller is a pool
// thread, which must never switch), or right on the calling thread when that thread was
// itself made for this one piece of work and exits after it (a ThreadWorker's).
enum class SwitchOn { kFreshThread, kThisThread };

// Runs `fn`, which switches namespace, where `where` says.
void RunSwitching(SwitchOn where, const std::function<void()>& fn);

// Runs `fn` inside the network namespace `nsFd` (switching where `where` says), or
// directly on the calling thread when nsFd < 0 (the caller's own namespace needs no switch).
void RunInNetns(int nsFd, const std::function<void()>& fn, SwitchOn where = SwitchOn::kFreshThread);

}  // namespace nsnet
