// inetSocket: a UDP or TCP socket created inside a network namespace, bound, and handed to
// JS as a plain fd for node:dgram (`bind({ fd })`) or node:net (`listen({ fd })`,
// `new Socket({ fd })`) to adopt.
//
// A socket belongs to the namespace of the thread that calls socket(2), for its whole
// life; only that call needs the switch, so it happens on a fresh short-lived thread
// (RunInNetns) and the sockets then serve from Node's event loop like any other. This is
// how the resolver listens on gateway addresses of a host namespace that is not the
// process's own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "addon.h"
#include "errors.h"
#include "ns_fd.h"
#include "ns_thread.h"
#include "promise_worker.h"
#include "unique_fd.h"

namespace nsnet {

namespace {

struct SocketSpec {
  int family = AF_INET;
  int type = SOCK_DGRAM;
  bool bind = false;
  sockaddr_storage addr{};
  socklen_t addrLen = 0;
};

void SetOpt(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) ThrowErrno(what);
}

UniqueFd OpenSocket(const SocketSpec& spec) {
  UniqueFd fd(socket(spec.family, spec.type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.Valid()) ThrowErrno("socket");
  if (spec.family == AF_INET6) SetOpt(fd.Get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "setsockopt(IPV6_V6ONLY)");
  if (spec.bind) {
    // A listener comes back at once after a restart (TIME_WAIT connections of the old one).
    if (spec.type == SOCK_STREAM) SetOpt(fd.Get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
    if (bind(fd.Get(), reinterpret_cast<const sockaddr*>(&spec.addr), spec.addrLen) != 0) ThrowErrno("bind");
  }
  return fd;
}

}  // namespace

// inetSocket(ns: NsFd | null, family: 4 | 6, type: 'udp' | 'tcp', address?: string, port?: number): Promise<number>
static Napi::Value InetSocket(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    SocketSpec spec;
    double family = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
    if (family != 4 && family != 6) throw InvalidArg(env, "family must be 4 or 6");
    spec.family = family == 4 ? AF_INET : AF_INET6;
    std::string type = StringArg(info, 2, "type");
    if (type == "udp") spec.type = SOCK_DGRAM;
    else if (type == "tcp") spec.type = SOCK_STREAM;
    else throw InvalidArg(env, "type must be 'udp' or 'tcp'");
    if (!info[3].IsUndefined() && !info[3].IsNull()) {
      std::string address = StringArg(info, 3, "address");
      double port = info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : -1;
      if (!(port >= 0 && port <= 65535 && std::floor(port) == port)) throw InvalidArg(env, "port must be an integer 0-65535");
      spec.bind = true;
      if (spec.family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&spec.addr);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) throw InvalidArg(env, "address is not IPv4: '" + address + "'");
        spec.addrLen = sizeof(sockaddr_in);
      } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&spec.addr);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1) throw InvalidArg(env, "address is not IPv6: '" + address + "'");
        spec.addrLen = sizeof(sockaddr_in6);
      }
    }
    auto ns = std::make_shared<UniqueFd>(NsFd::DupArg(env, info[0]));
    return PromiseWorker<int>::Start(
        env,
        [ns, spec] {
          UniqueFd fd;
          RunInNetns(ns->Get(), [&] { fd = OpenSocket(spec); });
          return fd.Release();
        },
        // From here the fd is JS's: it adopts it or closes it (lib/dns/sockets.ts).
        [](Napi::Env env, int& fd) -> Napi::Value { return Napi::Number::New(env, fd); });
  });
}

void InitInetSocket(Napi::Env env, Napi::Object exports, AddonData& /*data*/) {
  exports.Set("inetSocket", Napi::Function::New<InetSocket>(env, "inetSocket"));
}

}  // namespace nsnet
