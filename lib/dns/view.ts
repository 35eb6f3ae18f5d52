/**
 * The resolver's view of the runtime: who is asking (by source address) and which names
 * each network holds, built from the records in the state directory.
 *
 * Freshness (TTL 0: a connect, disconnect, remove or alias change must show on the very
 * next query): every record write is a rename into `containers/` or `networks/`, and a
 * rename or unlink updates the directory's mtime. So a query costs two stat() calls; the
 * index is rebuilt only when a directory changed. Directory timestamps have a coarse
 * granularity (one kernel tick), so a change in the same tick as the last rebuild could
 * keep the same mtime: an index built less than RACY_MS after the directory's mtime is not
 * trusted and the next query rebuilds it (git's "racily clean" rule). A rebuild reads only
 * the records whose files changed (RuntimeStore caches by file identity).
 */
import ipaddr from 'ipaddr.js';
import fs from 'node:fs';
import path from 'node:path';
import type { RuntimeStore } from '../runtime/store';
import type { ContainerRecord, EndpointRecord, NetworkConfig } from '../runtime/records';

/** How long after a directory's mtime an index built from it is still suspect. */
const RACY_MS = 50;

export interface Member {
  container: ContainerRecord;
  endpoint: EndpointRecord;
  network: NetworkConfig;
}

/** One network's names: lower-case name → the members answering it, in record order. */
export interface NetworkNames {
  network: NetworkConfig;
  names: Map<string, Member[]>;
  /** Address (normal form) → the member holding it. */
  byAddress: Map<string, Member>;
}

export class NameIndex {
  /** Source address → member (every network, the default bridge too). */
  readonly byAddress = new Map<string, Member>();
  readonly networks = new Map<string, NetworkNames>();
  /** Lower-case name → ids of the networks where it is known (to tell NXDOMAIN from "forward"). */
  readonly anywhere = new Map<string, Set<string>>();
  readonly byName = new Map<string, ContainerRecord>();

  constructor(networks: readonly NetworkConfig[], containers: readonly ContainerRecord[]) {
    for (const n of networks) this.networks.set(n.id, { network: n, names: new Map(), byAddress: new Map() });
    for (const c of containers) {
      this.byName.set(c.name, c);
      for (const ep of c.endpoints) {
        const nn = this.networks.get(ep.networkId);
        if (!nn) continue;
        const m: Member = { container: c, endpoint: ep, network: nn.network };
        for (const cidr of [ep.ipv4, ep.ipv6]) {
          if (!cidr) continue;
          const a = normalAddress(cidr.split('/')[0]!);
          this.byAddress.set(a, m);
          nn.byAddress.set(a, m);
        }
        // The default bridge has no name resolution (Docker's rule): links instead.
        if (nn.network.isDefault) continue;
        const names = new Set([c.name, c.id.slice(0, 12), ...ep.aliases, `${c.name}.${nn.network.name}`].map((x) => x.toLowerCase()));
        for (const name of names) {
          let list = nn.names.get(name);
          if (!list) nn.names.set(name, (list = []));
          list.push(m);
          let where = this.anywhere.get(name);
          if (!where) this.anywhere.set(name, (where = new Set()));
          where.add(nn.network.id);
        }
      }
    }
  }
}

/** Lower-case, without an IPv4-mapped prefix: how source addresses and records compare. */
export function normalAddress(a: string): string {
  try {
    return ipaddr.process(a.split('%')[0]!).toString();
  } catch {
    return a.toLowerCase();
  }
}

interface DirStamp {
  mtimeMs: number;
  ino: number;
}

function stamp(dir: string): DirStamp {
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  return st ? { mtimeMs: st.mtimeMs, ino: st.ino } : { mtimeMs: -1, ino: -1 };
}

/** The current NameIndex, rebuilt when the state directory changed. */
export class StoreView {
  private index: NameIndex | undefined;
  private stamps: DirStamp[] = [];
  private builtAt = 0;
  /** Rebuilds so far (for tests and the bench). */
  rebuilds = 0;

  constructor(private readonly store: RuntimeStore) {}

  private dirs(): string[] {
    return [path.join(this.store.dir, 'containers'), path.join(this.store.dir, 'networks')];
  }

  current(): NameIndex {
    const now = this.dirs().map(stamp);
    const same = this.index !== undefined && now.every((s, i) => s.mtimeMs === this.stamps[i]?.mtimeMs && s.ino === this.stamps[i]?.ino);
    const settled = now.every((s) => this.builtAt - s.mtimeMs > RACY_MS);
    if (same && settled) return this.index!;
    this.builtAt = Date.now();
    this.stamps = now;
    this.index = new NameIndex(this.store.networksSync(), this.store.containersSync());
    this.rebuilds += 1;
    return this.index;
  }
}
