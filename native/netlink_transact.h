// The netlink request loop: framing only, no knowledge of any protocol's messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "errors.h"

namespace nsnet {

struct NetlinkReply {
  std::vector<uint8_t> data;    // every data message, whole and aligned, in arrival order
  std::vector<Failure> errors;  // one per failed request message (Failure::index set)
  bool dumpInterrupted = false;
};

// Splits `buf` into nlmsghdr-framed messages; returns their offsets, or false if a length
// is inconsistent (then `badOffset` says where).
bool SplitMessages(const uint8_t* buf, size_t len, std::vector<size_t>& offsets, size_t& badOffset);

// One exchange on a bound netlink socket: stamps seq (base + i) and pid (0) into
// `request`, sends it in one sendmsg, receives until every message that asked for a
// terminal reply got one, then drains what is already queued (with `ackLastOnly`, not
// when the last message's own reply ended the exchange). Throws Failure for socket
// errors; per-message errors come back in NetlinkReply::errors.
// `ackLastOnly`: for protocols whose messages the kernel runs one by one through
// netlink_rcv_skb (rtnetlink, not an nfnetlink batch, which may abort before its last
// message): when the last message asks for an ACK, the ACK flags of the others are cleared.
NetlinkReply Transact(int fd, uint32_t portId, uint32_t seqBase, std::vector<uint8_t>& request,
                      const std::vector<size_t>& offsets, bool ackLastOnly);

}  // namespace nsnet
