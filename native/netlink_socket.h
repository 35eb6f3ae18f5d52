// NetlinkSocket: a netlink socket bound inside one namespace, and the JS face of the
// request loop in netlink_transact.cc.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "netlink_transact.h"
#include "unique_fd.h"

namespace nsnet {

// Shared between the JS object and in-flight transacts. close() from JS only marks it
// closed; the fd itself is closed when the last transact holding the state finishes, so a
// worker never sends on a closed (or reused) fd number.
struct NetlinkState {
  UniqueFd fd;
  int protocol = 0;
  uint32_t portId = 0;
  std::atomic<bool> closed{false};
  std::mutex mutex;      // serialises transacts: replies are matched by seq on one queue
  uint32_t nextSeq = 1;  // guarded by mutex
};

// socket(AF_NETLINK) in the calling thread's namespace.
UniqueFd OpenNetlinkFd(int protocol);
// Sets buffers and options on a fresh netlink socket, binds it, and wraps it.
std::shared_ptr<NetlinkState> AdoptNetlinkSocket(UniqueFd socketFd, int protocol);

// One exchange on `state` (see Transact in netlink_transact.h), serialised with every
// other on the same socket; EBADF once the socket was closed. `seqOut` gets the first seq.
NetlinkReply TransactOn(NetlinkState& state, std::vector<uint8_t>& request, const std::vector<size_t>& offsets,
                        uint32_t* seqOut = nullptr);

class NetlinkSocket : public Napi::ObjectWrap<NetlinkSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object New(Napi::Env env, std::shared_ptr<NetlinkState> state);
  explicit NetlinkSocket(const Napi::CallbackInfo& info);
  // The socket behind a JS NetlinkSocket; null if `value` is none or it is closed.
  static std::shared_ptr<NetlinkState> StateOf(Napi::Env env, Napi::Value value);

 private:
  Napi::Value GetProtocol(const Napi::CallbackInfo& info);
  Napi::Value GetPortId(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value Transact(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::shared_ptr<NetlinkState> state_;  // null once closed
  int protocol_ = 0;
  uint32_t portId_ = 0;
};

}  // namespace nsnet
