/**
 * NftHandle: nf_tables for one network namespace, over one NETLINK_NETFILTER socket
 * opened inside it. Changes go as whole batches (`apply`): one sendmsg, one kernel
 * transaction, all or nothing. Reads are dumps decoded by lib/netlink/nft.
 */
import { isNotFound, kernelError, NsnetError, ValidationError } from '../errors';
import { native, type NetlinkMessageError, type NsFd } from '../native';
import type { PlanStep } from '../plan';
import * as nl from '../netlink';
import { nft } from '../netlink';
import { SerialTransport, TransportHandle } from '../transport';

type TableRef = { family: nft.NftFamily; name: string };

function tableTarget(t: TableRef): string {
  return `${t.family} ${t.name}`;
}

function validateTableRef(t: TableRef, field = 'table'): void {
  if (t === null || typeof t !== 'object' || typeof t.name !== 'string' || t.name.length === 0) {
    throw new ValidationError(`${field}: give { family, name }`, { field });
  }
  nft.familyNumber(t.family, `${field}.family`);
}

export interface ApplyOptions {
  /** Refuse the batch (ERESTART) unless the ruleset is still at this generation. */
  genId?: number;
}

/**
 * The typed error for a failed batch. The kernel reports every failed message (later ones
 * often fail only because of the first); the lowest index is the cause. Index 0 is
 * BATCH_BEGIN: a commit-time error.
 */
function batchError(batch: nft.NftBatch, errors: readonly NetlinkMessageError[]): Error {
  const first = errors.reduce((a, b) => (b.index < a.index ? b : a));
  const entry = first.index >= 1 ? batch.entries[first.index - 1] : undefined;
  // nf_tables mostly points at the bad attribute (an offset) instead of sending text.
  const at = entry && first.extackOffset !== undefined ? nft.attrPath(entry.bytes, first.extackOffset) : undefined;
  const target = entry?.target ?? 'batch';
  return kernelError({
    errno: first.errno,
    syscall: entry?.msg ?? nft.nfnlMsgName(first.msgType),
    extack: first.extack,
    op: 'apply',
    target: at === undefined ? target : `${target} (at ${at})`,
    cause: errors,
  });
}

export class NftHandle extends TransportHandle {
  private constructor(transport: SerialTransport) {
    super(transport);
  }

  /** Opens a handle inside `ns` (null: the namespace this process runs in). */
  static async open(ns: NsFd | null = null): Promise<NftHandle> {
    const socket = await native().netlinkOpen(nl.NETLINK_NETFILTER, ns);
    return new NftHandle(new SerialTransport(socket, nft.nfnlMsgName));
  }

  /**
   * Applies a batch as one transaction (like `nft -f FILE`): BATCH_BEGIN, every message
   * with NLM_F_ACK, BATCH_END, in one sendmsg. On failure nothing changed; the error is
   * the kernel's (code, extack) with `syscall` the failed message type and `target` what
   * it acted on ('NFT_MSG_NEWRULE', 'inet nsnet forward'). An empty batch sends nothing.
   */
  async apply(batch: nft.NftBatch, opts: ApplyOptions = {}): Promise<void> {
    if (!(batch instanceof nft.NftBatch)) throw new ValidationError('apply: give an NftBatch', { field: 'batch', op: 'apply' });
    if (batch.length === 0) return;
    const request = batch.encode({ ack: true, genId: opts.genId });
    const { errors } = await this.transport.request(request, { op: 'apply' }, { collectErrors: true });
    if (errors.length) throw batchError(batch, errors);
  }

  /**
   * apply() as a step of a NetlinkPlan (lib/plan.ts), to be sent with other kernel work;
   * undefined for an empty batch.
   */
  planStep(name: string, batch: nft.NftBatch): PlanStep | undefined {
    if (batch.length === 0) return undefined;
    return { name, socket: this.planSocket, messages: batch.encode({ ack: true }), translate: (err) => batchError(batch, [err as unknown as NetlinkMessageError]) };
  }

  /** Like `nft list tables` (all families, or one). */
  async listTables(family?: nft.NftFamily): Promise<nft.NftTable[]> {
    const data = await this.transport.dump(nft.getTables(family), { op: 'listTables' });
    return nft.tablesIn(data);
  }

  /** One table by name (a doit request); NotFoundError if it does not exist. */
  async getTable(t: TableRef): Promise<nft.NftTable> {
    validateTableRef(t);
    const { data } = await this.transport.request(nft.getTable(t.family, t.name), { op: 'getTable', target: tableTarget(t) });
    const [table] = nft.tablesIn(data);
    if (table === undefined) throw kernelError({ errno: -2, syscall: 'NFT_MSG_GETTABLE', op: 'getTable', target: tableTarget(t) });
    return table;
  }

  /** Like `nft list chains FAMILY` restricted to one table ([] if the table is missing). */
  async listChains(t: TableRef): Promise<nft.NftChain[]> {
    validateTableRef(t);
    // The kernel's chain dump has no table filter: filter here.
    const data = await this.transport.dump(nft.getChains(t.family), { op: 'listChains', target: tableTarget(t) });
    return nft.chainsIn(data).filter((c) => c.table === t.name);
  }

  /** The rules of a table (or one chain of it), in chain order ([] if the table is missing). */
  async listRules(t: TableRef, chain?: string): Promise<nft.NftRule[]> {
    validateTableRef(t);
    const target = chain === undefined ? tableTarget(t) : `${tableTarget(t)} ${chain}`;
    const data = await this.transport.dump(nft.getRules(t.family, t.name, chain), { op: 'listRules', target });
    return nft.rulesIn(data);
  }

  /** The sets and maps of a table ([] if the table is missing). */
  async listSets(t: TableRef): Promise<nft.NftSet[]> {
    validateTableRef(t);
    try {
      const data = await this.transport.dump(nft.getSets(t.family, t.name), { op: 'listSets', target: tableTarget(t) });
      return nft.setsIn(data);
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }

  /** The elements of one set; NotFoundError if the table or set is missing. */
  async listElements(t: TableRef, set: string): Promise<nft.NftSetElem[]> {
    validateTableRef(t);
    const data = await this.transport.dump(nft.getSetElems(t.family, t.name, set), { op: 'listElements', target: `${tableTarget(t)} set ${set}` });
    return nft.setElemListsIn(data).flatMap((l) => l.elements ?? []);
  }

  /**
   * Like `nft delete table FAMILY NAME`, with everything in it. Idempotent: a missing
   * table is not an error. Resolves true if it deleted one.
   */
  async deleteTable(family: nft.NftFamily, name: string): Promise<boolean> {
    validateTableRef({ family, name });
    try {
      await this.apply(new nft.NftBatch().delTable({ family, name }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** The ruleset generation id (NFT_MSG_GETGEN); every committed batch bumps it. */
  async generation(): Promise<number> {
    const { data } = await this.transport.request(nft.getGen(), { op: 'generation' });
    const [gen] = nft.gensIn(data);
    if (gen?.id === undefined) throw new NsnetError('generation: no NFT_MSG_NEWGEN in the reply', { code: 'EBADMSG', op: 'generation' });
    return gen.id;
  }
}
