/**
 * meta: packet metadata into a register (dreg), or a register into metadata (sreg, for
 * `meta mark set`). Loaded values are host byte order except where the kernel stores
 * them otherwise: iifname/oifname are IFNAMSIZ (16) byte strings, l4proto/nfproto one
 * byte, protocol a __be16 ethertype, mark/iif/oif host-order u32.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr } from './types';

export const META_KEY = namedEnum({
  len: K.NFT_META_LEN,
  protocol: K.NFT_META_PROTOCOL,
  priority: K.NFT_META_PRIORITY,
  mark: K.NFT_META_MARK,
  iif: K.NFT_META_IIF,
  oif: K.NFT_META_OIF,
  iifname: K.NFT_META_IIFNAME,
  oifname: K.NFT_META_OIFNAME,
  iiftype: K.NFT_META_IFTYPE,
  oiftype: K.NFT_META_OIFTYPE,
  skuid: K.NFT_META_SKUID,
  skgid: K.NFT_META_SKGID,
  nftrace: K.NFT_META_NFTRACE,
  rtclassid: K.NFT_META_RTCLASSID,
  secmark: K.NFT_META_SECMARK,
  nfproto: K.NFT_META_NFPROTO,
  l4proto: K.NFT_META_L4PROTO,
  bri_iifname: K.NFT_META_BRI_IIFNAME,
  bri_oifname: K.NFT_META_BRI_OIFNAME,
  pkttype: K.NFT_META_PKTTYPE,
  cpu: K.NFT_META_CPU,
  iifgroup: K.NFT_META_IIFGROUP,
  oifgroup: K.NFT_META_OIFGROUP,
  cgroup: K.NFT_META_CGROUP,
  prandom: K.NFT_META_PRANDOM,
  secpath: K.NFT_META_SECPATH,
  iifkind: K.NFT_META_IIFKIND,
  oifkind: K.NFT_META_OIFKIND,
  bri_iifpvid: K.NFT_META_BRI_IIFPVID,
  bri_iifvproto: K.NFT_META_BRI_IIFVPROTO,
  time_ns: K.NFT_META_TIME_NS,
  time_day: K.NFT_META_TIME_DAY,
  time_hour: K.NFT_META_TIME_HOUR,
  sdif: K.NFT_META_SDIF,
  sdifname: K.NFT_META_SDIFNAME,
});
export type MetaKey = (typeof META_KEY.names)[number];

export interface MetaExpr extends ExprBase {
  type: 'meta';
  key: MetaKey | number;
  /** Load: the register the value goes to (NFT_REG_1, NFT_REG32_00…). */
  dreg?: number;
  /** Store: the register the value comes from. */
  sreg?: number;
}

// libnftnl's order: KEY, DREG, SREG.
export const metaCodec = tableExpr<MetaExpr>(
  'meta',
  'meta',
  [field('key', K.NFTA_META_KEY, be32Enum(META_KEY)), field('dreg', K.NFTA_META_DREG, be32), field('sreg', K.NFTA_META_SREG, be32)],
  ['key'],
);
