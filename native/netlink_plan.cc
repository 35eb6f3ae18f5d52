// netlinkPlan: several netlink exchanges, on several sockets, run one after the other by
// one thread (the plan's own when it makes or enters a namespace, else a pool thread:
// see StartPlan) — the whole kernel side of attaching a container (veth on the host's
// rtnetlink socket, its configuration on the container's, the firewall batch on the
// host's nf_tables socket) for one hand-off between threads instead of one per request.
//
// On this kind of machine a hand-off costs far more than the kernel work it carries: a
// pool round trip is two cross-CPU wake-ups plus the event loop's turn (0.1–0.4 ms on a
// 2-vCPU VM), while an RTM_NEWADDR takes the kernel a few microseconds.
//
// Still framing only. A step's request may take two values that exist only once the
// plan runs, each written as a u32 at byte offsets JS names: the namespace's fd (a veth
// peer's IFLA_NET_NS_FD, for a namespace the plan itself creates), and a u32 at a byte
// offset of an earlier step's first reply message (an ifindex the kernel chose). What the
// bytes mean stays in lib/.
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "addon.h"
#include "errors.h"
#include "netlink_socket.h"
#include "netns.h"
#include "ns_fd.h"
#include "ns_thread.h"
#include "promise_worker.h"
#include "thread_worker.h"

namespace nsnet {

namespace {

struct Patch {
  bool fromNs = false;  // the namespace's fd, else:
  size_t from = 0;      // an earlier step
  size_t at = 0;        // byte offset in that step's first reply message
  std::vector<size_t> to;  // byte offsets in this step's request
};

struct PlanStep {
  std::shared_ptr<NetlinkState> socket;  // null: the namespace's socket
  std::vector<uint8_t> request;
  std::vector<size_t> offsets;
  std::vector<Patch> patches;
};

// The steps of a plan, which JS may still be adding to while the first ones run (an
// "open" plan): the worker waits for the next step until JS says there are no more.
struct PlanQueue {
  std::mutex mutex;
  std::condition_variable added;
  std::vector<PlanStep> steps;  // guarded by mutex; the worker moves each out as it runs it
  bool last = false;            // no more steps will come
  bool stopped = false;         // the worker is done (a step failed, or it ran the last)
};

// What JS holds of an open plan: its queue, and whether its steps may use the namespace's socket.
struct OpenQueue {
  std::shared_ptr<PlanQueue> queue;
  bool hasNs;
};

struct PlanOutcome {
  UniqueFd ns;  // a namespace the plan created
  std::vector<std::vector<uint8_t>> replies;
  std::optional<Failure> failure;
  int failedStep = -1;  // -1: the namespace could not be made or entered
};

// Where the namespace's socket comes from: a namespace made for the plan, one entered by
// fd, or none (every step names its socket).
struct NsSource {
  std::string dir, name;  // create when name is set
  UniqueFd enter;
  int protocol = NETLINK_ROUTE;
  // The plan makes or enters a namespace, so it needs a socket there and a thread that switches.
  bool Switches() const { return !name.empty() || enter.Valid(); }
};

void ApplyPatch(PlanStep& step, const Patch& p, int nsFd, const std::vector<std::vector<uint8_t>>& replies) {
  uint32_t value;
  if (p.fromNs) {
    if (nsFd < 0) ThrowFailure(EBADF, "netlink plan: no namespace fd to patch in");
    value = static_cast<uint32_t>(nsFd);
  } else {
    // The value must lie inside the first message of the earlier step's reply.
    const std::vector<uint8_t>& reply = replies[p.from];
    nlmsghdr h;
    if (reply.size() < sizeof h) ThrowFailure(EPROTO, "netlink plan: no reply to patch from");
    memcpy(&h, reply.data(), sizeof h);
    if (h.nlmsg_len > reply.size() || p.at + sizeof value > h.nlmsg_len) ThrowFailure(EPROTO, "netlink plan: reply too short to patch from");
    memcpy(&value, reply.data() + p.at, sizeof value);
  }
  for (size_t off : p.to) memcpy(step.request.data() + off, &value, sizeof value);
}

// Takes step `i` when it is there, or nothing once JS said it sent the last one.
std::optional<PlanStep> NextStep(PlanQueue& queue, size_t i) {
  std::unique_lock<std::mutex> lock(queue.mutex);
  queue.added.wait(lock, [&] { return i < queue.steps.size() || queue.last; });
  if (i >= queue.steps.size()) return std::nullopt;
  return std::move(queue.steps[i]);
}

PlanOutcome RunPlan(NsSource& source, PlanQueue& queue) {
  PlanOutcome out;
  auto stop = [&] {
    std::lock_guard<std::mutex> lock(queue.mutex);
    queue.stopped = true;
  };
  std::shared_ptr<NetlinkState> nsSocket;
  int nsFd = -1;
  try {
    if (!source.name.empty()) {
      CreatedNetns created = CreateNamedNetns(source.dir, source.name, source.protocol, SwitchOn::kThisThread);
      out.ns = std::move(created.ns);
      nsSocket = std::move(created.socket);
      nsFd = out.ns.Get();
    } else if (source.enter.Valid()) {
      UniqueFd fd;
      RunInNetns(source.enter.Get(), [&] { fd = OpenNetlinkFd(source.protocol); }, SwitchOn::kThisThread);
      nsSocket = AdoptNetlinkSocket(std::move(fd), source.protocol);
      nsFd = source.enter.Get();
    }
  } catch (const Failure& f) {
    out.failure = f;
    stop();
    return out;
  }
  for (size_t i = 0;; ++i) {
    std::optional<PlanStep> next = NextStep(queue, i);
    if (!next) break;
    PlanStep& step = *next;
    try {
      NetlinkState* socket = step.socket ? step.socket.get() : nsSocket.get();
      if (!socket) ThrowFailure(EBADF, "netlink plan: no namespace socket");
      for (const Patch& p : step.patches) ApplyPatch(step, p, nsFd, out.replies);
      NetlinkReply reply = TransactOn(*socket, step.request, step.offsets);
      if (!reply.errors.empty()) throw reply.errors.front();
      out.replies.push_back(std::move(reply.data));
    } catch (const Failure& f) {
      out.failure = f;
      out.failedStep = static_cast<int>(i);
      break;
    }
  }
  stop();
  return out;
}

size_t SizeArg(Napi::Env env, Napi::Value v, const char* what) {
  if (!v.IsNumber()) throw InvalidArg(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 1e9) || d != static_cast<double>(static_cast<size_t>(d))) {
    throw InvalidArg(env, std::string(what) + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

PlanStep ParseStep(Napi::Env env, Napi::Value value, size_t index) {
  if (!value.IsObject()) throw InvalidArg(env, "each step must be an object");
  Napi::Object o = value.As<Napi::Object>();
  PlanStep step;
  Napi::Value socket = o.Get("socket");
  if (!socket.IsUndefined() && !socket.IsNull()) {
    step.socket = NetlinkSocket::StateOf(env, socket);
    if (!step.socket) throw InvalidArg(env, "step.socket must be an open NetlinkSocket");
  }
  Napi::Value messages = o.Get("messages");
  if (!messages.IsTypedArray() || messages.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw InvalidArg(env, "step.messages must be a Buffer");
  }
  Napi::Uint8Array bytes = messages.As<Napi::Uint8Array>();
  step.request.assign(bytes.Data(), bytes.Data() + bytes.ByteLength());
  size_t bad = 0;
  if (!SplitMessages(step.request.data(), step.request.size(), step.offsets, bad)) {
    throw InvalidArg(env, "malformed netlink message at offset " + std::to_string(bad) + " of step " + std::to_string(index));
  }
  Napi::Value patches = o.Get("patch");
  if (patches.IsUndefined()) return step;
  if (!patches.IsArray()) throw InvalidArg(env, "step.patch must be an array");
  Napi::Array patchList = patches.As<Napi::Array>();
  for (uint32_t n = 0; n < patchList.Length(); ++n) {
    if (!patchList.Get(n).IsObject()) throw InvalidArg(env, "step.patch[] must be an object");
    Napi::Object po = patchList.Get(n).As<Napi::Object>();
    Patch p;
    Napi::Value from = po.Get("from");
    if (from.IsString() && from.As<Napi::String>().Utf8Value() == "ns") {
      p.fromNs = true;
    } else {
      p.from = SizeArg(env, from, "patch.from");
      if (p.from >= index) throw InvalidArg(env, "patch.from must name an earlier step or 'ns'");
      p.at = SizeArg(env, po.Get("at"), "patch.at");
    }
    Napi::Value to = po.Get("to");
    if (!to.IsArray()) throw InvalidArg(env, "patch.to must be an array");
    Napi::Array arr = to.As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); ++k) {
      size_t off = SizeArg(env, arr.Get(k), "patch.to[]");
      // Never inside a header the request loop stamps, never past the end.
      if (off + sizeof(uint32_t) > step.request.size()) throw InvalidArg(env, "patch.to offset past the step's messages");
      p.to.push_back(off);
    }
    step.patches.push_back(std::move(p));
  }
  return step;
}

// Parses `list` as steps numbered from `base` (patches name earlier steps by number).
std::vector<PlanStep> ParseSteps(Napi::Env env, Napi::Value value, size_t base, bool hasNs) {
  if (!value.IsArray()) throw InvalidArg(env, "steps must be an array");
  Napi::Array list = value.As<Napi::Array>();
  std::vector<PlanStep> steps;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    steps.push_back(ParseStep(env, list.Get(i), base + i));
    if (!steps.back().socket && !hasNs) throw InvalidArg(env, "a step without socket needs ns");
  }
  return steps;
}

std::shared_ptr<NsSource> ParseNs(Napi::Env env, Napi::Value value) {
  auto source = std::make_shared<NsSource>();
  if (value.IsObject()) {
    Napi::Object ns = value.As<Napi::Object>();
    Napi::Value create = ns.Get("create");
    if (create.IsObject()) {
      Napi::Object c = create.As<Napi::Object>();
      if (!c.Get("dir").IsString() || !c.Get("name").IsString()) throw InvalidArg(env, "ns.create needs dir and name strings");
      source->dir = c.Get("dir").As<Napi::String>().Utf8Value();
      source->name = c.Get("name").As<Napi::String>().Utf8Value();
      CheckNetnsPath(env, source->dir, source->name);
    } else if (!ns.Get("enter").IsUndefined()) {
      source->enter = NsFd::DupArg(env, ns.Get("enter"));
    } else {
      throw InvalidArg(env, "ns must have create or enter");
    }
    Napi::Value protocol = ns.Get("protocol");
    if (protocol.IsNumber()) source->protocol = protocol.As<Napi::Number>().Int32Value();
  } else if (!value.IsUndefined() && !value.IsNull()) {
    throw InvalidArg(env, "ns must be an object");
  }
  return source;
}

// `withReplies` false: JS does not read them, and settles with an empty array.
Napi::Value SettleOutcome(Napi::Env env, PlanOutcome& out, bool withReplies) {
  if (out.failure) {
    Napi::Error error = ToJsError(env, *out.failure);
    error.Set("step", Napi::Number::New(env, out.failedStep));
    throw error;
  }
  Napi::Object result = Napi::Object::New(env);
  // Three Buffer copies took 15-20 us of the JS thread right after it woke for the plan's
  // report (caches cold after the wait), on the path of every container it starts.
  const size_t returned = withReplies ? out.replies.size() : 0;
  Napi::Array replies = Napi::Array::New(env, returned);
  for (size_t i = 0; i < returned; ++i) {
    replies.Set(static_cast<uint32_t>(i), Napi::Buffer<uint8_t>::Copy(env, out.replies[i].data(), out.replies[i].size()));
  }
  result.Set("replies", replies);
  if (out.ns.Valid()) result.Set("ns", NsFd::New(env, std::move(out.ns)));
  return result;
}

// A plan that makes or enters a namespace runs on a thread of its own (ThreadWorker), which
// switches and then runs every step itself; one that stays in the caller's namespaces runs
// on a pool thread, which must never switch.
Napi::Promise StartPlan(Napi::Env env, std::shared_ptr<NsSource> source, std::shared_ptr<PlanQueue> queue, bool apart = false, bool replies = true) {
  auto run = [source, queue] { return RunPlan(*source, *queue); };
  auto settle = [replies](Napi::Env env, PlanOutcome& out) { return SettleOutcome(env, out, replies); };
  if (source->Switches()) return ThreadWorker<PlanOutcome>::Start(env, run, settle, apart);
  return PromiseWorker<PlanOutcome>::Start(env, run, settle);
}

Napi::Value NetlinkPlan(const Napi::CallbackInfo& info) {
  return AsyncEntry(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto source = ParseNs(env, info[1]);
    auto queue = std::make_shared<PlanQueue>();
    queue->steps = ParseSteps(env, info[0], 0, source->Switches());
    queue->last = true;
    return StartPlan(env, source, queue);
  });
}

// An open plan: its first steps start at once and JS adds the rest with
// netlinkPlanPush(queue, steps, last), so that kernel work whose inputs are known runs while
// JS works out the rest. The plan's thread waits for the next step; a push with last ends
// the plan (also with no steps). The queue is an External rather than a push function per
// plan: creating a function and a finalizer cost the JS thread ~25 µs per container.
// Options: `apart` — JS has work of its own to do while the plan runs, so the plan's thread
// keeps off JS's CPU (ThreadJob::apart; only for a plan that makes or enters a namespace);
// `replies: false` — JS does not read the replies, which then settle as an empty array.
Napi::Value NetlinkPlanOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto source = ParseNs(env, info[1]);
  bool apart = false;
  bool replies = true;
  if (!info[2].IsUndefined()) {
    if (!info[2].IsObject()) throw InvalidArg(env, "options must be an object");
    auto flag = [&](const char* name, bool& value) {
      Napi::Value v = info[2].As<Napi::Object>().Get(name);
      if (v.IsUndefined()) return;
      if (!v.IsBoolean()) throw InvalidArg(env, std::string("options.") + name + " must be a boolean");
      value = v.As<Napi::Boolean>().Value();
    };
    flag("apart", apart);
    flag("replies", replies);
  }
  bool hasNs = source->Switches();
  auto queue = std::make_shared<PlanQueue>();
  queue->steps = ParseSteps(env, info[0], 0, hasNs);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("done", StartPlan(env, source, queue, apart, replies));
  // A queue dropped without its last push must not keep the plan's thread waiting forever.
  handle.Set("queue", Napi::External<OpenQueue>::New(env, new OpenQueue{queue, hasNs}, [](Napi::Env, OpenQueue* open) {
    std::shared_ptr<PlanQueue> q = std::move(open->queue);
    delete open;
    {
      std::lock_guard<std::mutex> lock(q->mutex);
      q->last = true;
    }
    q->added.notify_one();
  }));
  return handle;
}

Napi::Value NetlinkPlanPush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal()) throw InvalidArg(env, "queue must be an open plan's queue");
  OpenQueue& open = *info[0].As<Napi::External<OpenQueue>>().Data();
  if (!info[2].IsBoolean()) throw InvalidArg(env, "last must be a boolean");
  PlanQueue& queue = *open.queue;
  size_t base;
  {
    std::lock_guard<std::mutex> lock(queue.mutex);
    if (queue.last) throw InvalidArg(env, "the plan was already ended");
    base = queue.steps.size();
  }
  std::vector<PlanStep> more = ParseSteps(env, info[1], base, open.hasNs);
  bool accepted;
  {
    std::lock_guard<std::mutex> lock(queue.mutex);
    accepted = !queue.stopped;
    if (accepted) for (PlanStep& s : more) queue.steps.push_back(std::move(s));
    queue.last = info[2].As<Napi::Boolean>().Value();
  }
  queue.added.notify_one();
  return Napi::Boolean::New(env, accepted);
}

}  // namespace

void InitNetlinkPlan(Napi::Env env, Napi::Object exports, AddonData& /*data*/) {
  exports.Set("netlinkPlan", Napi::Function::New<NetlinkPlan>(env, "netlinkPlan"));
  exports.Set("netlinkPlanOpen", Napi::Function::New<NetlinkPlanOpen>(env, "netlinkPlanOpen"));
  exports.Set("netlinkPlanPush", Napi::Function::New<NetlinkPlanPush>(env, "netlinkPlanPush"));
}

}  // namespace nsnet
