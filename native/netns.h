// Named network namespaces (iproute2-compatible), for the parts of the addon that make
// one as the first step of a larger piece of work (netlink_plan.cc).
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "netlink_socket.h"
#include "unique_fd.h"

namespace nsnet {

struct CreatedNetns {
  UniqueFd ns;
  std::shared_ptr<NetlinkState> socket;  // null unless a protocol was asked for
};

// Like `ip netns add NAME` with dir = /run/netns; blocks, so call it from a pool thread.
// `protocol` >= 0 also opens a netlink socket of that protocol inside the new namespace,
// on the same short-lived thread: the thread is already there, so the caller saves a
// second thread and a second pool round trip per namespace. On failure nothing is left.
CreatedNetns CreateNamedNetns(const std::string& dir, const std::string& name, int protocol);

// Throws an InvalidArg TypeError unless `dir` is absolute and `name` a plain file name.
void CheckNetnsPath(Napi::Env env, const std::string& dir, const std::string& name);

}  // namespace nsnet
