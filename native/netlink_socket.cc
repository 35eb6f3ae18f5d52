#include "netlink_socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "netlink_transact.h"
#include "ns_fd.h"
#include "ns_thread.h"
#include "promise_worker.h"

namespace nsnet {

namespace {

// Room for large nf_tables batches in one sendmsg and for dump bursts. The *FORCE variants
// (CAP_NET_ADMIN) may exceed net.core.[rw]mem_max; without the capability fall back to
// the plain option, which the kernel silently caps.
constexpr int kSocketBufferSize = 4 * 1024 * 1024;

void SetBuffer(int fd, int forced, int plain) {
  int size = kSocketBufferSize;
  if (setsockopt(fd, SOL_SOCKET, forced, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, plain, &size, sizeof size);
  }
}

}  // namespace

UniqueFd OpenNetlinkFd(int protocol) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (!fd.Valid()) ThrowErrno("socket");
  return fd;
}

std::shared_ptr<NetlinkState> AdoptNetlinkSocket(UniqueFd socketFd, int protocol) {
  auto state = std::make_shared<NetlinkState>();
  state->protocol = protocol;
  state->fd = std::move(socketFd);
  int fd = state->fd.Get();

  SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
  SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
  int one = 1;
  // EXT_ACK: errors carry the kernel's text and the offending attribute's offset.
  // CAP_ACK: errors don't echo the whole request back (a big batch would be copied once
  // per failure). GET_STRICT_CHK: dump requests are validated and their filters honoured.
  // All are optional features of newer kernels; the reply parser copes without them.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);

  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;  // nl_pid 0: the kernel picks a unique port id
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ThrowErrno("bind");
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) ThrowErrno("getsockname");
  state->portId = addr.nl_pid;
  return state;
}

NetlinkReply TransactOn(NetlinkState& state, std::vector<uint8_t>& request, const std::vector<size_t>& offsets,
                        uint32_t* seqOut) {
  std::lock_guard<std::mutex> lock(state.mutex);
  if (state.closed) ThrowFailure(EBADF, "sendmsg");
  uint32_t seq = state.nextSeq;
  state.nextSeq += static_cast<uint32_t>(offsets.size());
  if (seqOut) *seqOut = seq;
  return Transact(state.fd.Get(), state.portId, seq, request, offsets, state.protocol == NETLINK_ROUTE);
}

namespace {
std::shared_ptr<NetlinkState> OpenNetlink(int protocol, int nsFd) {
  UniqueFd fd;
  // A socket belongs for life to the namespace of the thread that created it, so only
  // socket() needs the switch; everything after works from any thread.
  RunInNetns(nsFd, [&] { fd = OpenNetlinkFd(protocol); });
  return AdoptNetlinkSocket(std::move(fd), protocol);
}

struct TransactOutcome {
  NetlinkReply reply;
  uint32_t seq = 0;
};

Napi::Object MessageErrorObject(Napi::Env env, const Failure& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", Napi::Number::New(env, static_cast<double>(f.index)));
  o.Set("errno", Napi::Number::New(env, -f.err));
  if (f.hasExtack) o.Set("extack", Napi::String::New(env, f.extack));
  if (f.extackOffset >= 0) o.Set("extackOffset", Napi::Number::New(env, static_cast<double>(f.extackOffset)));
  o.Set("msgType", Napi::Number::New(env, f.msgType));
  return o;
}

Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw InvalidArg(env, "protocol must be a number");
    int protocol = info[0].As<Napi::Number>().Int32Value();
    auto ns = std::make_shared<UniqueFd>(NsFd::DupArg(env, info[1]));
    return PromiseWorker<std::shared_ptr<NetlinkState>>::Start(
        env, [protocol, ns] { return OpenNetlink(protocol, ns->Get()); },
        [](Napi::Env env, std::shared_ptr<NetlinkState>& state) -> Napi::Value {
          return NetlinkSocket::New(env, std::move(state));
        });
  });
}

}  // namespace

Napi::Function NetlinkSocket::Define(Napi::Env env) {
  return DefineClass(env, "NetlinkSocket",
                     {
                         InstanceAccessor<&NetlinkSocket::GetProtocol>("protocol"),
                         InstanceAccessor<&NetlinkSocket::GetPortId>("portId"),
                         InstanceAccessor<&NetlinkSocket::GetClosed>("closed"),
                         InstanceMethod<&NetlinkSocket::Transact>("transact"),
                         InstanceMethod<&NetlinkSocket::Close>("close"),
                     });
}

void InitNetlinkSocket(Napi::Env env, Napi::Object exports, AddonData& data) {
  data.netlinkSocket = Napi::Persistent(NetlinkSocket::Define(env));
  exports.Set("netlinkOpen", Napi::Function::New<NetlinkOpen>(env, "netlinkOpen"));
}

Napi::Object NetlinkSocket::New(Napi::Env env, std::shared_ptr<NetlinkState> state) {
  return GetAddonData(env).netlinkSocket.New({Napi::External<std::shared_ptr<NetlinkState>>::New(env, &state)});
}

NetlinkSocket::NetlinkSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetlinkSocket>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NetlinkSocket cannot be constructed from JavaScript");
  }
  state_ = std::move(*info[0].As<Napi::External<std::shared_ptr<NetlinkState>>>().Data());
  protocol_ = state_->protocol;
  portId_ = state_->portId;
}

std::shared_ptr<NetlinkState> NetlinkSocket::StateOf(Napi::Env env, Napi::Value value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(GetAddonData(env).netlinkSocket.Value())) return nullptr;
  return Unwrap(value.As<Napi::Object>())->state_;
}

Napi::Value NetlinkSocket::GetProtocol(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), protocol_);
}

Napi::Value NetlinkSocket::GetPortId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), portId_);
}

Napi::Value NetlinkSocket::GetClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), state_ == nullptr);
}

Napi::Value NetlinkSocket::Close(const Napi::CallbackInfo& info) {
  if (state_) {
    state_->closed = true;  // queued transacts fail with EBADF instead of sending
    state_.reset();         // closes the fd now unless a transact still holds it
  }
  return info.Env().Undefined();
}

Napi::Value NetlinkSocket::Transact(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw InvalidArg(env, "messages must be a Buffer");
    }
    bool collectErrors = false;
    if (info[1].IsObject()) {
      collectErrors = info[1].As<Napi::Object>().Get("collectErrors").ToBoolean().Value();
    } else if (!info[1].IsUndefined() && !info[1].IsNull()) {
      throw InvalidArg(env, "options must be an object");
    }
    if (!state_) throw ToJsError(env, EBADF, "sendmsg");

    // Copy: the worker stamps seq/pid into its own bytes while JS keeps running.
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    std::vector<uint8_t> request(bytes.Data(), bytes.Data() + bytes.ByteLength());
    std::vector<size_t> offsets;
    size_t bad = 0;
    if (!SplitMessages(request.data(), request.size(), offsets, bad)) {
      throw InvalidArg(env, "malformed netlink message at offset " + std::to_string(bad));
    }

    auto work = [state = state_, request = std::move(request), offsets = std::move(offsets)]() mutable {
      TransactOutcome out;
      out.reply = TransactOn(*state, request, offsets, &out.seq);
      return out;
    };
    auto settle = [collectErrors](Napi::Env env, TransactOutcome& out) -> Napi::Value {
      NetlinkReply& r = out.reply;
      if (!r.errors.empty() && !collectErrors) throw ToJsError(env, r.errors.front());
      if (r.dumpInterrupted) {
        Failure f;
        f.err = EINTR;
        f.syscall = "netlink";
        f.dumpInterrupted = true;
        throw ToJsError(env, f);
      }
      Napi::Object result = Napi::Object::New(env);
      result.Set("data", Napi::Buffer<uint8_t>::Copy(env, r.data.data(), r.data.size()));
      Napi::Array errors = Napi::Array::New(env, r.errors.size());
      for (size_t i = 0; i < r.errors.size(); ++i) errors.Set(static_cast<uint32_t>(i), MessageErrorObject(env, r.errors[i]));
      result.Set("errors", errors);
      result.Set("seq", Napi::Number::New(env, out.seq));
      return result;
    };
    return PromiseWorker<TransactOutcome>::Start(env, std::move(work), std::move(settle));
  });
}

}  // namespace nsnet
