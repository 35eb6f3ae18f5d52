// Growing the fd table of a multi-threaded process waits for an RCU grace period
// (fs/file.c expand_fdtable: synchronize_rcu() when files_struct is shared), and the
// thread whose open needed the room waits with it: 3-10 ms on the 2-vCPU VM, seen as a
// plan thread in D state woken by rcu_preempt, on the open of the namespace it had just
// made. A runtime holding one fd per container hits that at 64, 128, 256, ... fds, each
// time on some container's start. Here a throwaway thread makes the room first: it dups
// an fd to the first number past the table, which makes the kernel double it, and waits
// out the grace period itself. Others keep opening meanwhile: only a thread that needs
// the new room waits for a resize in progress.
#include "fd_table.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <thread>

namespace nsnet {

namespace {

// The table size we know the kernel has: it starts at 64 (BITS_PER_LONG) and doubles.
std::atomic<int> knownSlots{64};
std::atomic<bool> growing{false};

void GrowPast(int slots) {
  int anchor = open("/", O_PATH | O_CLOEXEC);
  if (anchor >= 0) {
    // The lowest free fd >= slots: past the table, so the kernel grows it (or fails with
    // EMFILE/EINVAL under a low RLIMIT_NOFILE, and opens then grow it as they need).
    int past = fcntl(anchor, F_DUPFD_CLOEXEC, slots);
    if (past >= 0) close(past);
    close(anchor);
  }
  int expected = slots;
  knownSlots.compare_exchange_strong(expected, slots * 2);
  growing.store(false);
}

}  // namespace

void KeepFdTableAhead(int fd) {
  int slots = knownSlots.load();
  // Past the table we knew of: the kernel grew it on its own (for someone's open); it is
  // at least the next power of two above fd.
  while (fd >= slots) {
    if (knownSlots.compare_exchange_weak(slots, slots * 2)) slots *= 2;
  }
  if (fd < slots / 4 * 3 || growing.exchange(true)) return;
  try {
    std::thread(GrowPast, slots).detach();  // never switches namespace; touches only fds
  } catch (const std::system_error&) {
    growing.store(false);  // no thread: the table grows when an open needs it, as before
  }
}

}  // namespace nsnet
