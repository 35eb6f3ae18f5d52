/**
 * IFLA_STATS64 (struct rtnl_link_stats64): an array of u64 counters that the kernel has
 * grown over time (rx_nohandler in 4.6, rx_otherhost_dropped in 5.19). Decoding reads
 * the counters present and ignores any the kernel added after this list, so neither an
 * older nor a newer kernel breaks it; missing counters are absent, not 0.
 */
import { ValidationError } from '../errors';

/** In struct order. */
export const STATS64_FIELDS = [
  'rxPackets',
  'txPackets',
  'rxBytes',
  'txBytes',
  'rxErrors',
  'txErrors',
  'rxDropped',
  'txDropped',
  'multicast',
  'collisions',
  'rxLengthErrors',
  'rxOverErrors',
  'rxCrcErrors',
  'rxFrameErrors',
  'rxFifoErrors',
  'rxMissedErrors',
  'txAbortedErrors',
  'txCarrierErrors',
  'txFifoErrors',
  'txHeartbeatErrors',
  'txWindowErrors',
  'rxCompressed',
  'txCompressed',
  'rxNohandler',
  'rxOtherhostDropped',
] as const;

export type LinkStats64 = { [K in (typeof STATS64_FIELDS)[number]]?: bigint };

export function decodeStats64(data: Buffer): LinkStats64 {
  const stats: LinkStats64 = {};
  // Whole counters only: a trailing partial one would be a kernel bug, not a reason to fail.
  const n = Math.min(STATS64_FIELDS.length, Math.floor(data.length / 8));
  for (let i = 0; i < n; i++) stats[STATS64_FIELDS[i]!] = data.readBigUInt64LE(i * 8);
  return stats;
}

/**
 * The kernel ignores IFLA_STATS64 in requests; encoding exists so that decode∘encode is
 * the identity. Counters up to the last one given are written, gaps as 0.
 */
export function encodeStats64(stats: LinkStats64): Buffer {
  let n = 0;
  STATS64_FIELDS.forEach((k, i) => {
    if (stats[k] !== undefined) n = i + 1;
  });
  const buf = Buffer.alloc(n * 8);
  for (let i = 0; i < n; i++) {
    const v = stats[STATS64_FIELDS[i]!] ?? 0n;
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
      throw new ValidationError(`stats64.${STATS64_FIELDS[i]}: not a u64`, { field: `stats64.${STATS64_FIELDS[i]}` });
    }
    buf.writeBigUInt64LE(v, i * 8);
  }
  return buf;
}
