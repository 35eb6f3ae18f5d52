/**
 * lib/netlink/nft: the nf_tables codec. Pure — buffers in, typed objects out (and back);
 * no I/O. lib/nft's NftHandle sends what NftBatch and the request builders return.
 *
 * - Objects: NftTable, NftChain, NftRule (with Expr lists), NftSet, NftSetElemList, NftGen;
 *   writeX / decodeX for each message body.
 * - Messages: newTable/delTable/…/getRules/getGen (requests.ts); batches: NftBatch,
 *   encodeBatch (batch.ts).
 * - Expressions: one file per family under expr/; unknown ones decode as { type: 'raw' }.
 * - The rule builder (build/): match.*, verdict.*, nat.*, set(), baseChain(), rule().
 */
export * from './expr';
export type { ExprBase } from './expr/types';
export { writeData, decodeData, writeVerdict, decodeVerdict } from './data';
export type { NftData, Verdict, SimpleVerdictKind } from './data';
export { NFT_FAMILY, familyName, familyNumber } from './family';
export type { NftFamily, DecodedFamily } from './family';
export { nftType, nfnlMessage, decodeNfgen, writeNfgenmsg } from './message';
export type { NfgenPayload } from './message';
export { nfnlMsgName } from './names';
export { attrPath } from './attr-path';
export { namedEnum } from './enum';
export type { NamedEnum } from './enum';
export type { NftObjectBase } from './object';
export { writeTable, decodeTable } from './table';
export type { NftTable } from './table';
export { writeChain, decodeChain } from './chain';
export type { NftChain, NftHook } from './chain';
export { writeRule, decodeRule } from './rule';
export type { NftRule } from './rule';
export { writeSet, decodeSet } from './set';
export type { NftSet, NftSetDesc } from './set';
export { writeSetElemList, decodeSetElemList } from './setelem';
export type { NftSetElem, NftSetElemList } from './setelem';
export { decodeGen } from './gen';
export type { NftGen } from './gen';
export { decodeNftObject, tablesIn, chainsIn, rulesIn, setsIn, setElemListsIn, gensIn } from './decode';
export type { NftObject } from './decode';
export * from './requests';
export { NftBatch, encodeBatch, batchBegin, batchEnd } from './batch';
export type { BatchEntry, BatchEncodeOptions } from './batch';
export * from './udata';
export * from './build';
