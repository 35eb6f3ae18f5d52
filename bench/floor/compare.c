// Kernel floor for the side-by-side comparison (bench/compare): the links, addresses and
// routes of N bridge-mode containers, with raw rtnetlink from one single-threaded
// process. No firewall: the published port and the masquerade are not part of the floor.
//
// Usage: compare setup NETNS_PREFIX BRIDGE GATEWAY/PREFIXLEN FIRST_ADDRESS N [make-netns]
//        compare teardown
//   e.g. compare setup cmpc cmpbr0 10.88.0.1/16 10.88.0.2 50; …verify…; compare teardown
// The container namespaces NETNS_PREFIX0 … NETNS_PREFIX<N-1> must exist in /run/netns
// (bench/compare makes them before timing, as a runtime would), unless `make-netns` asks
// for each to be made in the timed loop, as `ip netns add` makes one (bench/runtime, where
// nsnet makes the containers' namespaces too); the caller deletes them afterwards.
// Untimed, first: the bridge BRIDGE with GATEWAY on it, up, and IPv4 forwarding on. Then,
// timed, per container i:
//   open (or make) its namespace; a netlink socket inside it; one RTM_NEWLINK creating the veth
//   pair, host end cmpf<i> enslaved to the bridge and up, the peer created inside the
//   namespace as eth0; inside: lo up, eth0's index, eth0 without an IPv6 link-local
//   address (addrgenmode none, as nsnet on an IPv4-only network), eth0 up, address
//   FIRST_ADDRESS+i, a default route via the gateway.
// Teardown, timed, a separate run (so the harness can verify the setup in between):
// every host end was created in one link group, so one RTM_DELLINK with IFLA_GROUP
// deletes them all in one unregister batch (what `ip link delete group G` does), the
// cheapest bulk teardown the kernel offers. The bridge stays, as with the other tools.
//
// Refuses to run outside scripts/sandbox. Prints one JSON line:
// setup: {"n":N,"setupMs":..,"eachMs":[per-container setup ms…]}; teardown: {"teardownMs":..}.

#define FLOOR_PROG "compare"
#include "nl.h"

#define MAX_N 60000    // host ends are cmpf%07lx; addresses must stay inside a /16
#define LINK_GROUP 4242 // the host ends' link group (IFLA_GROUP), for the bulk delete

// Untimed, with the bridge: `sysctl -w net.ipv4.ip_forward=1` in this namespace (every
// tool's network setup does it; the harness's TCP check goes through the host).
static void ip_forward_on(void) {
  int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open ip_forward");
  if (write(fd, "1\n", 2) != 2) die("write ip_forward");
  close(fd);
}

// Untimed: `ip link add BRIDGE type bridge up` and `ip addr add GATEWAY dev BRIDGE`.
static int bridge_add(int fd, const char *name, const char *gateway, int prefix) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
  put_str(&r, IFLA_IFNAME, name);
  struct rtattr *li = nest_begin(&r, IFLA_LINKINFO);
  put_str(&r, IFLA_INFO_KIND, "bridge");
  nest_end(&r, li);
  nl_call(fd, h, NULL);
  int idx = link_index(fd, name);
  addr_add(fd, idx, gateway, prefix);
  return idx;
}

// `ip link set dev IFINDEX addrgenmode none`: IFLA_AF_SPEC { AF_INET6 {
// IFLA_INET6_ADDR_GEN_MODE } }, before the link comes up, so it makes no IPv6 link-local
// address (and sends no DAD, MLD or router solicitation).
static void link_addrgen_none(int fd, int ifindex) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
  struct rtattr *spec = nest_begin(&r, IFLA_AF_SPEC);
  struct rtattr *inet6 = nest_begin(&r, AF_INET6);
  uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
  put_attr(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof(mode));
  nest_end(&r, inet6);
  nest_end(&r, spec);
  nl_call(fd, h, NULL);
}

// Opens the namespace at PATH and a netlink socket inside it. Single-threaded, so setns
// moves the whole process; the socket stays bound to the namespace it was created in
// after we return to ours.
static void netns_enter(const char *path, int orig_ns, int *nsfd, int *nl) {
  *nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (*nsfd < 0) die(path);
  if (setns(*nsfd, CLONE_NEWNET) < 0) die("setns(container)");
  *nl = nl_open();
  if (setns(orig_ns, CLONE_NEWNET) < 0) die("setns(original)");
}

// One RTM_NEWLINK: the pair, the host end enslaved, in the link group and up, the peer
// created inside the namespace as eth0. (The peer cannot be brought up in the same
// request: it is opened before the pair is linked, and the kernel answers ENOTCONN.)
static void veth_add(int host_nl, const char *host_name, int bridge, int nsfd) {
  req_t r;
  struct ifinfomsg up = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  struct nlmsghdr *h = req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &up, sizeof(up));
  put_str(&r, IFLA_IFNAME, host_name);
  put_u32(&r, IFLA_MASTER, (uint32_t)bridge);
  put_u32(&r, IFLA_GROUP, LINK_GROUP);
  put_one_queue(&r);
  put_veth_peer_in_ns(&r, "eth0", nsfd);
  nl_call(host_nl, h, NULL);
}

// `ip link delete group LINK_GROUP`: one request, one unregister batch in the kernel.
static void group_del(int fd) {
  req_t r;
  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
  struct nlmsghdr *h = req_init(&r, RTM_DELLINK, 0, &ifi, sizeof(ifi));
  put_u32(&r, IFLA_GROUP, LINK_GROUP);
  nl_call(fd, h, NULL);
}

static long parse_n(const char *s) {
  char *end;
  long n = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || n < 1 || n > MAX_N) fail("N must be an integer in 1..60000");
  return n;
}

int main(int argc, char **argv) {
  // The harness has made the client link (cmpup0) here before us: allow links named cmp*.
  require_sandbox("cmp");
  if (argc == 2 && strcmp(argv[1], "teardown") == 0) {
    int host_nl = nl_open();
    double t0 = now_ms();
    group_del(host_nl);
    printf("{\"teardownMs\":%.3f}\n", now_ms() - t0);
    close(host_nl);
    return 0;
  }
  int make_netns = argc == 8 && strcmp(argv[7], "make-netns") == 0;
  if ((argc != 7 && !make_netns) || strcmp(argv[1], "setup") != 0)
    fail("usage: compare setup NETNS_PREFIX BRIDGE GATEWAY/PREFIXLEN FIRST_ADDRESS N [make-netns] | compare teardown");
  const char *prefix = argv[2], *bridge = argv[3];
  char gateway[INET_ADDRSTRLEN];
  const char *slash = strchr(argv[4], '/');
  if (!slash || (size_t)(slash - argv[4]) >= sizeof(gateway)) fail("GATEWAY must be ADDRESS/PREFIXLEN");
  memcpy(gateway, argv[4], (size_t)(slash - argv[4]));
  gateway[slash - argv[4]] = '\0';
  int plen = atoi(slash + 1);
  if (plen < 8 || plen > 30) fail("PREFIXLEN must be in 8..30");
  struct in_addr first;
  if (inet_pton(AF_INET, argv[5], &first) != 1) fail("FIRST_ADDRESS must be an IPv4 address");
  long n = parse_n(argv[6]);
  if (strlen(prefix) > 40) fail("NETNS_PREFIX too long");
  raise_nofile(64);

  int orig_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig_ns < 0) die("open original netns");
  int host_nl = nl_open();
  int br = bridge_add(host_nl, bridge, gateway, plen);
  ip_forward_on();

  double *each = calloc((size_t)n, sizeof(*each));
  if (!each) die("calloc");
  char path[96], host[IFNAMSIZ], addr[INET_ADDRSTRLEN];

  double t0 = now_ms();
  for (long i = 0; i < n; i++) {
    double c0 = now_ms();
    snprintf(path, sizeof(path), NETNS_DIR "/%s%ld", prefix, i);
    snprintf(host, sizeof(host), "cmpf%07lx", i);
    struct in_addr a = {.s_addr = htonl(ntohl(first.s_addr) + (uint32_t)i)};
    inet_ntop(AF_INET, &a, addr, sizeof(addr));

    int nsfd, nl;
    if (make_netns) netns_add(path, orig_ns, &nsfd, &nl);
    else netns_enter(path, orig_ns, &nsfd, &nl);

    veth_add(host_nl, host, br, nsfd);
    link_up(nl, 1, NULL); // lo is ifindex 1 in every namespace
    int eth0 = link_index(nl, "eth0");
    link_addrgen_none(nl, eth0); // as nsnet does on an IPv4-only network
    link_up(nl, eth0, NULL);
    addr_add(nl, eth0, addr, plen);
    default_route_add(nl, eth0, gateway);
    close(nl);
    close(nsfd);
    each[i] = now_ms() - c0;
  }
  double setup = now_ms() - t0;

  printf("{\"n\":%ld,\"setupMs\":%.3f,\"eachMs\":[", n, setup);
  for (long i = 0; i < n; i++) printf("%s%.4f", i ? "," : "", each[i]);
  printf("]}\n");
  free(each);
  close(host_nl);
  close(orig_ns);
  return 0;
}
