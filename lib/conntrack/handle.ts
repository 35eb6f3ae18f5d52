/**
 * ConntrackHandle: the conntrack table of one network namespace over ctnetlink
 * (NETLINK_NETFILTER, NFNL_SUBSYS_CTNETLINK) — no `conntrack` binary. Used to flush the
 * entries of a UDP port mapping when it is added or removed, so a stale entry cannot keep
 * sending a flow to the old container.
 */
import { isNotFound, kernelError, AggregateNsnetError } from '../errors';
import { native, type NsFd } from '../native';
import { NETLINK_NETFILTER, nft } from '../netlink';
import { SerialTransport, TransportHandle } from '../transport';
import { CtEntry, ctDelete, ctDump, ctEntriesIn } from './codec';
import { ConntrackFilter, ctMatcher } from './filter';

export class ConntrackHandle extends TransportHandle {
  private constructor(transport: SerialTransport) {
    super(transport);
  }

  static async open(ns: NsFd | null = null): Promise<ConntrackHandle> {
    const socket = await native().netlinkOpen(NETLINK_NETFILTER, ns);
    return new ConntrackHandle(new SerialTransport(socket, nft.nfnlMsgName));
  }

  /** Like `conntrack -L`, filtered here (a full dump; the table is per namespace). */
  async list(filter: ConntrackFilter = {}): Promise<CtEntry[]> {
    const match = ctMatcher(filter);
    const data = await this.transport.dump(ctDump(filter.family), { op: 'conntrackList' });
    return ctEntriesIn(data).filter(match);
  }

  /**
   * Like `conntrack -D -p udp --orig-dst A --dport P`: deletes every entry that matches,
   * all deletions in one sendmsg. Entries that vanished meanwhile are not errors.
   * Resolves with the number deleted.
   */
  async flush(filter: ConntrackFilter): Promise<number> {
    const entries = await this.list(filter);
    if (entries.length === 0) return 0;
    const request = Buffer.concat(entries.map((e) => ctDelete(e)));
    const { errors } = await this.transport.request(request, { op: 'conntrackFlush' }, { collectErrors: true });
    const failures: Error[] = [];
    let missing = 0;
    for (const e of errors) {
      const err = kernelError({ errno: e.errno, syscall: 'IPCTNL_MSG_CT_DELETE', extack: e.extack, op: 'conntrackFlush', cause: e });
      if (isNotFound(err)) missing += 1;
      else failures.push(err);
    }
    if (failures.length) throw new AggregateNsnetError(`conntrackFlush: ${failures.length} of ${entries.length} deletions failed`, failures, { op: 'conntrackFlush' });
    return entries.length - missing;
  }
}
