// Named network namespaces (iproute2-compatible), for the parts of the addon that make
// one as the first step of a larger piece of work (netlink_plan.cc).
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "netlink_socket.h"
#include "ns_thread.h"
#include "unique_fd.h"

namespace nsnet {

struct CreatedNetns {
  UniqueFd ns;
  std::shared_ptr<NetlinkState> socket;  // null unless a protocol was asked for
};

// Like `ip netns add NAME` with dir = /run/netns; blocks, so never call it on the JS
// thread. `protocol` >= 0 also opens a netlink socket of that protocol inside the new
// namespace, right after the switch: the caller saves a second switch and a second
// thread hand-off per namespace. `where` says where unshare runs (see SwitchOn); with
// kThisThread the calling thread is left inside the new namespace. On failure nothing is
// left.
CreatedNetns CreateNamedNetns(const std::string& dir, const std::string& name, int protocol,
                              SwitchOn where = SwitchOn::kFreshThread);

// Throws an InvalidArg TypeError unless `dir` is absolute and `name` a plain file name.
void CheckNetnsPath(Napi::Env env, const std::string& dir, const std::string& name);

}  // namespace nsnet
