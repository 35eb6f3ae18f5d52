/**
 * nft's datatypes, as stored in NFTA_SET_KEY_TYPE / NFTA_SET_DATA_TYPE. The kernel does
 * not interpret these ids; nft (and so `nft list`) does, to print elements. The ids are
 * nft's (datatype.h: TYPE_IPADDR = 7, TYPE_INET_SERVICE = 13, TYPE_IFNAME = 41…), checked
 * against captured `nft add set` requests. A concatenation's id packs the field ids
 * 6 bits apart (TYPE_BITS), first field highest: ipv4_addr . inet_service = 7 << 6 | 13.
 */
import { ValidationError } from '../../../errors';
import { NFT_DATA_VERDICT } from '../../constants/nftables';

export interface NftDatatype {
  id: number;
  /** Bytes of one value as loaded into a register. */
  len: number;
  /** How the kernel stores it: network order ('big') or host order. */
  byteorder: 'big' | 'host';
}

export const DATATYPES = {
  ipv4_addr: { id: 7, len: 4, byteorder: 'big' },
  ipv6_addr: { id: 8, len: 16, byteorder: 'big' },
  ether_addr: { id: 9, len: 6, byteorder: 'big' },
  inet_proto: { id: 12, len: 1, byteorder: 'big' },
  inet_service: { id: 13, len: 2, byteorder: 'big' },
  mark: { id: 19, len: 4, byteorder: 'host' },
  ifname: { id: 41, len: 16, byteorder: 'host' },
} as const satisfies Record<string, NftDatatype>;

export type DatatypeName = keyof typeof DATATYPES;

/** TYPE_BITS in nft: a concatenation shifts each field's id by this much. */
export const NFT_TYPE_BITS = 6;

export function datatype(name: DatatypeName, field = 'type'): NftDatatype {
  const t = (DATATYPES as Record<string, NftDatatype>)[name];
  if (t === undefined || !Object.prototype.hasOwnProperty.call(DATATYPES, name)) {
    throw new ValidationError(`${field}: unknown datatype '${String(name)}' (known: ${Object.keys(DATATYPES).join(', ')})`, { field });
  }
  return t;
}

export interface KeySpec {
  /** NFTA_SET_KEY_TYPE / DATA_TYPE. */
  type: number;
  /** NFTA_SET_KEY_LEN / DATA_LEN: every field padded to 4 bytes (one register each). */
  len: number;
  /** The unpadded field lengths, for NFTA_SET_DESC_CONCAT. */
  fields: number[];
}

/** Type id and length of a key (or map data) made of one or more datatypes. */
export function keySpec(names: DatatypeName | readonly DatatypeName[], field = 'key'): KeySpec {
  const list = typeof names === 'string' ? [names] : [...names];
  if (list.length === 0) throw new ValidationError(`${field}: needs at least one datatype`, { field });
  const types = list.map((n, i) => datatype(n, `${field}[${i}]`));
  if (types.length === 1) return { type: types[0]!.id, len: types[0]!.len, fields: [types[0]!.len] };
  // The id would overflow 32 bits past five fields; nft has the same limit.
  if (types.length > 5) throw new ValidationError(`${field}: at most 5 concatenated fields`, { field });
  return {
    type: types.reduce((acc, t) => acc * (1 << NFT_TYPE_BITS) + t.id, 0),
    len: types.reduce((acc, t) => acc + ((t.len + 3) & ~3), 0),
    fields: types.map((t) => t.len),
  };
}

/** NFTA_SET_DATA_TYPE of a verdict map. */
export const VERDICT_DATA_TYPE = NFT_DATA_VERDICT;
