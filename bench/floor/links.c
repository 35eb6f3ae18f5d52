// Kernel floor for nsnet's link benchmark: the same per-namespace work nsnet does, done
// with raw rtnetlink from one process, so the bench can show how much of nsnet's time is
// the kernel's and how much is its own.
//
// Usage: links [--keep] N      N objects set up, then torn down; one JSON line:
//                              {"n","setupMs","teardownMs","setupPerObjectMs","teardownPerObjectMs"}
//          --keep              skip teardown and leave the state behind (correctness witness)
//        links --serve MAX     set up objects in blocks on command, so the bench can interleave
//                              them with nsnet's (see serve below); at most MAX objects
//
// It creates network namespaces, veth pairs, addresses and routes, so it refuses to run
// unless it is inside scripts/sandbox (private net + mount namespace, tmpfs on /run/netns).

#define FLOOR_PROG "links"
#include "nl.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#define MAX_N 1000000 // sanity bound; "vc%07x" (9 chars, < IFNAMSIZ) stays unique well past it

// ---- the workload ------------------------------------------------------------------------

typedef struct {
  int nsfd; // the namespace, used as IFLA_NET_NS_FD and kept open as nsnet does
  int nl;   // NETLINK_ROUTE socket opened inside the namespace (stays bound to it)
} obj_t;

// Step 1: what `ip netns add NAME` does (minus its one-time "make /run/netns a shared
// mount", which the sandbox's private tmpfs makes moot), plus the in-namespace socket and
// loopback up that nsnet also does for every namespace.
static void ns_add(obj_t *o, const char *path, int orig_ns) {
  netns_add(path, orig_ns, &o->nsfd, &o->nl);
  link_up(o->nl, 1, NULL); // lo is always ifindex 1 in a fresh namespace
}

// Step 2: one RTM_NEWLINK on the host socket creates the pair, the peer directly inside the
// namespace under its final name, so no rename or move is needed afterwards; one queue per
// end, as nsnet asks (put_one_queue).
static void veth_add(int host_nl, const char *host_name, int nsfd) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, host_name);
  put_one_queue(&r);
  put_veth_peer_in_ns(&r, "eth0", nsfd);
  nl_call(host_nl, h, NULL);
}

// Step 3, on the in-namespace socket. RTM_NEWADDR and RTM_NEWROUTE need eth0's index (no
// by-name form), so one RTM_GETLINK doit by name fetches it; stats are skipped to keep the
// reply small. eth0 is then set up by that index.
static void ns_configure(int nl) {
  int idx = link_index(nl, "eth0");
  link_up(nl, idx, NULL);
  // 172.16.0.2/16 on every namespace's eth0: the namespaces are separate, so no clash.
  addr_add(nl, idx, "172.16.0.2", 16);
  default_route_add(nl, idx, "172.16.0.1");
}

// Names of their own ("vc", "nsfloor-"): in serve mode nsnet's objects ("vb", "nsbench-")
// live beside these.
static void names(long i, char host[IFNAMSIZ], char path[64]) {
  snprintf(host, IFNAMSIZ, "vc%07x", (unsigned)i & 0xfffffffu); // i < MAX_N: never masked
  snprintf(path, 64, NETNS_DIR "/nsfloor-%ld", i);
}

static void setup_one(int host_nl, int orig_ns, obj_t *o, long i) {
  char host[IFNAMSIZ], path[64];
  names(i, host, path);
  ns_add(o, path, orig_ns);
  veth_add(host_nl, host, o->nsfd);
  ns_configure(o->nl);
}

// Drops our handles and the bind mount. The namespace itself is freed asynchronously by the
// kernel once the last reference goes, which no caller waits for; a veth still in it goes
// with it, in the kernel's batches (no RCU grace period per link on the caller).
static void drop_one(obj_t *o, long i) {
  char host[IFNAMSIZ], path[64];
  names(i, host, path);
  close(o->nl);
  close(o->nsfd);
  if (umount2(path, MNT_DETACH) < 0) die("umount2 netns");
  if (unlink(path) < 0) die("unlink netns");
}

// Teardown: deleting one end of a veth deletes the pair (the caller waits out the RCU grace
// period); then the object is dropped.
static void teardown(int host_nl, obj_t *o, long i) {
  char host[IFNAMSIZ], path[64];
  names(i, host, path);
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, host);
  nl_call(host_nl, h, NULL);
  drop_one(o, i);
}

// ---- serve mode: blocks on command ---------------------------------------------------------
//
// Runs of the C program and of nsnet taken a minute apart see different machines on a VM
// whose speed drifts by 2x within minutes. In serve mode the bench interleaves short blocks
// of both within one run, so each ratio compares blocks measured moments apart. Commands
// on standard input, one JSON line answered on standard output for each:
//   direct K   set up the next K objects one after the other, as one-shot mode does: {"ms"}
//   thread K   the same, each on a thread of its own, made ahead by a spawner thread and
//              handed its object through a condition variable; it reports through an
//              eventfd the main thread waits on in epoll_wait, and is joined. This is
//              nsnet's hand-off (a fresh thread per namespace, libuv waiting for its
//              report) without JavaScript, so the bench can show what the hand-off alone
//              costs on this machine: {"ms"}
//   teardown   tears down the direct objects as one-shot mode does (timed), drops the
//              thread ones untimed, and exits: {"ms","n"} (n: direct objects)

typedef struct spare {
  pthread_mutex_t mu;
  pthread_cond_t handed;
  long obj; // -1 until handed one
  pthread_t thread;
} spare_t;

static struct {
  obj_t *objs;
  int host_nl, orig_ns, report_fd, epoll_fd;
  pthread_mutex_t mu; // guards ready and wanted
  pthread_cond_t asked;
  spare_t *ready;
  int wanted;
} srv = {.mu = PTHREAD_MUTEX_INITIALIZER, .asked = PTHREAD_COND_INITIALIZER, .wanted = 1};

static void *spare_main(void *arg) {
  spare_t *s = arg;
  pthread_mutex_lock(&s->mu);
  while (s->obj < 0) pthread_cond_wait(&s->handed, &s->mu);
  pthread_mutex_unlock(&s->mu);
  setup_one(srv.host_nl, srv.orig_ns, &srv.objs[s->obj], s->obj);
  uint64_t one = 1;
  if (write(srv.report_fd, &one, sizeof one) != sizeof one) die("eventfd write");
  return NULL;
}

static spare_t *make_spare(void) {
  spare_t *s = calloc(1, sizeof(*s));
  if (!s) die("calloc");
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->handed, NULL);
  s->obj = -1;
  errno = pthread_create(&s->thread, NULL, spare_main, s);
  if (errno) die("pthread_create");
  return s;
}

// Makes one spare at a time, when asked (once the previous one's object has reported).
static void *spawner_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&srv.mu);
  for (;;) {
    while (!srv.wanted || srv.ready) pthread_cond_wait(&srv.asked, &srv.mu);
    srv.wanted = 0;
    pthread_mutex_unlock(&srv.mu);
    spare_t *s = make_spare();
    pthread_mutex_lock(&srv.mu);
    srv.ready = s;
  }
  return NULL;
}

static void setup_on_thread(long i) {
  pthread_mutex_lock(&srv.mu);
  spare_t *s = srv.ready;
  srv.ready = NULL;
  srv.wanted = 1;
  pthread_mutex_unlock(&srv.mu);
  if (!s) s = make_spare(); // none made yet: the spawner is asked below
  pthread_mutex_lock(&s->mu);
  s->obj = i;
  pthread_mutex_unlock(&s->mu);
  pthread_cond_signal(&s->handed);
  struct epoll_event ev;
  while (epoll_wait(srv.epoll_fd, &ev, 1, -1) != 1) {
    if (errno != EINTR) die("epoll_wait");
  }
  uint64_t n;
  if (read(srv.report_fd, &n, sizeof n) != sizeof n) die("eventfd read");
  errno = pthread_join(s->thread, NULL);
  if (errno) die("pthread_join");
  free(s);
  pthread_cond_signal(&srv.asked);
}

static int serve(long max) {
  require_sandbox("vb"); // nsnet's host-side veths, made by the bench beside ours
  raise_nofile(2 * max + 16);
  srv.objs = calloc((size_t)max, sizeof(*srv.objs));
  char *is_direct = calloc((size_t)max, 1);
  if (!srv.objs || !is_direct) die("calloc");
  srv.orig_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (srv.orig_ns < 0) die("open original netns");
  srv.host_nl = nl_open();
  srv.report_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (srv.report_fd < 0 || srv.epoll_fd < 0) die("eventfd/epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN};
  if (epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, srv.report_fd, &ev) < 0) die("epoll_ctl");
  pthread_t spawner;
  errno = pthread_create(&spawner, NULL, spawner_main, NULL);
  if (errno) die("pthread_create");
  long made = 0;
  char line[64], cmd[16];
  long k;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%15s %ld", cmd, &k) == 2 && (strcmp(cmd, "direct") == 0 || strcmp(cmd, "thread") == 0)) {
      if (k < 1 || made + k > max) fail("block beyond --serve MAX");
      int direct = cmd[0] == 'd';
      double t0 = now_ms();
      for (long i = made; i < made + k; i++) {
        if (direct) setup_one(srv.host_nl, srv.orig_ns, &srv.objs[i], i);
        else setup_on_thread(i);
        is_direct[i] = (char)direct;
      }
      printf("{\"ms\":%.4f}\n", now_ms() - t0);
      made += k;
    } else if (strcmp(line, "teardown\n") == 0) {
      long n = 0;
      double t0 = now_ms();
      for (long i = 0; i < made; i++) {
        if (!is_direct[i]) continue;
        teardown(srv.host_nl, &srv.objs[i], i);
        n++;
      }
      double ms = now_ms() - t0;
      for (long i = 0; i < made; i++) {
        if (!is_direct[i]) drop_one(&srv.objs[i], i);
      }
      printf("{\"ms\":%.4f,\"n\":%ld}\n", ms, n);
      return 0; // the spawner and its spare go with the process
    } else {
      fail("unknown command");
    }
    fflush(stdout);
  }
  fail("standard input closed before teardown");
  return 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
    char *end;
    long max = strtol(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || max < 1 || max > MAX_N) fail("MAX must be an integer in 1..1000000");
    return serve(max);
  }
  int keep = 0, ai = 1;
  if (ai < argc && strcmp(argv[ai], "--keep") == 0) keep = 1, ai++;
  if (ai != argc - 1) fail("usage: links [--keep] N");
  char *end;
  long n = strtol(argv[ai], &end, 10);
  if (*argv[ai] == '\0' || *end != '\0' || n < 1 || n > MAX_N) fail("N must be an integer in 1..1000000");

  require_sandbox(NULL);

  // Two fds per object stay open for the whole run (as in nsnet); raise the soft limit to
  // the hard one so large N doesn't fail with EMFILE half way.
  raise_nofile(2 * n + 16);

  obj_t *objs = calloc((size_t)n, sizeof(*objs));
  if (!objs) die("calloc");
  int orig_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig_ns < 0) die("open original netns");
  int host_nl = nl_open();

  double t0 = now_ms();
  for (long i = 0; i < n; i++) setup_one(host_nl, orig_ns, &objs[i], i);
  double setup = now_ms() - t0;

  if (keep) {
    printf("{\"n\":%ld,\"setupMs\":%.3f,\"teardownMs\":null,\"setupPerObjectMs\":%.4f,"
           "\"teardownPerObjectMs\":null}\n", n, setup, setup / (double)n);
    return 0;
  }

  t0 = now_ms();
  for (long i = 0; i < n; i++) teardown(host_nl, &objs[i], i);
  double td = now_ms() - t0;

  printf("{\"n\":%ld,\"setupMs\":%.3f,\"teardownMs\":%.3f,\"setupPerObjectMs\":%.4f,"
         "\"teardownPerObjectMs\":%.4f}\n", n, setup, td, setup / (double)n, td / (double)n);
  free(objs);
  close(host_nl);
  close(orig_ns);
  return 0;
}
