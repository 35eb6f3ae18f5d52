/**
 * kind "macvlan": IFLA_INFO_DATA with IFLA_MACVLAN_* (`ip link add mv0 link v0 type
 * macvlan mode bridge`). The lower device is the link's IFLA_LINK, not part of the data.
 * A mode number this module does not know stays raw in `unknown`.
 */
import { parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import {
  IFLA_MACVLAN_BC_QUEUE_LEN,
  IFLA_MACVLAN_FLAGS,
  IFLA_MACVLAN_MODE,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
} from '../constants/link-kinds';
import { enumOf, field, FieldSpec, readFields, u16, u32, writeFields } from '../fields';
import type { KindCodec } from './types';

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';

const MODES: Readonly<Record<MacvlanMode, number>> = {
  private: MACVLAN_MODE_PRIVATE,
  vepa: MACVLAN_MODE_VEPA,
  bridge: MACVLAN_MODE_BRIDGE,
  passthru: MACVLAN_MODE_PASSTHRU,
  source: MACVLAN_MODE_SOURCE,
};

export interface MacvlanData {
  kind: 'macvlan';
  /** IFLA_MACVLAN_MODE; the kernel defaults to vepa when absent. */
  mode?: MacvlanMode;
  /** IFLA_MACVLAN_FLAGS: MACVLAN_FLAG_NOPROMISC | MACVLAN_FLAG_NODST. */
  flags?: number;
  /** IFLA_MACVLAN_BC_QUEUE_LEN: broadcast/multicast receive queue length. */
  bcQueueLen?: number;
  unknown?: RawAttr[];
}

const FIELDS: readonly FieldSpec<MacvlanData>[] = [
  field('mode', IFLA_MACVLAN_MODE, enumOf(u32, MODES)),
  field('flags', IFLA_MACVLAN_FLAGS, u16),
  field('bcQueueLen', IFLA_MACVLAN_BC_QUEUE_LEN, u32),
];

export const macvlanCodec: KindCodec<MacvlanData> = {
  encode: (w, type, data) =>
    w.nest(type, () => {
      writeFields(w, data, FIELDS);
      writeRawAttrs(w, data.unknown);
    }),
  decode: (payload) => {
    const data: MacvlanData = { kind: 'macvlan' };
    data.unknown = readFields(parseAttrs(payload), FIELDS, data);
    return data;
  },
};
