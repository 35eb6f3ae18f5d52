/**
 * A bridge port's settings (IFLA_BRPORT_*). The kernel accepts them in two places:
 * - IFLA_LINKINFO { IFLA_INFO_SLAVE_DATA } of an RTM_NEWLINK — what
 *   `ip link set v1 type bridge_slave hairpin on` sends, and what dumps report under
 *   IFLA_INFO_SLAVE_KIND "bridge";
 * - IFLA_PROTINFO of an AF_BRIDGE RTM_SETLINK — what `bridge link set dev v1 hairpin on`
 *   sends.
 * Read-only port state (designated root, timers…) stays raw in `unknown`.
 */
import { AttrWriter, parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import {
  IFLA_BRPORT_BACKUP_PORT,
  IFLA_BRPORT_BCAST_FLOOD,
  IFLA_BRPORT_COST,
  IFLA_BRPORT_FAST_LEAVE,
  IFLA_BRPORT_GROUP_FWD_MASK,
  IFLA_BRPORT_GUARD,
  IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_LEARNING,
  IFLA_BRPORT_LEARNING_SYNC,
  IFLA_BRPORT_LOCKED,
  IFLA_BRPORT_MCAST_FLOOD,
  IFLA_BRPORT_MCAST_TO_UCAST,
  IFLA_BRPORT_MODE,
  IFLA_BRPORT_MULTICAST_ROUTER,
  IFLA_BRPORT_NEIGH_SUPPRESS,
  IFLA_BRPORT_PAD,
  IFLA_BRPORT_PRIORITY,
  IFLA_BRPORT_PROTECT,
  IFLA_BRPORT_PROXYARP,
  IFLA_BRPORT_PROXYARP_WIFI,
  IFLA_BRPORT_STATE,
  IFLA_BRPORT_UNICAST_FLOOD,
  IFLA_BRPORT_VLAN_TUNNEL,
} from '../constants/link-kinds';
import { bool8, field, FieldSpec, readFields, u16, u32, u8, writeFields } from '../fields';
import type { KindCodec } from './types';

export interface BridgePort {
  /** IFLA_BRPORT_STATE: BR_STATE_* (3 = forwarding). */
  state?: number;
  priority?: number;
  cost?: number;
  /** IFLA_BRPORT_MODE: hairpin mode, frames may leave by the port they came in on. */
  hairpin?: boolean;
  /** IFLA_BRPORT_GUARD: BPDU guard. */
  guard?: boolean;
  /** IFLA_BRPORT_PROTECT: root block. */
  protect?: boolean;
  fastLeave?: boolean;
  learning?: boolean;
  /** IFLA_BRPORT_UNICAST_FLOOD: `flood on|off`. */
  unicastFlood?: boolean;
  proxyarp?: boolean;
  learningSync?: boolean;
  proxyarpWifi?: boolean;
  multicastRouter?: number;
  mcastFlood?: boolean;
  mcastToUcast?: boolean;
  vlanTunnel?: boolean;
  broadcastFlood?: boolean;
  groupFwdMask?: number;
  neighSuppress?: boolean;
  /** IFLA_BRPORT_ISOLATED: isolated ports cannot talk to each other, only to others. */
  isolated?: boolean;
  /** IFLA_BRPORT_BACKUP_PORT: ifindex. */
  backupPort?: number;
  locked?: boolean;
  unknown?: RawAttr[];
}

/** IFLA_INFO_SLAVE_DATA of a bridge port (`type bridge_slave`). */
export interface BridgeSlaveData extends BridgePort {
  kind: 'bridge_slave';
}

// Ascending attribute type: the order `bridge link set` writes them in, e.g. MODE,
// LEARNING, ISOLATED for `hairpin on isolated on learning off`.
const FIELDS: readonly FieldSpec<BridgePort>[] = [
  field('state', IFLA_BRPORT_STATE, u8),
  field('priority', IFLA_BRPORT_PRIORITY, u16),
  field('cost', IFLA_BRPORT_COST, u32),
  field('hairpin', IFLA_BRPORT_MODE, bool8),
  field('guard', IFLA_BRPORT_GUARD, bool8),
  field('protect', IFLA_BRPORT_PROTECT, bool8),
  field('fastLeave', IFLA_BRPORT_FAST_LEAVE, bool8),
  field('learning', IFLA_BRPORT_LEARNING, bool8),
  field('unicastFlood', IFLA_BRPORT_UNICAST_FLOOD, bool8),
  field('proxyarp', IFLA_BRPORT_PROXYARP, bool8),
  field('learningSync', IFLA_BRPORT_LEARNING_SYNC, bool8),
  field('proxyarpWifi', IFLA_BRPORT_PROXYARP_WIFI, bool8),
  field('multicastRouter', IFLA_BRPORT_MULTICAST_ROUTER, u8),
  field('mcastFlood', IFLA_BRPORT_MCAST_FLOOD, bool8),
  field('mcastToUcast', IFLA_BRPORT_MCAST_TO_UCAST, bool8),
  field('vlanTunnel', IFLA_BRPORT_VLAN_TUNNEL, bool8),
  field('broadcastFlood', IFLA_BRPORT_BCAST_FLOOD, bool8),
  field('groupFwdMask', IFLA_BRPORT_GROUP_FWD_MASK, u16),
  field('neighSuppress', IFLA_BRPORT_NEIGH_SUPPRESS, bool8),
  field('isolated', IFLA_BRPORT_ISOLATED, bool8),
  field('backupPort', IFLA_BRPORT_BACKUP_PORT, u32),
  field('locked', IFLA_BRPORT_LOCKED, bool8),
];

const IGNORE = new Set([IFLA_BRPORT_PAD]);

/** Writes IFLA_BRPORT_* attributes (the nest header is the caller's). */
export function writeBridgePort(w: AttrWriter, port: BridgePort): void {
  writeFields(w, port, FIELDS);
  writeRawAttrs(w, port.unknown);
}

/** Reads IFLA_BRPORT_* attributes from a nest payload (into `port`, if given). */
export function decodeBridgePort<P extends BridgePort = BridgePort>(payload: Buffer, port: P = {} as P): P {
  port.unknown = readFields(parseAttrs(payload), FIELDS, port, undefined, IGNORE);
  return port;
}

export const bridgeSlaveCodec: KindCodec<BridgeSlaveData> = {
  // `kind` is not in FIELDS, so the data object is written as it is.
  encode: (w, type, data) => w.nest(type, () => writeBridgePort(w, data)),
  // Filled in place, not spread: a spread of ~20 dynamically added keys cost more than
  // the rest of a link's decode.
  decode: (payload) => decodeBridgePort<BridgeSlaveData>(payload, { kind: 'bridge_slave' }),
};
