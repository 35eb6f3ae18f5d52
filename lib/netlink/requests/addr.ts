/** Address requests (one complete message each, seq = pid = 0). */
import { AttrWriter, checkRange } from '../attr';
import { Addr, writeAddr } from '../addr';
import { IFADDRMSG_LEN } from '../constants/addr';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../constants/netlink';
import { AF_UNSPEC, RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR } from '../constants/rtnetlink';
import { encodeMessage } from '../nlmsg';

/**
 * iproute2 always sends IFA_LOCAL and IFA_ADDRESS, equal unless a peer is given; a
 * request naming only one gets both, so the kernel sees exactly what `ip` would send.
 */
function withBoth(addr: Addr): Addr {
  const local = addr.local ?? addr.address;
  const address = addr.address ?? addr.local;
  return { ...addr, local, address };
}

function message(type: number, flags: number, addr: Addr): Buffer {
  const w = new AttrWriter();
  writeAddr(w, withBoth(addr));
  return encodeMessage(type, flags, w.bytes());
}

/**
 * Adds an address — like `ip addr add 10.1.2.3/24 dev v0` (`{ index, local: '10.1.2.3',
 * prefixlen: 24 }`). RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
 * with `replace`, NLM_F_REPLACE instead of EXCL (`ip addr replace`).
 */
export function addrNew(addr: Addr, opts: { replace?: boolean } = {}): Buffer {
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return message(RTM_NEWADDR, flags, addr);
}

/** Removes an address — like `ip addr del 10.1.2.3/24 dev v0`. RTM_DELADDR. */
export function addrDel(addr: Addr): Buffer {
  return message(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, addr);
}

/**
 * Lists addresses — like `ip addr show` (`family` AF_INET / AF_INET6 for `ip -4` / `-6`;
 * `index` is honoured by kernels with strict checking on). RTM_GETADDR, NLM_F_DUMP.
 */
export function addrDump(opts: { family?: number; index?: number } = {}): Buffer {
  const hdr = Buffer.alloc(IFADDRMSG_LEN);
  hdr.writeUInt8(checkRange(opts.family ?? AF_UNSPEC, 0, 0xff, 'family'), 0);
  hdr.writeUInt32LE(checkRange(opts.index ?? 0, 0, 0xffffffff, 'index'), 4);
  return encodeMessage(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, hdr);
}
