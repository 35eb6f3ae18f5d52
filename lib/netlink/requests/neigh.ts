/** Neighbour and FDB requests (one complete message each, seq = pid = 0). */
import { AttrWriter, checkRange } from '../attr';
import { NDA_MASTER, NDMSG_LEN, NUD_PERMANENT } from '../constants/neigh';
import { NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../constants/netlink';
import { AF_UNSPEC, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGH } from '../constants/rtnetlink';
import { Neigh, writeNeigh } from '../neigh';
import { encodeMessage } from '../nlmsg';

function message(type: number, flags: number, neigh: Neigh): Buffer {
  const w = new AttrWriter();
  // NUD_PERMANENT is iproute2's default state for both add and del.
  writeNeigh(w, Object.assign({}, neigh, { state: neigh.state ?? NUD_PERMANENT })); // not a spread: see routeNew
  return encodeMessage(type, flags, w.bytes());
}

/**
 * Adds a neighbour — like `ip neigh add 10.1.2.9 lladdr 02:00:00:00:00:09 dev v0` — or a
 * bridge FDB entry — like `bridge fdb add 02:00:00:00:00:0a dev v1 master`
 * (`{ family: AF_BRIDGE, index, lladdr, flags: NTF_MASTER, state: NUD_PERMANENT |
 * NUD_NOARP }`, the state `bridge` sends). RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK |
 * NLM_F_CREATE | NLM_F_EXCL (NLM_F_REPLACE instead of EXCL for `replace`).
 */
export function neighNew(neigh: Neigh, opts: { replace?: boolean } = {}): Buffer {
  const flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL);
  return message(RTM_NEWNEIGH, flags, neigh);
}

/**
 * Deletes a neighbour — like `ip neigh del 10.1.2.9 dev v0` — or an FDB entry — like
 * `bridge fdb del 02:00:00:00:00:0a dev v1 master`. RTM_DELNEIGH.
 */
export function neighDel(neigh: Neigh): Buffer {
  return message(RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK, neigh);
}

/**
 * Lists neighbours — like `ip neigh show` — or, with family AF_BRIDGE, the FDB — like
 * `bridge fdb show` (`master` for `bridge fdb show br br0`). RTM_GETNEIGH, NLM_F_DUMP.
 */
export function neighDump(opts: { family?: number; index?: number; master?: number } = {}): Buffer {
  const w = new AttrWriter();
  const hdr = Buffer.alloc(NDMSG_LEN);
  hdr.writeUInt8(checkRange(opts.family ?? AF_UNSPEC, 0, 0xff, 'family'), 0);
  hdr.writeInt32LE(checkRange(opts.index ?? 0, 0, 0x7fffffff, 'index'), 4);
  w.raw(hdr);
  if (opts.master !== undefined) w.u32(NDA_MASTER, opts.master, 'master');
  return encodeMessage(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, w.bytes());
}
