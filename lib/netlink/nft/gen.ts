/**
 * The ruleset generation: NFT_MSG_GETGEN is answered with NFT_MSG_NEWGEN carrying
 * NFTA_GEN_ID (__be32), bumped by every committed batch. Comparing two readings tells
 * whether anyone changed the ruleset in between.
 */
import * as K from '../constants/nftables';
import { field, FieldSpec, string } from '../fields';
import { be32 } from './codecs';
import { decodeObject, NftObjectBase } from './object';

export interface NftGen extends NftObjectBase {
  id?: number;
  /** The process that committed the last batch (kernel 5.x+). */
  procPid?: number;
  procName?: string;
}

const FIELDS: readonly FieldSpec<NftGen>[] = [
  field('id', K.NFTA_GEN_ID, be32),
  field('procPid', K.NFTA_GEN_PROC_PID, be32),
  field('procName', K.NFTA_GEN_PROC_NAME, string),
];

export function decodeGen(payload: Buffer): NftGen {
  return decodeObject(payload, FIELDS);
}
