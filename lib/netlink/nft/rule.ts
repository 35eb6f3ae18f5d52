/**
 * Rules: NFT_MSG_NEWRULE / DELRULE / GETRULE bodies. A rule is a list of expressions run
 * in order; the first one that breaks (a failed cmp, a missed lookup) ends it. NEWRULE
 * with NLM_F_APPEND adds after `position` (or at the end), without it before `position`
 * (or at the start); `handle` with NLM_F_REPLACE replaces that rule.
 */
import { AttrWriter, RawAttr } from '../attr';
import * as K from '../constants/nftables';
import { binary, field, FieldSpec, string, writeFields } from '../fields';
import { be32, be64, nest } from './codecs';
import { decodeExprList, Expr, writeExprList } from './expr';
import { decodeObject, NftObjectBase, writeObject } from './object';

export interface NftRule extends NftObjectBase {
  table: string;
  chain?: string;
  /** Kernel-assigned, unique per table; what DELRULE and positions refer to. */
  handle?: bigint;
  exprs?: Expr[];
  /** Handle of the rule to add after (NLM_F_APPEND) or before. */
  position?: bigint;
  /** Opaque to the kernel; nft keeps a comment here (udata.ts). */
  userdata?: Buffer;
  /** Batch-local id of this rule, for a later NFTA_RULE_POSITION_ID. */
  id?: number;
  /** Batch-local id of the rule to add after/before. */
  positionId?: number;
  /** Batch-local id of a chain created in the same batch (instead of `chain`). */
  chainId?: number;
}

// As captured from nft: TABLE, CHAIN, HANDLE, EXPRESSIONS, POSITION, USERDATA.
const HEAD: readonly FieldSpec<NftRule>[] = [
  field('table', K.NFTA_RULE_TABLE, string),
  field('chain', K.NFTA_RULE_CHAIN, string),
  field('handle', K.NFTA_RULE_HANDLE, be64),
];
const TAIL: readonly FieldSpec<NftRule>[] = [
  field('position', K.NFTA_RULE_POSITION, be64),
  field('userdata', K.NFTA_RULE_USERDATA, binary),
  field('id', K.NFTA_RULE_ID, be32),
  field('positionId', K.NFTA_RULE_POSITION_ID, be32),
  field('chainId', K.NFTA_RULE_CHAIN_ID, be32),
];
const ALL = [...HEAD, ...TAIL];

export function writeRule(w: AttrWriter, r: NftRule): void {
  writeObject(w, r, HEAD, (x) => {
    if (r.exprs !== undefined) nest(x, K.NFTA_RULE_EXPRESSIONS, (n) => writeExprList(n, r.exprs!, 'exprs'));
    writeFields(x, r, TAIL);
  });
}

export function decodeRule(payload: Buffer): NftRule {
  return decodeObject(payload, ALL, new Set([K.NFTA_RULE_EXPRESSIONS]), new Set([K.NFTA_RULE_PAD]), (r, attrs: readonly RawAttr[]) => {
    for (const a of attrs) r.exprs = decodeExprList(a.data);
  });
}
