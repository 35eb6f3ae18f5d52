#include "netlink_transact.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <memory>

namespace nsnet {

namespace {

// A datagram never exceeds this for the kernel's own replies: dump skbs are at most 32 KiB
// (or the largest single object, e.g. a link with many VFs, rounded up) and doit replies
// are one object. MSG_TRUNC tells us if that assumption ever breaks.
constexpr size_t kRecvBufferSize = 256 * 1024;

enum class Wait : uint8_t { kNothing, kPending, kDone };

nlmsghdr ReadHeader(const uint8_t* p) {
  nlmsghdr h;
  memcpy(&h, p, sizeof h);  // the buffer may be unaligned (a JS Buffer slice)
  return h;
}

// Reads the extended-ack TLVs (NLMSGERR_ATTR_*) that start at `p`.
void ParseExtack(const uint8_t* p, const uint8_t* end, Failure& f) {
  while (end - p >= static_cast<ptrdiff_t>(sizeof(nlattr))) {
    nlattr a;
    memcpy(&a, p, sizeof a);
    if (a.nla_len < sizeof a || a.nla_len > static_cast<size_t>(end - p)) return;
    const uint8_t* value = p + NLA_HDRLEN;
    size_t valueLen = a.nla_len - NLA_HDRLEN;
    switch (a.nla_type & NLA_TYPE_MASK) {
      case NLMSGERR_ATTR_MSG:
        f.hasExtack = true;
        f.extack.assign(reinterpret_cast<const char*>(value), strnlen(reinterpret_cast<const char*>(value), valueLen));
        break;
      case NLMSGERR_ATTR_OFFS:
        if (valueLen >= sizeof(uint32_t)) {
          uint32_t off;
          memcpy(&off, value, sizeof off);
          f.extackOffset = off;
        }
        break;
    }
    p += NLA_ALIGN(a.nla_len);
  }
}

void SendAll(int fd, std::vector<uint8_t>& request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0 = the kernel
  iovec iov{request.data(), request.size()};
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof kernel;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Netlink sendmsg is all-or-nothing: the kernel copies the whole buffer into one skb
  // and processes every message in it before returning (dumps excepted: they start
  // here and continue on each recvmsg).
  ssize_t n;
  do n = sendmsg(fd, &msg, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) ThrowErrno("sendmsg");
}

}  // namespace

bool SplitMessages(const uint8_t* buf, size_t len, std::vector<size_t>& offsets, size_t& badOffset) {
  size_t off = 0;
  while (off < len) {
    badOffset = off;
    if (len - off < NLMSG_HDRLEN) return false;
    nlmsghdr h = ReadHeader(buf + off);
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off) return false;
    offsets.push_back(off);
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return !offsets.empty();
}

NetlinkReply Transact(int fd, uint32_t portId, uint32_t seqBase, std::vector<uint8_t>& request,
                      const std::vector<size_t>& offsets, bool ackLastOnly) {
  const size_t count = offsets.size();
  std::vector<Wait> wait(count, Wait::kNothing);
  // NLM_F_DUMP must match both bits: NLM_F_ROOT and NLM_F_MATCH share their values with
  // NLM_F_REPLACE and NLM_F_EXCL, which NEW requests carry and which get no reply unless
  // NLM_F_ACK is set.
  auto isDump = [](const nlmsghdr& h) { return (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP; };
  // Only where the kernel answers in message order (not an nfnetlink batch, whose errors
  // are delivered when the whole batch is done).
  const bool lastAcked = ackLastOnly && count > 0 && [&] {
    nlmsghdr last = ReadHeader(request.data() + offsets[count - 1]);
    return (last.nlmsg_flags & NLM_F_ACK) && !isDump(last);
  }();
  for (size_t i = 0; i < count; ++i) {
    uint8_t* p = request.data() + offsets[i];
    nlmsghdr h = ReadHeader(p);
    h.nlmsg_seq = seqBase + static_cast<uint32_t>(i);
    h.nlmsg_pid = 0;  // the kernel fills in our port id
    // netlink_rcv_skb runs the messages of one send in order and answers a failure whether
    // or not it asked for an ACK, all before sendmsg returns. So once the last message is
    // acked, every earlier outcome is already queued in front of that ACK: earlier ACKs say
    // nothing more, and each would cost the kernel an skb and us a recvmsg.
    if (lastAcked && i + 1 < count && !isDump(h)) h.nlmsg_flags &= ~NLM_F_ACK;
    memcpy(p, &h, sizeof h);
    // NLM_F_ACK asks for an NLMSG_ERROR (error 0 = ACK); a dump ends with NLMSG_DONE.
    if ((h.nlmsg_flags & NLM_F_ACK) || isDump(h)) wait[i] = Wait::kPending;
  }

  SendAll(fd, request);

  NetlinkReply reply;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[kRecvBufferSize]);
  size_t firstError = count;  // index of the earliest failed message, count = none yet
  for (;;) {
    bool pending = false, pendingBeforeError = false;
    for (size_t i = 0; i < count; ++i) {
      if (wait[i] != Wait::kPending) continue;
      pending = true;
      if (i < firstError) pendingBeforeError = true;
    }
    // Block only while a reply is certainly coming. Non-dump requests were processed
    // inside sendmsg, so their replies are queued already; reading without blocking
    // (a) drains replies to messages that wanted none (a failed message always gets an
    // NLMSG_ERROR), so they don't bleed into the next request, and (b) ends the wait for
    // ACKs after a failure: an aborted nfnetlink batch never acks the messages after it.
    // The last message's reply arrived with nothing pending: replies come in the order of
    // the messages (see above), so nothing else can be queued for this request.
    if (!pending && lastAcked && wait[count - 1] == Wait::kDone) break;
    int flags = (pending && pendingBeforeError) ? 0 : MSG_DONTWAIT;

    sockaddr_nl from{};
    iovec iov{buf.get(), kRecvBufferSize};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t len = recvmsg(fd, &msg, flags);
    if (len < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && (flags & MSG_DONTWAIT)) break;
      // ENOBUFS: the receive queue overflowed and the kernel dropped replies; what is
      // left of this exchange can't be trusted.
      ThrowErrno("recvmsg");
    }
    if (msg.msg_flags & MSG_TRUNC) ThrowFailure(EMSGSIZE, "recvmsg");
    if (from.nl_pid != 0) continue;  // only the kernel answers requests

    const uint8_t* p = buf.get();
    const uint8_t* end = p + len;
    while (end - p >= static_cast<ptrdiff_t>(NLMSG_HDRLEN)) {
      nlmsghdr h = ReadHeader(p);
      if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > static_cast<size_t>(end - p)) break;
      const uint8_t* next = p + std::min<size_t>(NLMSG_ALIGN(h.nlmsg_len), end - p);
      const uint8_t* payload = p + NLMSG_HDRLEN;
      const uint8_t* msgEnd = p + h.nlmsg_len;
      // Unsigned arithmetic keeps the range check right across a seq wrap-around.
      uint32_t index = h.nlmsg_seq - seqBase;
      if (h.nlmsg_pid != portId || index >= count) {  // a stray: not a reply to this request
        p = next;
        continue;
      }
      // The kernel's table changed during the dump: the data is inconsistent. Keep
      // draining so the socket is clean, then report it.
      if (h.nlmsg_flags & NLM_F_DUMP_INTR) reply.dumpInterrupted = true;

      if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) {
        int error = 0;
        if (msgEnd - payload >= static_cast<ptrdiff_t>(sizeof error)) memcpy(&error, payload, sizeof error);
        // NLMSG_ERROR: 0 is an ACK, anything else -errno. NLMSG_DONE: a dump that failed
        // part-way puts its -errno here.
        if (h.nlmsg_type == NLMSG_ERROR ? error != 0 : error < 0) {
          Failure f;
          f.err = error < 0 ? -error : error;
          f.syscall = "netlink";
          f.index = index;
          f.msgType = ReadHeader(request.data() + offsets[index]).nlmsg_type;
          const uint8_t* tlv = payload + sizeof error;
          if (h.nlmsg_type == NLMSG_ERROR) {
            // struct nlmsgerr embeds the request's header (and, without NETLINK_CAP_ACK,
            // the whole request); the extack TLVs follow it.
            nlmsghdr orig{};
            if (msgEnd - tlv >= static_cast<ptrdiff_t>(sizeof orig)) {
              orig = ReadHeader(tlv);
              f.msgType = orig.nlmsg_type;
            }
            size_t echoed = (h.nlmsg_flags & NLM_F_CAPPED) ? sizeof orig : orig.nlmsg_len;
            size_t tlvOffset = NLMSG_ALIGN(sizeof error + echoed);
            tlv = tlvOffset < static_cast<size_t>(msgEnd - payload) ? payload + tlvOffset : msgEnd;
          }
          if ((h.nlmsg_flags & NLM_F_ACK_TLVS) && tlv < msgEnd) ParseExtack(tlv, msgEnd, f);
          reply.errors.push_back(std::move(f));
          if (index < firstError) firstError = index;
        }
        wait[index] = Wait::kDone;
      } else if (h.nlmsg_type >= NLMSG_MIN_TYPE) {
        reply.data.insert(reply.data.end(), p, next);
      }
      // NLMSG_NOOP and the other reserved control types carry nothing for us.
      p = next;
    }
  }
  return reply;
}

}  // namespace nsnet
