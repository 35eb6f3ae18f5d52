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

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h> // before the uapi headers: linux/libc-compat.h then avoids redefinitions
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"
#define MAX_N 1000000 // sanity bound; "vb%07x" (9 chars, < IFNAMSIZ) stays unique well past it

static void die(const char *what) {
  fprintf(stderr, "links: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void fail(const char *msg) {
  fprintf(stderr, "links: %s\n", msg);
  exit(1);
}

// ---- safety ------------------------------------------------------------------------------

// The env var is the contract with scripts/sandbox. The two extra checks are cheap
// belt-and-braces so a stray NSNET_SANDBOXED=1 in someone's shell can't make this touch
// the real machine: /run/netns must be a tmpfs (the sandbox mounts one), and the network
// namespace we start in must hold nothing but lo (the sandbox's is brand new; a machine's
// own has real interfaces). Comparing with pid 1's netns would be nicer but /proc/1/ns is
// not readable in every environment (ptrace restrictions), so it can't be relied on.
static void require_sandbox(void) {
  const char *s = getenv("NSNET_SANDBOXED");
  if (!s || strcmp(s, "1") != 0)
    fail("refusing to run outside scripts/sandbox (NSNET_SANDBOXED=1 not set); "
         "use: scripts/sandbox bench/floor/links N");
  struct statfs sfs;
  if (statfs(NETNS_DIR, &sfs) < 0) die("statfs " NETNS_DIR);
  if (sfs.f_type != TMPFS_MAGIC) fail("refusing to run: " NETNS_DIR " is not a tmpfs (not sandboxed?)");
  struct if_nameindex *ifs = if_nameindex();
  if (!ifs) die("if_nameindex");
  for (struct if_nameindex *p = ifs; p->if_index; p++)
    if (strcmp(p->if_name, "lo") != 0)
      fail("refusing to run: this network namespace has interfaces besides lo (not a fresh sandbox?)");
  if_freenameindex(ifs);
}

// ---- netlink message building ------------------------------------------------------------

// One request buffer, reused. 1 KiB is far more than the largest request (the veth create,
// ~120 bytes); the aligned union keeps nlmsghdr access well-defined.
typedef struct {
  union {
    struct nlmsghdr h;
    char buf[1024];
  } u;
} req_t;

static struct nlmsghdr *req_init(req_t *r, uint16_t type, uint16_t flags, const void *body, size_t blen) {
  memset(r, 0, sizeof(*r));
  r->u.h.nlmsg_len = NLMSG_LENGTH(blen);
  r->u.h.nlmsg_type = type;
  r->u.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags; // every request is acked
  memcpy(NLMSG_DATA(&r->u.h), body, blen);
  return &r->u.h;
}

static struct rtattr *put_attr(req_t *r, uint16_t type, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
  if (off + RTA_SPACE(len) > sizeof(r->u.buf)) fail("request buffer overflow");
  struct rtattr *a = (struct rtattr *)(r->u.buf + off);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->u.h.nlmsg_len = off + RTA_ALIGN(a->rta_len);
  return a;
}

static void put_str(req_t *r, uint16_t type, const char *s) { put_attr(r, type, s, strlen(s) + 1); }
static void put_u32(req_t *r, uint16_t type, uint32_t v) { put_attr(r, type, &v, sizeof(v)); }
static struct rtattr *nest_begin(req_t *r, uint16_t type) { return put_attr(r, type, NULL, 0); }
static void nest_end(req_t *r, struct rtattr *a) {
  a->rta_len = (unsigned short)(r->u.buf + r->u.h.nlmsg_len - (char *)a);
}
// Raw bytes inside a nest (the veth peer's ifinfomsg is a bare struct, not an attribute).
static void put_raw(req_t *r, const void *data, size_t len) {
  size_t off = NLMSG_ALIGN(r->u.h.nlmsg_len);
  if (off + NLMSG_ALIGN(len) > sizeof(r->u.buf)) fail("request buffer overflow");
  memcpy(r->u.buf + off, data, len);
  r->u.h.nlmsg_len = off + NLMSG_ALIGN(len);
}

// ---- netlink transport -------------------------------------------------------------------

static uint32_t g_seq;

static int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) die("socket(NETLINK_ROUTE)");
  int one = 1;
  // CAP_ACK: the kernel need not copy our request back into each ACK (less work per ack).
  // EXT_ACK: on failure the kernel says why, which we print. Both are best effort.
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  return fd;
}

static const char *type_name(uint16_t t) {
  switch (t) {
  case RTM_NEWLINK: return "RTM_NEWLINK";
  case RTM_DELLINK: return "RTM_DELLINK";
  case RTM_GETLINK: return "RTM_GETLINK";
  case RTM_NEWADDR: return "RTM_NEWADDR";
  case RTM_NEWROUTE: return "RTM_NEWROUTE";
  default: return "RTM_?";
  }
}

// Extended-ack message text, if the kernel sent one (only after a capped error ack).
static const char *ext_ack_msg(const struct nlmsghdr *h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return NULL;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = NLMSG_HDRLEN + sizeof(*e);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
  if (off >= h->nlmsg_len) return NULL;
  int len = (int)(h->nlmsg_len - off);
  for (const struct rtattr *a = (const void *)((const char *)h + off); RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == NLMSGERR_ATTR_MSG) return RTA_DATA(a);
  return NULL;
}

// Send one request with one sendmsg and read until its NLMSG_ERROR (the ACK). Exits on any
// error. If ifindex_out is set, the ifi_index of an RTM_NEWLINK reply with our seq (the
// RTM_GETLINK doit answer) is stored there.
static void nl_call(int fd, struct nlmsghdr *h, int *ifindex_out) {
  h->nlmsg_seq = ++g_seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK}; // pid 0 = the kernel
  struct iovec iov = {.iov_base = h, .iov_len = h->nlmsg_len};
  struct msghdr m = {.msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = &iov, .msg_iovlen = 1};
  if (sendmsg(fd, &m, 0) != (ssize_t)h->nlmsg_len) die("sendmsg(netlink)");

  // Large enough for a RTM_GETLINK doit reply of a veth without stats (~1.5 KiB).
  static union {
    struct nlmsghdr h;
    char buf[32768];
  } rb;
  for (;;) {
    ssize_t n = recv(fd, rb.buf, sizeof(rb.buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv(netlink)");
    }
    int len = (int)n;
    for (struct nlmsghdr *r = &rb.h; NLMSG_OK(r, len); r = NLMSG_NEXT(r, len)) {
      if (r->nlmsg_seq != h->nlmsg_seq) continue; // not ours (nothing else should arrive)
      if (r->nlmsg_type == RTM_NEWLINK && ifindex_out) {
        *ifindex_out = ((struct ifinfomsg *)NLMSG_DATA(r))->ifi_index;
      } else if (r->nlmsg_type == NLMSG_ERROR) {
        int err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
        if (err == 0) return;
        const char *why = ext_ack_msg(r);
        fprintf(stderr, "links: %s failed: %s%s%s\n", type_name(h->nlmsg_type), strerror(-err),
                why ? ": " : "", why ? why : "");
        exit(1);
      }
    }
  }
}

// ---- the workload ------------------------------------------------------------------------

typedef struct {
  int nsfd; // the namespace, used as IFLA_NET_NS_FD and kept open as nsnet does
  int nl;   // NETLINK_ROUTE socket opened inside the namespace (stays bound to it)
} obj_t;

// RTM_NEWLINK that only changes IFF_UP, addressed by index, or by name when ifindex is 0.
static void link_up(int fd, int ifindex, const char *name) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  if (name) put_str(&r, IFLA_IFNAME, name);
  nl_call(fd, h, NULL);
}

// Step 1: what `ip netns add NAME` does (minus its one-time "make /run/netns a shared
// mount", which the sandbox's private tmpfs makes moot), plus the in-namespace socket and
// loopback up that nsnet also does for every namespace.
static void ns_add(obj_t *o, const char *path, int orig_ns) {
  int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (f < 0) die(path);
  close(f);
  // Single-threaded, so unsharing this thread moves the whole process (as ip does).
  if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)");
  if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) die("bind-mount netns");
  o->nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (o->nsfd < 0) die("open netns fd");
  o->nl = nl_open(); // a netlink socket belongs to the netns it was created in
  link_up(o->nl, 1, NULL); // lo is always ifindex 1 in a fresh namespace
  if (setns(orig_ns, CLONE_NEWNET) < 0) die("setns(original)");
}

// Step 2: one RTM_NEWLINK on the host socket creates the pair, the peer directly inside the
// namespace under its final name, so no rename or move is needed afterwards.
static void veth_add(int host_nl, const char *host_name, int nsfd) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, host_name);
  struct rtattr *li = nest_begin(&r, IFLA_LINKINFO);
  put_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest_begin(&r, IFLA_INFO_DATA);
  struct rtattr *peer = nest_begin(&r, VETH_INFO_PEER);
  put_raw(&r, &ifi, sizeof(ifi)); // the peer's own ifinfomsg, then its attributes
  put_str(&r, IFLA_IFNAME, "eth0");
  put_u32(&r, IFLA_NET_NS_FD, (uint32_t)nsfd);
  nest_end(&r, peer);
  nest_end(&r, data);
  nest_end(&r, li);
  nl_call(host_nl, h, NULL);
}

// Step 3, on the in-namespace socket. RTM_NEWADDR and RTM_NEWROUTE need eth0's index (no
// by-name form), so one RTM_GETLINK doit by name fetches it; stats are skipped to keep the
// reply small. eth0 is then set up by that index.
static void ns_configure(int nl) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, "eth0");
  put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int idx = 0;
  nl_call(nl, h, &idx);
  if (idx <= 0) fail("RTM_GETLINK eth0: no ifindex in reply");

  link_up(nl, idx, NULL);

  // 172.16.0.2/16 on every namespace's eth0: the namespaces are separate, so no clash.
  struct in_addr local, gw;
  inet_pton(AF_INET, "172.16.0.2", &local);
  inet_pton(AF_INET, "172.16.0.1", &gw);
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 16, .ifa_scope = RT_SCOPE_UNIVERSE,
                          .ifa_index = (uint32_t)idx};
  h = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  put_attr(&r, IFA_LOCAL, &local, sizeof(local)); // as `ip addr add` sends: LOCAL and ADDRESS
  put_attr(&r, IFA_ADDRESS, &local, sizeof(local));
  nl_call(nl, h, NULL);

  // default via 172.16.0.1 dev eth0 (gateway is on-link through the /16 just added).
  struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_dst_len = 0, .rtm_table = RT_TABLE_MAIN,
                      .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
  h = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
  put_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
  put_u32(&r, RTA_OIF, (uint32_t)idx);
  nl_call(nl, h, NULL);
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

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

  require_sandbox();

  // Two fds per object stay open for the whole run (as in nsnet); raise the soft limit to
  // the hard one so large N doesn't fail with EMFILE half way.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)(2 * n + 16) > rl.rlim_cur)
    fail("RLIMIT_NOFILE too low for this N (need about 2*N+16 fds)");

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
