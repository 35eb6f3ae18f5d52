/**
 * Which conntrack entries belong to a port mapping. A published UDP port's stale entries
 * are those whose *original* direction was addressed to the host's (address and) port:
 * after the mapping moves, packets of that flow would otherwise keep being NATed to the
 * old container until the entry times out.
 */
import { ValidationError } from '../errors';
import { ipToBytes } from '../netlink/addresses';
import { nft } from '../netlink';
import type { CtEntry, CtFamily } from './codec';

export interface ConntrackFilter {
  family?: CtFamily;
  /** 'tcp' | 'udp' | 'sctp' … or an IPPROTO number. */
  proto?: nft.L4ProtoName | number;
  /** Original direction, destination address (the host address of a mapping). */
  origDst?: string;
  /** Original direction, destination port (the host port of a mapping). */
  origDstPort?: number;
  origSrc?: string;
  origSrcPort?: number;
}

function sameIp(a: string, b: string): boolean {
  return ipToBytes(a).equals(ipToBytes(b));
}

/** Validates a filter (before any syscall) and returns a predicate. */
export function ctMatcher(f: ConntrackFilter): (e: CtEntry) => boolean {
  if (f.family !== undefined && f.family !== 4 && f.family !== 6) throw new ValidationError('family: 4 or 6', { field: 'family' });
  const proto = f.proto === undefined ? undefined : nft.l4protoNumber(f.proto, 'proto');
  for (const [k, v] of [['origDstPort', f.origDstPort], ['origSrcPort', f.origSrcPort]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffff)) throw new ValidationError(`${k}: ${String(v)} is not a port`, { field: k });
  }
  if (f.origDst !== undefined) ipToBytes(f.origDst, 'origDst');
  if (f.origSrc !== undefined) ipToBytes(f.origSrc, 'origSrc');
  return (e) =>
    (f.family === undefined || e.family === f.family) &&
    (proto === undefined || e.orig.proto === proto) &&
    (f.origDst === undefined || sameIp(e.orig.dst, f.origDst)) &&
    (f.origDstPort === undefined || e.orig.dport === f.origDstPort) &&
    (f.origSrc === undefined || sameIp(e.orig.src, f.origSrc)) &&
    (f.origSrcPort === undefined || e.orig.sport === f.origSrcPort);
}
