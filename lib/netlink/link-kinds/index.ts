/**
 * The link kinds with a module, and the lookup link.ts uses. Any other kind decodes to
 * RawKindData and re-encodes verbatim, so a newer kernel or an exotic kind never breaks
 * a dump.
 */
import { BridgeData, bridgeCodec } from './bridge';
import { BridgeSlaveData, bridgeSlaveCodec } from './bridge-port';
import { rawKindCodec } from './generic';
import { MacvlanData, macvlanCodec } from './macvlan';
import type { KindCodec, RawKindData } from './types';
import { VethData, vethCodec } from './veth';
import { VxlanData, vxlanCodec } from './vxlan';

/** IFLA_INFO_DATA, discriminated by `kind` (the link kind, or 'raw'). */
export type LinkData = BridgeData | VethData | MacvlanData | VxlanData | RawKindData;

/** IFLA_INFO_SLAVE_DATA, discriminated by `kind`. */
export type SlaveData = BridgeSlaveData | RawKindData;

const DATA_CODECS: Readonly<Record<Exclude<LinkData['kind'], 'raw'>, KindCodec<never>>> = {
  bridge: bridgeCodec as KindCodec<never>,
  veth: vethCodec as KindCodec<never>,
  macvlan: macvlanCodec as KindCodec<never>,
  vxlan: vxlanCodec as KindCodec<never>,
};

/**
 * Slave data is keyed by the master's kind: dumps say IFLA_INFO_SLAVE_KIND "bridge",
 * while iproute2's `ip link set X type bridge_slave …` names it IFLA_INFO_KIND
 * "bridge_slave" (the kernel picks the parser from the master device, not the string).
 */
const SLAVE_CODECS: Readonly<Record<string, KindCodec<never>>> = {
  bridge: bridgeSlaveCodec as KindCodec<never>,
};

/** The data codec for an IFLA_INFO_KIND, or the raw fallback. */
export function dataCodec(kind: string): KindCodec<LinkData> {
  const c = Object.prototype.hasOwnProperty.call(DATA_CODECS, kind)
    ? DATA_CODECS[kind as keyof typeof DATA_CODECS]
    : rawKindCodec;
  return c as KindCodec<LinkData>;
}

/** The slave-data codec for a master kind ('bridge', or 'bridge_slave' → 'bridge'). */
export function slaveCodec(masterKind: string): KindCodec<SlaveData> {
  const kind = masterKind.endsWith('_slave') ? masterKind.slice(0, -'_slave'.length) : masterKind;
  const c = Object.prototype.hasOwnProperty.call(SLAVE_CODECS, kind) ? SLAVE_CODECS[kind] : rawKindCodec;
  return c as KindCodec<SlaveData>;
}

export { rawKindCodec };
export type { BridgeData, BridgeSlaveData, MacvlanData, RawKindData, VethData, VxlanData };
export type { BridgePort } from './bridge-port';
export type { MacvlanMode } from './macvlan';
export type { KindCodec, LinkCodecContext } from './types';
