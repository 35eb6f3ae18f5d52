// Kernel floor for nsnet's link benchmark: the same per-namespace work nsnet does, done
// with raw rtnetlink from one single-threaded process, so the bench can show how much of
// nsnet's time is the kernel's and how much is its own.
//
// Usage: links [--keep] N
//   N       number of namespaces (objects) to set up and tear down
//   --keep  skip teardown and leave the state behind (correctness witness only)
//
// It creates network namespaces, veth pairs, addresses and routes, so it refuses to run
// unless it is inside scripts/sandbox (private net + mount namespace, tmpfs on /run/netns).
// Prints one JSON line: {"n":N,"setupMs":..,"teardownMs":..,"setupPerObjectMs":..,
// "teardownPerObjectMs":..}.

#define FLOOR_PROG "links"
#include "nl.h"

#define MAX_N 1000000 // sanity bound; "vb%07x" (9 chars, < IFNAMSIZ) stays unique well past it

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

// Teardown: deleting one end of a veth deletes the pair; then drop our handles and the
// bind mount. The namespace itself is freed asynchronously by the kernel once the last
// reference goes, which no caller waits for, so it is not in the timing either.
static void teardown(int host_nl, obj_t *o, const char *host_name, const char *path) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, host_name);
  nl_call(host_nl, h, NULL);
  close(o->nl);
  close(o->nsfd);
  if (umount2(path, MNT_DETACH) < 0) die("umount2 netns");
  if (unlink(path) < 0) die("unlink netns");
}

static void names(long i, char host[IFNAMSIZ], char path[64]) {
  snprintf(host, IFNAMSIZ, "vb%07lx", i);
  snprintf(path, 64, NETNS_DIR "/nsbench-%ld", i);
}

int main(int argc, char **argv) {
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
  char host[IFNAMSIZ], path[64];

  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    names(i, host, path);
    ns_add(&objs[i], path, orig_ns);
    veth_add(host_nl, host, objs[i].nsfd);
    ns_configure(objs[i].nl);
  }
  double setup = now_ms() - t0;

  if (keep) {
    printf("{\"n\":%ld,\"setupMs\":%.3f,\"teardownMs\":null,\"setupPerObjectMs\":%.4f,"
           "\"teardownPerObjectMs\":null}\n", n, setup, setup / (double)n);
    return 0;
  }

  t0 = now_ms();
  for (long i = 0; i < n; i++) {
    names(i, host, path);
    teardown(host_nl, &objs[i], host, path);
  }
  double td = now_ms() - t0;

  printf("{\"n\":%ld,\"setupMs\":%.3f,\"teardownMs\":%.3f,\"setupPerObjectMs\":%.4f,"
         "\"teardownPerObjectMs\":%.4f}\n", n, setup, td, setup / (double)n, td / (double)n);
  free(objs);
  close(host_nl);
  close(orig_ns);
  return 0;
}
