/**
 * nf_tables batches. The kernel applies every change between NFNL_MSG_BATCH_BEGIN and
 * NFNL_MSG_BATCH_END (res_id = NFNL_SUBSYS_NFTABLES) as one transaction: if any message
 * fails, none takes effect, and the failed message's NLMSG_ERROR (with extack) names it
 * by sequence number. Objects created earlier in a batch can be referred to later in it
 * (by name, or by NFTA_*_ID for anonymous sets).
 *
 * NftBatch collects messages with a description of each, so that a failure can be
 * reported as "NFT_MSG_NEWRULE inet nsnet forward" rather than "message 7".
 */
import { ValidationError } from '../../errors';
import { AttrWriter } from '../attr';
import { NLM_F_ACK, NLM_F_REQUEST } from '../constants/netlink';
import { NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES, NFPROTO_UNSPEC } from '../constants/nfnetlink';
import type { NftChain } from './chain';
import { putBe32 } from './codecs';
import { DecodedFamily } from './family';
import { nfnlMessage } from './message';
import { nfnlMsgName } from './names';
import {
  CreateOptions,
  delChain,
  delRule,
  delSet,
  delSetElems,
  delTable,
  newChain,
  newRule,
  newSet,
  newSetElems,
  newTable,
  RuleOptions,
} from './requests';
import type { NftRule } from './rule';
import type { NftSet } from './set';
import type { NftSetElemList } from './setelem';
import type { NftTable } from './table';

export interface BatchEntry {
  /** The complete message, as built (no NLM_F_ACK yet). */
  bytes: Buffer;
  /** 'NFT_MSG_NEWRULE'. */
  msg: string;
  /** What it acts on: 'inet nsnet', 'inet nsnet forward', 'inet nsnet set ports'. */
  target: string;
}

export interface BatchEncodeOptions {
  /** NLM_F_ACK on every message inside the batch (default true). */
  ack?: boolean;
  /** NFNL_BATCH_GENID: apply only if the ruleset is still at this generation (else ERESTART). */
  genId?: number;
}

function fam(f: DecodedFamily): string {
  return String(f);
}

function named(kind: string, name: string | undefined, handle: bigint | undefined): string {
  if (name !== undefined) return `${kind}${name}`;
  return handle !== undefined ? `${kind}handle ${handle}` : kind.trim();
}

/** BATCH_BEGIN / BATCH_END: nfgenmsg with AF_UNSPEC and res_id = NFNL_SUBSYS_NFTABLES. */
export function batchBegin(genId?: number): Buffer {
  return nfnlMessage(
    NFNL_MSG_BATCH_BEGIN,
    NLM_F_REQUEST,
    NFPROTO_UNSPEC,
    (w: AttrWriter) => {
      if (genId !== undefined) putBe32(w, NFNL_BATCH_GENID, genId, 'genId');
    },
    NFNL_SUBSYS_NFTABLES,
  );
}

export function batchEnd(): Buffer {
  return nfnlMessage(NFNL_MSG_BATCH_END, NLM_F_REQUEST, NFPROTO_UNSPEC, undefined, NFNL_SUBSYS_NFTABLES);
}

/** Frames complete nf_tables messages as one batch, ready for a single sendmsg. */
export function encodeBatch(messages: readonly Buffer[], opts: BatchEncodeOptions = {}): Buffer {
  const ack = opts.ack ?? true;
  const inner = messages.map((m) => {
    if (!ack) return m;
    const c = Buffer.from(m);
    c.writeUInt16LE(c.readUInt16LE(6) | NLM_F_ACK, 6);
    return c;
  });
  return Buffer.concat([batchBegin(opts.genId), ...inner, batchEnd()]);
}

/**
 * A list of changes for one transaction. Each method mirrors an nft command and returns
 * `this`, so a change reads as a chain:
 *
 *   new NftBatch().addTable({ family: 'inet', name: 'nsnet', flags: 0 })
 *     .addChain(baseChain(…)).addRule({ …, exprs: [...match.iifname('br0'), ...verdict.accept()] })
 */
export class NftBatch {
  private readonly list: BatchEntry[] = [];
  private nextSetId = 1;

  /** The messages so far, in order. Message i of the batch is entry i (BATCH_BEGIN excluded). */
  get entries(): readonly BatchEntry[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  /** Appends a message built elsewhere (lib/netlink/nft/requests or hand-made). */
  push(bytes: Buffer, target = ''): this {
    if (!Buffer.isBuffer(bytes) || bytes.length < 20) throw new ValidationError('batch message must be a complete nfnetlink message', { field: 'message' });
    this.list.push({ bytes, msg: nfnlMsgName(bytes.readUInt16LE(4)), target });
    return this;
  }

  /** `nft add table` (`create table` with excl). */
  addTable(t: NftTable, opts?: CreateOptions): this {
    return this.push(newTable(t, opts), named(`${fam(t.family)} `, t.name, t.handle));
  }

  /** `nft delete table`. */
  delTable(t: NftTable): this {
    return this.push(delTable(t), named(`${fam(t.family)} `, t.name, t.handle));
  }

  /** `nft add chain`. */
  addChain(c: NftChain, opts?: CreateOptions): this {
    return this.push(newChain(c, opts), named(`${fam(c.family)} ${c.table} `, c.name, c.handle));
  }

  /** `nft delete chain`. */
  delChain(c: NftChain): this {
    return this.push(delChain(c), named(`${fam(c.family)} ${c.table} `, c.name, c.handle));
  }

  /** `nft flush chain`: every rule of the chain (DELRULE without a handle). */
  flushChain(c: { family: DecodedFamily; table: string; name: string }): this {
    return this.push(delRule({ family: c.family, table: c.table, chain: c.name }), `${fam(c.family)} ${c.table} ${c.name}`);
  }

  /** `nft add rule` (`insert rule` / `replace rule` with options). */
  addRule(r: NftRule, opts?: RuleOptions): this {
    return this.push(newRule(r, opts), `${fam(r.family)} ${r.table} ${r.chain ?? ''}`.trim());
  }

  /** `nft delete rule … handle H`. */
  delRule(r: NftRule): this {
    return this.push(delRule(r), `${fam(r.family)} ${r.table} ${r.chain ?? ''} handle ${String(r.handle)}`);
  }

  /**
   * `nft add set|map`. The kernel requires NFTA_SET_ID on NEWSET (a batch-local id that
   * later messages may use instead of the name); one is assigned here when `s.id` is
   * not given, counting from 1 as nft does.
   */
  addSet(s: NftSet, opts?: CreateOptions): this {
    const withId = s.id === undefined ? { ...s, id: this.nextSetId } : s;
    this.nextSetId = Math.max(this.nextSetId, withId.id! + 1);
    return this.push(newSet(withId, opts), named(`${fam(s.family)} ${s.table} set `, s.name, s.handle));
  }

  /** `nft delete set|map`. */
  delSet(s: NftSet): this {
    return this.push(delSet(s), named(`${fam(s.family)} ${s.table} set `, s.name, s.handle));
  }

  /** `nft add element`. */
  addElements(l: NftSetElemList, opts?: CreateOptions): this {
    return this.push(newSetElems(l, opts), `${fam(l.family)} ${l.table} set ${l.set ?? `id ${String(l.setId)}`}`);
  }

  /** `nft delete element` (`nft flush set` when `elements` is absent). */
  delElements(l: NftSetElemList): this {
    return this.push(delSetElems(l), `${fam(l.family)} ${l.table} set ${l.set ?? `id ${String(l.setId)}`}`);
  }

  /** BATCH_BEGIN + every message + BATCH_END, for one transact() call. */
  encode(opts?: BatchEncodeOptions): Buffer {
    return encodeBatch(
      this.list.map((e) => e.bytes),
      opts,
    );
  }
}
