/**
 * Single nf_tables messages, each a complete netlink message (seq = pid = 0; the
 * transport stamps them) with the header flags nft 1.0.6 uses for the same command:
 * `add table` NLM_F_REQUEST; `add chain|set|element` + NLM_F_CREATE; `add rule`
 * + NLM_F_CREATE|NLM_F_APPEND, `insert rule` without APPEND; `create …` adds NLM_F_EXCL;
 * deletes are plain requests. Changes must travel inside a batch (batch.ts); reads
 * (GET*) go alone. nft does not ask for ACKs inside its batches; NftBatch.encode adds
 * NLM_F_ACK so that the caller learns the outcome of every message.
 */
import { AttrWriter } from '../attr';
import { NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../constants/netlink';
import { NFPROTO_UNSPEC } from '../constants/nfnetlink';
import * as K from '../constants/nftables';
import { NftChain, writeChain } from './chain';
import { putName } from './codecs';
import { DecodedFamily, familyNumber } from './family';
import { nfnlMessage, nftType } from './message';
import { encodeMessage } from '../nlmsg';
import { NftRule, writeRule } from './rule';
import { NftSet, writeSet } from './set';
import { NftSetElemList, writeSetElemList } from './setelem';
import { NftTable, writeTable } from './table';

function body(type: number, flags: number, write: (w: AttrWriter) => void): Buffer {
  // writeX writes nfgenmsg itself (it knows the family); nfnlMessage would add another.
  const w = new AttrWriter();
  write(w);
  return encodeMessage(nftType(type), flags, w.bytes());
}

export interface CreateOptions {
  /** `create` instead of `add`: NLM_F_EXCL, fail with EEXIST if it exists. */
  excl?: boolean;
}

export interface RuleOptions {
  /** `insert`: before `position` or at the start (no NLM_F_APPEND). */
  insert?: boolean;
  /** `replace rule … handle H`: NLM_F_REPLACE; the rule needs `handle`. */
  replace?: boolean;
}

/** Like `nft add table FAMILY NAME` (`create table` with excl). */
export function newTable(t: NftTable, opts: CreateOptions = {}): Buffer {
  return body(K.NFT_MSG_NEWTABLE, NLM_F_REQUEST | (opts.excl ? NLM_F_EXCL : 0), (w) => writeTable(w, t));
}

/** Like `nft delete table FAMILY NAME` (by name, or by handle). */
export function delTable(t: NftTable): Buffer {
  return body(K.NFT_MSG_DELTABLE, NLM_F_REQUEST, (w) => writeTable(w, t));
}

/** Like `nft add chain FAMILY TABLE NAME { … }`. */
export function newChain(c: NftChain, opts: CreateOptions = {}): Buffer {
  return body(K.NFT_MSG_NEWCHAIN, NLM_F_REQUEST | NLM_F_CREATE | (opts.excl ? NLM_F_EXCL : 0), (w) => writeChain(w, c));
}

/** Like `nft delete chain FAMILY TABLE NAME`. The chain must be empty and unreferenced. */
export function delChain(c: NftChain): Buffer {
  return body(K.NFT_MSG_DELCHAIN, NLM_F_REQUEST, (w) => writeChain(w, c));
}

/** Like `nft add rule …` (`insert rule …` with insert, `replace rule … handle H` with replace). */
export function newRule(r: NftRule, opts: RuleOptions = {}): Buffer {
  const flags =
    NLM_F_REQUEST |
    (opts.replace ? NLM_F_REPLACE : NLM_F_CREATE) |
    (opts.insert || opts.replace ? 0 : NLM_F_APPEND);
  return body(K.NFT_MSG_NEWRULE, flags, (w) => writeRule(w, r));
}

/**
 * Like `nft delete rule FAMILY TABLE CHAIN handle H`. Without handle, every rule of the
 * chain (`nft flush chain`); without chain either, every rule of the table.
 */
export function delRule(r: NftRule): Buffer {
  return body(K.NFT_MSG_DELRULE, NLM_F_REQUEST, (w) => writeRule(w, r));
}

/** Like `nft add set|map FAMILY TABLE NAME { … }`. */
export function newSet(s: NftSet, opts: CreateOptions = {}): Buffer {
  return body(K.NFT_MSG_NEWSET, NLM_F_REQUEST | NLM_F_CREATE | (opts.excl ? NLM_F_EXCL : 0), (w) => writeSet(w, s));
}

/** Like `nft delete set FAMILY TABLE NAME`. Fails with EBUSY while a rule refers to it. */
export function delSet(s: NftSet): Buffer {
  return body(K.NFT_MSG_DELSET, NLM_F_REQUEST, (w) => writeSet(w, s));
}

/** Like `nft add element FAMILY TABLE SET { … }` (`create element` with excl). */
export function newSetElems(l: NftSetElemList, opts: CreateOptions = {}): Buffer {
  return body(K.NFT_MSG_NEWSETELEM, NLM_F_REQUEST | NLM_F_CREATE | (opts.excl ? NLM_F_EXCL : 0), (w) => writeSetElemList(w, l));
}

/** Like `nft delete element …`; with no `elements`, `nft flush set`. */
export function delSetElems(l: NftSetElemList): Buffer {
  return body(K.NFT_MSG_DELSETELEM, NLM_F_REQUEST, (w) => writeSetElemList(w, l));
}

// ── reads ─────────────────────────────────────────────────────────────────────────────

const DUMP = NLM_F_REQUEST | NLM_F_DUMP;
const DOIT = NLM_F_REQUEST | NLM_F_ACK;

function fam(family: DecodedFamily | undefined): number {
  return family === undefined ? NFPROTO_UNSPEC : familyNumber(family);
}

/** Dump of every table (of one family, or all). */
export function getTables(family?: DecodedFamily): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETTABLE), DUMP, fam(family));
}

/** One table by name (a doit request, answered with NFT_MSG_NEWTABLE or ENOENT). */
export function getTable(family: DecodedFamily, name: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETTABLE), DOIT, fam(family), (w) => putName(w, K.NFTA_TABLE_NAME, name, 'table'));
}

/** Dump of every chain of a family; the kernel does not filter chain dumps by table. */
export function getChains(family?: DecodedFamily): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETCHAIN), DUMP, fam(family));
}

/** One chain by name (doit). */
export function getChain(family: DecodedFamily, table: string, name: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETCHAIN), DOIT, fam(family), (w) => {
    putName(w, K.NFTA_CHAIN_TABLE, table, 'table');
    putName(w, K.NFTA_CHAIN_NAME, name, 'chain');
  });
}

/** Dump of the rules of a family, filtered by the kernel to one table (and chain). */
export function getRules(family?: DecodedFamily, table?: string, chain?: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETRULE), DUMP, fam(family), (w) => {
    if (table !== undefined) putName(w, K.NFTA_RULE_TABLE, table, 'table');
    if (chain !== undefined) putName(w, K.NFTA_RULE_CHAIN, chain, 'chain');
  });
}

/** Dump of the sets of a family, filtered by the kernel to one table (ENOENT if it is missing). */
export function getSets(family?: DecodedFamily, table?: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETSET), DUMP, fam(family), (w) => {
    if (table !== undefined) putName(w, K.NFTA_SET_TABLE, table, 'table');
  });
}

/** One set by name (doit). */
export function getSet(family: DecodedFamily, table: string, name: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETSET), DOIT, fam(family), (w) => {
    putName(w, K.NFTA_SET_TABLE, table, 'table');
    putName(w, K.NFTA_SET_NAME, name, 'set');
  });
}

/** Dump of one set's elements (GETSETELEM is always a dump of a single set). */
export function getSetElems(family: DecodedFamily, table: string, set: string): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETSETELEM), DUMP, fam(family), (w) => {
    putName(w, K.NFTA_SET_ELEM_LIST_TABLE, table, 'table');
    putName(w, K.NFTA_SET_ELEM_LIST_SET, set, 'set');
  });
}

/** The ruleset generation (answered with NFT_MSG_NEWGEN). */
export function getGen(): Buffer {
  return nfnlMessage(nftType(K.NFT_MSG_GETGEN), DOIT, NFPROTO_UNSPEC);
}
