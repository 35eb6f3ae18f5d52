/**
 * Replies to object lists: the kernel answers GET dumps with NEW* messages, one object
 * each. These pick the messages of one type out of a transport's reply data.
 */
import * as K from '../constants/nftables';
import { NFNL_SUBSYS_NFTABLES } from '../constants/nfnetlink';
import { splitMessages } from '../nlmsg';
import { decodeChain, NftChain } from './chain';
import { decodeGen, NftGen } from './gen';
import { nftType } from './message';
import { decodeRule, NftRule } from './rule';
import { decodeSet, NftSet } from './set';
import { decodeSetElemList, NftSetElemList } from './setelem';
import { decodeTable, NftTable } from './table';

export type NftObject =
  | { kind: 'table'; table: NftTable }
  | { kind: 'chain'; chain: NftChain }
  | { kind: 'rule'; rule: NftRule }
  | { kind: 'set'; set: NftSet }
  | { kind: 'elements'; elements: NftSetElemList }
  | { kind: 'gen'; gen: NftGen };

/**
 * Decodes the body of any nf_tables message nsnet models (requests and replies alike:
 * NEW/DEL/GET of tables, chains, rules, sets, elements; NEWGEN). undefined for others.
 */
export function decodeNftObject(type: number, payload: Buffer): NftObject | undefined {
  if (type >> 8 !== NFNL_SUBSYS_NFTABLES) return undefined;
  switch (type & 0xff) {
    case K.NFT_MSG_NEWTABLE:
    case K.NFT_MSG_DELTABLE:
    case K.NFT_MSG_GETTABLE:
      return { kind: 'table', table: decodeTable(payload) };
    case K.NFT_MSG_NEWCHAIN:
    case K.NFT_MSG_DELCHAIN:
    case K.NFT_MSG_GETCHAIN:
      return { kind: 'chain', chain: decodeChain(payload) };
    case K.NFT_MSG_NEWRULE:
    case K.NFT_MSG_DELRULE:
    case K.NFT_MSG_GETRULE:
      return { kind: 'rule', rule: decodeRule(payload) };
    case K.NFT_MSG_NEWSET:
    case K.NFT_MSG_DELSET:
    case K.NFT_MSG_GETSET:
      return { kind: 'set', set: decodeSet(payload) };
    case K.NFT_MSG_NEWSETELEM:
    case K.NFT_MSG_DELSETELEM:
    case K.NFT_MSG_GETSETELEM:
      return { kind: 'elements', elements: decodeSetElemList(payload) };
    case K.NFT_MSG_NEWGEN:
      return { kind: 'gen', gen: decodeGen(payload) };
    default:
      return undefined;
  }
}

function pick<T>(data: Buffer, msg: number, decode: (p: Buffer) => T): T[] {
  const type = nftType(msg);
  return splitMessages(data, { own: true })
    .filter((m) => m.type === type)
    .map((m) => decode(m.payload));
}

/** The tables in a GETTABLE reply. */
export const tablesIn = (data: Buffer): NftTable[] => pick(data, K.NFT_MSG_NEWTABLE, decodeTable);
export const chainsIn = (data: Buffer): NftChain[] => pick(data, K.NFT_MSG_NEWCHAIN, decodeChain);
export const rulesIn = (data: Buffer): NftRule[] => pick(data, K.NFT_MSG_NEWRULE, decodeRule);
export const setsIn = (data: Buffer): NftSet[] => pick(data, K.NFT_MSG_NEWSET, decodeSet);
/** Elements of every NEWSETELEM message in a GETSETELEM dump, in order. */
export const setElemListsIn = (data: Buffer): NftSetElemList[] => pick(data, K.NFT_MSG_NEWSETELEM, decodeSetElemList);
export const gensIn = (data: Buffer): NftGen[] => pick(data, K.NFT_MSG_NEWGEN, decodeGen);
