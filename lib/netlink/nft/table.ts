/** Tables: NFT_MSG_NEWTABLE / DELTABLE / GETTABLE bodies (enum nft_table_attributes). */
import { AttrWriter } from '../attr';
import * as K from '../constants/nftables';
import { binary, field, FieldSpec, string } from '../fields';
import { be32, be64 } from './codecs';
import { decodeObject, NftObjectBase, writeObject } from './object';

export interface NftTable extends NftObjectBase {
  name?: string;
  /** NFT_TABLE_F_DORMANT | NFT_TABLE_F_OWNER. nft always sends it (0). */
  flags?: number;
  /** Kernel-assigned, unique per family; DELTABLE accepts it instead of the name. */
  handle?: bigint;
  /** Reply only: number of chains. */
  use?: number;
  /** Opaque to the kernel; nft keeps a comment here (udata.ts). */
  userdata?: Buffer;
  /** Reply only: port id of the owning socket (NFT_TABLE_F_OWNER). */
  owner?: number;
}

// libnftnl's order: NAME, FLAGS, USERDATA; then what only replies or deletes carry.
const FIELDS: readonly FieldSpec<NftTable>[] = [
  field('name', K.NFTA_TABLE_NAME, string),
  field('flags', K.NFTA_TABLE_FLAGS, be32),
  field('userdata', K.NFTA_TABLE_USERDATA, binary),
  field('handle', K.NFTA_TABLE_HANDLE, be64),
  field('use', K.NFTA_TABLE_USE, be32),
  field('owner', K.NFTA_TABLE_OWNER, be32),
];

export function writeTable(w: AttrWriter, t: NftTable): void {
  writeObject(w, t, FIELDS);
}

export function decodeTable(payload: Buffer): NftTable {
  return decodeObject(payload, FIELDS, new Set(), new Set([K.NFTA_TABLE_PAD]));
}
