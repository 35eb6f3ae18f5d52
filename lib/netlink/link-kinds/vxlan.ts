/**
 * kind "vxlan": IFLA_INFO_DATA with IFLA_VXLAN_* (`ip link add vx0 type vxlan id 42
 * dstport 4789 local 10.0.0.1`). Addresses pick their attribute by family (GROUP vs
 * GROUP6, LOCAL vs LOCAL6); `group` is also where a unicast `remote` lives, since the
 * kernel keeps both in IFLA_VXLAN_GROUP. The destination port is big-endian on the wire.
 */
import { AttrWriter, parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import { bytesToIp, ipFamily, ipToBytes } from '../addresses';
import { AF_INET } from '../constants/rtnetlink';
import {
  IFLA_VXLAN_AGEING,
  IFLA_VXLAN_GROUP,
  IFLA_VXLAN_GROUP6,
  IFLA_VXLAN_ID,
  IFLA_VXLAN_L2MISS,
  IFLA_VXLAN_L3MISS,
  IFLA_VXLAN_LEARNING,
  IFLA_VXLAN_LIMIT,
  IFLA_VXLAN_LINK,
  IFLA_VXLAN_LOCAL,
  IFLA_VXLAN_LOCAL6,
  IFLA_VXLAN_PORT,
  IFLA_VXLAN_PROXY,
  IFLA_VXLAN_TOS,
  IFLA_VXLAN_TTL,
  IFLA_VXLAN_UDP_CSUM,
} from '../constants/link-kinds';
import { be16, bool8, field, FieldSpec, readFields, u32, u8, writeFields } from '../fields';
import type { KindCodec } from './types';

export interface VxlanData {
  kind: 'vxlan';
  /** IFLA_VXLAN_ID: the VNI (24 bits). */
  id?: number;
  /** IFLA_VXLAN_GROUP / GROUP6: multicast group, or the unicast `remote`. */
  group?: string;
  /** IFLA_VXLAN_LINK: ifindex of the underlay device (`dev`). */
  link?: number;
  /** IFLA_VXLAN_LOCAL / LOCAL6: source address. */
  local?: string;
  ttl?: number;
  tos?: number;
  /** IFLA_VXLAN_LEARNING: iproute2 sends learning on unless `nolearning`. */
  learning?: boolean;
  /** IFLA_VXLAN_AGEING: FDB entry lifetime, seconds. */
  ageing?: number;
  /** IFLA_VXLAN_LIMIT: max FDB entries (0 = unlimited). */
  limit?: number;
  proxy?: boolean;
  l2miss?: boolean;
  l3miss?: boolean;
  /** IFLA_VXLAN_PORT: destination UDP port (`dstport`), host order here. */
  port?: number;
  udpCsum?: boolean;
  unknown?: RawAttr[];
}

const HEAD: readonly FieldSpec<VxlanData>[] = [field('id', IFLA_VXLAN_ID, u32)];
// Ascending attribute type after the addresses, as iproute2 writes them:
// ID, LOCAL, LEARNING, PORT for the command above.
const TAIL: readonly FieldSpec<VxlanData>[] = [
  field('ttl', IFLA_VXLAN_TTL, u8),
  field('tos', IFLA_VXLAN_TOS, u8),
  field('learning', IFLA_VXLAN_LEARNING, bool8),
  field('ageing', IFLA_VXLAN_AGEING, u32),
  field('limit', IFLA_VXLAN_LIMIT, u32),
  field('proxy', IFLA_VXLAN_PROXY, bool8),
  field('l2miss', IFLA_VXLAN_L2MISS, bool8),
  field('l3miss', IFLA_VXLAN_L3MISS, bool8),
  field('port', IFLA_VXLAN_PORT, be16),
  field('udpCsum', IFLA_VXLAN_UDP_CSUM, bool8),
];
const LINK: readonly FieldSpec<VxlanData>[] = [field('link', IFLA_VXLAN_LINK, u32)];
const ALL = [...HEAD, ...LINK, ...TAIL];
const ADDRESS_TYPES = new Set([IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6]);

function writeAddress(w: AttrWriter, v4: number, v6: number, text: string | undefined, key: string): void {
  if (text === undefined) return;
  w.attr(ipFamily(text, key) === AF_INET ? v4 : v6, ipToBytes(text, key));
}

export const vxlanCodec: KindCodec<VxlanData> = {
  encode: (w, type, data) =>
    w.nest(type, () => {
      writeFields(w, data, HEAD);
      writeAddress(w, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, data.group, 'group');
      writeFields(w, data, LINK);
      writeAddress(w, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, data.local, 'local');
      writeFields(w, data, TAIL);
      writeRawAttrs(w, data.unknown);
    }),
  decode: (payload) => {
    const data: VxlanData = { kind: 'vxlan' };
    const attrs = parseAttrs(payload);
    data.unknown = readFields(attrs, ALL, data, ADDRESS_TYPES);
    for (const a of attrs) {
      if (a.type === IFLA_VXLAN_GROUP || a.type === IFLA_VXLAN_GROUP6) data.group = bytesToIp(a.data);
      else if (a.type === IFLA_VXLAN_LOCAL || a.type === IFLA_VXLAN_LOCAL6) data.local = bytesToIp(a.data);
    }
    return data;
  },
};
