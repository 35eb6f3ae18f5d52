/**
 * kind "veth": IFLA_INFO_DATA { VETH_INFO_PEER } where the peer is a whole struct
 * ifinfomsg followed by IFLA_* attributes, exactly like an RTM_NEWLINK body. Putting
 * IFLA_NET_NS_FD (or IFLA_NET_NS_PID) in the peer creates it directly inside another
 * namespace: `ip link add v0 type veth peer name v1 netns foo`, no setns() needed.
 *
 * The kernel never reports VETH_INFO_PEER back (veth has no fill_info), so decoded veth
 * links carry no data; it appears only when decoding a request.
 */
import { parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import { VETH_INFO_PEER } from '../constants/link-kinds';
import type { Link } from '../link';
import type { KindCodec } from './types';

export interface VethData {
  kind: 'veth';
  /** The peer end: name, address, mtu, netnsFd/netnsPid… (any Link field). */
  peer?: Link;
  unknown?: RawAttr[];
}

export const vethCodec: KindCodec<VethData> = {
  encode: (w, type, data, ctx) =>
    w.nest(type, () => {
      // iproute2 does not flag this nest NLA_F_NESTED, and the kernel parses it with the
      // ifinfomsg in front, so it is not a plain nest of attributes anyway.
      if (data.peer !== undefined) {
        const peer = data.peer;
        w.nest(VETH_INFO_PEER, () => ctx.writeLink(w, peer));
      }
      writeRawAttrs(w, data.unknown);
    }),
  decode: (payload, ctx) => {
    const data: VethData = { kind: 'veth' };
    const unknown: RawAttr[] = [];
    for (const a of parseAttrs(payload)) {
      if (a.type === VETH_INFO_PEER) data.peer = ctx.decodeLink(a.data);
      else unknown.push(a);
    }
    data.unknown = unknown;
    return data;
  },
};
