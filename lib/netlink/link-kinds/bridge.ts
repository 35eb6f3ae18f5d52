/**
 * kind "bridge": IFLA_INFO_DATA with IFLA_BR_* (`ip link add br0 type bridge …`).
 * A useful subset is typed; every other IFLA_BR_* the kernel reports (timers, ids,
 * multicast intervals…) stays raw in `unknown`. Times are in the kernel's unit,
 * centiseconds (USER_HZ ticks): forward_delay 1500 is 15 s, as `ip -j -d` prints it.
 */
import { parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import {
  IFLA_BR_AGEING_TIME,
  IFLA_BR_FORWARD_DELAY,
  IFLA_BR_GROUP_ADDR,
  IFLA_BR_GROUP_FWD_MASK,
  IFLA_BR_HELLO_TIME,
  IFLA_BR_MAX_AGE,
  IFLA_BR_MCAST_IGMP_VERSION,
  IFLA_BR_MCAST_MLD_VERSION,
  IFLA_BR_MCAST_QUERIER,
  IFLA_BR_MCAST_QUERY_USE_IFADDR,
  IFLA_BR_MCAST_ROUTER,
  IFLA_BR_MCAST_SNOOPING,
  IFLA_BR_MCAST_STATS_ENABLED,
  IFLA_BR_NF_CALL_ARPTABLES,
  IFLA_BR_NF_CALL_IP6TABLES,
  IFLA_BR_NF_CALL_IPTABLES,
  IFLA_BR_PAD,
  IFLA_BR_PRIORITY,
  IFLA_BR_STP_STATE,
  IFLA_BR_VLAN_DEFAULT_PVID,
  IFLA_BR_VLAN_FILTERING,
  IFLA_BR_VLAN_PROTOCOL,
  IFLA_BR_VLAN_STATS_ENABLED,
} from '../constants/link-kinds';
import { be16, bool8, field, FieldSpec, mac, readFields, u16, u32, u8, writeFields } from '../fields';
import type { KindCodec } from './types';

export interface BridgeData {
  kind: 'bridge';
  /** IFLA_BR_STP_STATE: 0 off, 1 kernel STP (refused outside the initial netns), 2 user STP. */
  stpState?: number;
  /** IFLA_BR_FORWARD_DELAY, centiseconds. */
  forwardDelay?: number;
  /** IFLA_BR_HELLO_TIME, centiseconds. */
  helloTime?: number;
  /** IFLA_BR_MAX_AGE, centiseconds. */
  maxAge?: number;
  /** IFLA_BR_PRIORITY (bridge id priority). */
  priority?: number;
  /** IFLA_BR_VLAN_FILTERING (needs CONFIG_BRIDGE_VLAN_FILTERING, else EOPNOTSUPP). */
  vlanFiltering?: boolean;
  /** IFLA_BR_VLAN_PROTOCOL, an ethertype (0x8100, 0x88a8); big-endian on the wire. */
  vlanProtocol?: number;
  vlanDefaultPvid?: number;
  vlanStatsEnabled?: boolean;
  groupFwdMask?: number;
  groupAddr?: string;
  /** IFLA_BR_MCAST_SNOOPING (needs CONFIG_BRIDGE_IGMP_SNOOPING, else EOPNOTSUPP). */
  mcastSnooping?: boolean;
  mcastRouter?: number;
  mcastQuerier?: boolean;
  mcastQueryUseIfaddr?: boolean;
  mcastStatsEnabled?: boolean;
  mcastIgmpVersion?: number;
  mcastMldVersion?: number;
  /** IFLA_BR_AGEING_TIME, centiseconds. */
  ageingTime?: number;
  nfCallIptables?: boolean;
  nfCallIp6tables?: boolean;
  nfCallArptables?: boolean;
  unknown?: RawAttr[];
}

// Order: iproute2 writes options in command-line order; this order reproduces
// `ip link add br1 type bridge stp_state 0 forward_delay 400 priority 4096
// mcast_snooping 0 ageing_time 6000` byte for byte.
const FIELDS: readonly FieldSpec<BridgeData>[] = [
  field('stpState', IFLA_BR_STP_STATE, u32),
  field('forwardDelay', IFLA_BR_FORWARD_DELAY, u32),
  field('helloTime', IFLA_BR_HELLO_TIME, u32),
  field('maxAge', IFLA_BR_MAX_AGE, u32),
  field('priority', IFLA_BR_PRIORITY, u16),
  field('vlanFiltering', IFLA_BR_VLAN_FILTERING, bool8),
  field('vlanProtocol', IFLA_BR_VLAN_PROTOCOL, be16),
  field('vlanDefaultPvid', IFLA_BR_VLAN_DEFAULT_PVID, u16),
  field('vlanStatsEnabled', IFLA_BR_VLAN_STATS_ENABLED, bool8),
  field('groupFwdMask', IFLA_BR_GROUP_FWD_MASK, u16),
  field('groupAddr', IFLA_BR_GROUP_ADDR, mac),
  field('mcastSnooping', IFLA_BR_MCAST_SNOOPING, bool8),
  field('mcastRouter', IFLA_BR_MCAST_ROUTER, u8),
  field('mcastQuerier', IFLA_BR_MCAST_QUERIER, bool8),
  field('mcastQueryUseIfaddr', IFLA_BR_MCAST_QUERY_USE_IFADDR, bool8),
  field('mcastStatsEnabled', IFLA_BR_MCAST_STATS_ENABLED, bool8),
  field('mcastIgmpVersion', IFLA_BR_MCAST_IGMP_VERSION, u8),
  field('mcastMldVersion', IFLA_BR_MCAST_MLD_VERSION, u8),
  field('ageingTime', IFLA_BR_AGEING_TIME, u32),
  field('nfCallIptables', IFLA_BR_NF_CALL_IPTABLES, bool8),
  field('nfCallIp6tables', IFLA_BR_NF_CALL_IP6TABLES, bool8),
  field('nfCallArptables', IFLA_BR_NF_CALL_ARPTABLES, bool8),
];

/** IFLA_BR_PAD only aligns the u64 timers that follow it. */
const IGNORE = new Set([IFLA_BR_PAD]);

export const bridgeCodec: KindCodec<BridgeData> = {
  encode: (w, type, data) =>
    w.nest(type, () => {
      writeFields(w, data, FIELDS);
      writeRawAttrs(w, data.unknown);
    }),
  decode: (payload) => {
    const data: BridgeData = { kind: 'bridge' };
    data.unknown = readFields(parseAttrs(payload), FIELDS, data, undefined, IGNORE);
    return data;
  },
};
