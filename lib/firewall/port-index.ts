/**
 * What is published, by host port: the in-memory index that finds a conflict before any
 * batch is sent. It is rebuilt from nsnet's records (reapply) or from the kernel's dnat
 * maps (Firewall.open), so a fresh process refuses the same ports the last one did.
 *
 * Two mappings of one family and protocol conflict on the same host port when either is
 * on every address (no hostIp) or both are on the same address — exactly the pairs whose
 * DNAT lookups would overlap.
 */
import { NsnetError } from '../errors';
import { PortConflictError } from './errors';
import { formatMapping } from './ports';
import type { IpFamily, PortMapping, PortRange, Proto, Publication } from './types';

interface Entry {
  endpointId: string;
  hostIp: string | undefined;
}

function key(family: IpFamily, proto: Proto, port: number): string {
  return `${family}/${proto}/${port}`;
}

export class PortIndex {
  private readonly byPort = new Map<string, Entry[]>();
  private readonly byEndpoint = new Map<string, Publication>();
  /** Where the next ephemeral search starts (round robin, as the kernel does). */
  private cursor: number | undefined;

  constructor(publications: readonly Publication[] = []) {
    for (const p of publications) this.add(p);
  }

  get size(): number {
    return this.byEndpoint.size;
  }

  /** The publication of an endpoint, if it has one. */
  get(endpointId: string): Publication | undefined {
    return this.byEndpoint.get(endpointId);
  }

  all(): Publication[] {
    return [...this.byEndpoint.values()];
  }

  /** The endpoint holding a port that `m` would overlap, other than `except`. */
  holder(m: Pick<PortMapping, 'family' | 'proto' | 'hostIp' | 'hostPort'>, except?: string): Entry | undefined {
    for (const e of this.byPort.get(key(m.family, m.proto, m.hostPort)) ?? []) {
      if (e.endpointId === except) continue;
      if (e.hostIp === undefined || m.hostIp === undefined || e.hostIp === m.hostIp) return e;
    }
    return undefined;
  }

  /**
   * Throws PortConflictError if any mapping overlaps one of another endpoint's (the
   * endpoint's own current mappings do not count: they are being replaced) or another
   * mapping of the same list.
   */
  check(endpointId: string, mappings: readonly PortMapping[]): void {
    const seen = new PortIndex();
    for (const m of mappings) {
      const other = this.holder(m, endpointId);
      if (other !== undefined) {
        throw new PortConflictError(
          `publish: ${formatMapping(m)}: host port ${m.proto}/${m.hostPort} is already published by endpoint ${other.endpointId}`,
          { endpointId: other.endpointId, family: m.family, proto: m.proto, hostPort: m.hostPort, ...(other.hostIp ? { hostIp: other.hostIp } : {}) },
          { op: 'publish', target: endpointId },
        );
      }
      if (seen.holder(m) !== undefined) {
        throw new PortConflictError(`publish: ${formatMapping(m)}: host port ${m.proto}/${m.hostPort} is given twice`, {
          endpointId,
          family: m.family,
          proto: m.proto,
          hostPort: m.hostPort,
        }, { op: 'publish', target: endpointId });
      }
      seen.insert(endpointId, m);
    }
  }

  /** Records a publication (replacing the endpoint's previous one). */
  add(p: Publication): void {
    this.remove(p.endpoint.id);
    this.byEndpoint.set(p.endpoint.id, p);
    for (const m of p.mappings) this.insert(p.endpoint.id, m);
  }

  /** Forgets an endpoint's publication; returns it. */
  remove(endpointId: string): Publication | undefined {
    const p = this.byEndpoint.get(endpointId);
    if (p === undefined) return undefined;
    this.byEndpoint.delete(endpointId);
    for (const m of p.mappings) {
      const k = key(m.family, m.proto, m.hostPort);
      const left = (this.byPort.get(k) ?? []).filter((e) => e.endpointId !== endpointId);
      if (left.length) this.byPort.set(k, left);
      else this.byPort.delete(k);
    }
    return p;
  }

  /**
   * A host port free for `proto` on every family given (and the address, if one), from
   * `range`, searching round robin from after the last one handed out.
   */
  choose(range: PortRange, proto: Proto, families: readonly IpFamily[], hostIp: string | undefined, taken: ReadonlySet<string> = new Set()): number {
    const size = range.end - range.start + 1;
    const from = this.cursor !== undefined && this.cursor >= range.start && this.cursor <= range.end ? this.cursor : range.start;
    for (let i = 0; i < size; i++) {
      const port = range.start + ((from - range.start + i) % size);
      if (taken.has(`${proto}/${port}`)) continue;
      if (families.every((family) => this.holder({ family, proto, hostIp, hostPort: port }) === undefined)) {
        this.cursor = port + 1 > range.end ? range.start : port + 1;
        return port;
      }
    }
    throw new NsnetError(`publish: no free ${proto} host port left in ${range.start}-${range.end}`, { code: 'EADDRNOTAVAIL', op: 'publish' });
  }

  private insert(endpointId: string, m: PortMapping): void {
    const k = key(m.family, m.proto, m.hostPort);
    const list = this.byPort.get(k) ?? [];
    list.push({ endpointId, hostIp: m.hostIp });
    this.byPort.set(k, list);
  }
}
