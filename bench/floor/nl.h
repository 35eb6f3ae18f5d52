// Shared by the kernel-floor programs (links.c, compare.c): building rtnetlink requests
// in one reusable buffer, one-request-one-ack transport, the sandbox guard, a clock and
// `ip netns add`.
// Header-only (static functions) so each floor program stays one `cc` invocation.
//
// Each program defines FLOOR_PROG (its name, for messages) before including this file.

#ifndef NSNET_FLOOR_NL_H
#define NSNET_FLOOR_NL_H

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

#ifndef FLOOR_PROG
#error "define FLOOR_PROG before including nl.h"
#endif

#define NETNS_DIR "/run/netns"

static void die(const char *what) {
  fprintf(stderr, FLOOR_PROG ": %s: %s\n", what, strerror(errno));
  exit(1);
}

static void fail(const char *msg) {
  fprintf(stderr, FLOOR_PROG ": %s\n", msg);
  exit(1);
}

// ---- safety ------------------------------------------------------------------------------

// The env var is the contract with scripts/sandbox. The two extra checks are cheap
// belt-and-braces so a stray NSNET_SANDBOXED=1 in someone's shell can't make this touch
// the real machine: /run/netns must be a tmpfs (the sandbox mounts one), and the network
// namespace we start in must hold nothing but lo, or links whose names start with
// `allowed_prefix` (NULL: none) that the bench harness made there itself (the sandbox's
// namespaces are brand new; a machine's own has real interfaces). Comparing with pid 1's
// netns would be nicer but /proc/1/ns is not readable in every environment (ptrace
// restrictions), so it can't be relied on.
static void require_sandbox(const char *allowed_prefix) {
  const char *s = getenv("NSNET_SANDBOXED");
  if (!s || strcmp(s, "1") != 0)
    fail("refusing to run outside scripts/sandbox (NSNET_SANDBOXED=1 not set); "
         "use: scripts/sandbox " FLOOR_PROG " ...");
  struct statfs sfs;
  if (statfs(NETNS_DIR, &sfs) < 0) die("statfs " NETNS_DIR);
  if (sfs.f_type != TMPFS_MAGIC) fail("refusing to run: " NETNS_DIR " is not a tmpfs (not sandboxed?)");
  struct if_nameindex *ifs = if_nameindex();
  if (!ifs) die("if_nameindex");
  for (struct if_nameindex *p = ifs; p->if_index; p++) {
    if (strcmp(p->if_name, "lo") == 0) continue;
    if (allowed_prefix && strncmp(p->if_name, allowed_prefix, strlen(allowed_prefix)) == 0) continue;
    fail("refusing to run: this network namespace has interfaces besides lo (not a fresh sandbox?)");
  }
  if_freenameindex(ifs);
}

// ---- netlink message building ------------------------------------------------------------

// One request buffer, reused. 1 KiB is far more than the largest request (the veth create,
// ~140 bytes); the aligned union keeps nlmsghdr access well-defined.
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

// One transmit and one receive queue for a veth end, as nsnet asks for (VethSpec.queues):
// without a count the kernel trims the queues after registering the pair, waiting for an
// RCU grace period under RTNL for each end.
static void put_one_queue(req_t *r) {
  put_u32(r, IFLA_NUM_TX_QUEUES, 1);
  put_u32(r, IFLA_NUM_RX_QUEUES, 1);
}

// IFLA_LINKINFO of a veth whose peer is created inside the namespace of `nsfd` under its
// final name: { KIND "veth", DATA { PEER { ifinfomsg, NUM_*_QUEUES, IFNAME, NET_NS_FD } } }.
static void put_veth_peer_in_ns(req_t *r, const char *peer_name, int nsfd) {
  struct rtattr *li = nest_begin(r, IFLA_LINKINFO);
  put_str(r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest_begin(r, IFLA_INFO_DATA);
  struct rtattr *peer = nest_begin(r, VETH_INFO_PEER);
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  put_raw(r, &peer_ifi, sizeof(peer_ifi)); // the peer's own ifinfomsg, then its attributes
  put_one_queue(r);
  put_str(r, IFLA_IFNAME, peer_name);
  put_u32(r, IFLA_NET_NS_FD, (uint32_t)nsfd);
  nest_end(r, peer);
  nest_end(r, data);
  nest_end(r, li);
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
        fprintf(stderr, FLOOR_PROG ": %s failed: %s%s%s\n", type_name(h->nlmsg_type), strerror(-err),
                why ? ": " : "", why ? why : "");
        exit(1);
      }
    }
  }
}

// RTM_NEWLINK that only changes IFF_UP, addressed by index, or by name when ifindex is 0.
static void link_up(int fd, int ifindex, const char *name) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  if (name) put_str(&r, IFLA_IFNAME, name);
  nl_call(fd, h, NULL);
}

// RTM_GETLINK doit by name (stats skipped to keep the reply small): the link's ifindex.
static int link_index(int fd, const char *name) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_GETLINK, 0, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, name);
  put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int idx = 0;
  nl_call(fd, h, &idx);
  if (idx <= 0) fail("RTM_GETLINK: no ifindex in reply");
  return idx;
}

// `ip addr add ADDR/PREFIX dev IFINDEX`: IFA_LOCAL and IFA_ADDRESS, as ip sends them.
static void addr_add(int fd, int ifindex, const char *addr, int prefix) {
  req_t r;
  struct in_addr local;
  if (inet_pton(AF_INET, addr, &local) != 1) fail("bad IPv4 address");
  struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
                          .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (uint32_t)ifindex};
  struct nlmsghdr *h = req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
  put_attr(&r, IFA_LOCAL, &local, sizeof(local));
  put_attr(&r, IFA_ADDRESS, &local, sizeof(local));
  nl_call(fd, h, NULL);
}

// `ip route add default via GATEWAY dev IFINDEX` (the gateway is on-link through the
// connected prefix of an address added before).
static void default_route_add(int fd, int ifindex, const char *gateway) {
  req_t r;
  struct in_addr gw;
  if (inet_pton(AF_INET, gateway, &gw) != 1) fail("bad IPv4 gateway");
  struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_dst_len = 0, .rtm_table = RT_TABLE_MAIN,
                      .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST};
  struct nlmsghdr *h = req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof(rtm));
  put_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
  put_u32(&r, RTA_OIF, (uint32_t)ifindex);
  nl_call(fd, h, NULL);
}

// Raises the soft fd limit to the hard one; fails if `need` fds would still not fit.
static void raise_nofile(long need) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)need > rl.rlim_cur)
    fail("RLIMIT_NOFILE too low for this N");
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

// ---- namespaces ----------------------------------------------------------------------------

// `ip netns add`: a new namespace bound to PATH (the name is the lock: O_EXCL), plus its
// fd and a netlink socket opened while inside (it stays bound to that namespace), then back
// to ORIG_NS. Single-threaded, so unsharing this thread moves the whole process, as ip
// does. /run/netns needs no shared-mount step: the sandbox's is a private tmpfs, and
// iproute2 and nsnet do that step once, not per namespace.
static void netns_add(const char *path, int orig_ns, int *nsfd, int *nl) {
  int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (f < 0) die(path);
  close(f);
  if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)");
  if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) < 0) die("bind-mount netns");
  *nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (*nsfd < 0) die(path);
  *nl = nl_open();
  if (setns(orig_ns, CLONE_NEWNET) < 0) die("setns(original)");
}

#endif
