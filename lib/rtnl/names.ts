/** Names of rtnetlink message types, for errors ('RTM_NEWLINK' as `syscall`). */
import * as nl from '../netlink';

const RTM_NAMES: Map<number, string> = new Map(
  Object.entries(nl)
    .filter(([name, value]) => name.startsWith('RTM_') && typeof value === 'number')
    .map(([name, value]) => [value as number, name]),
);

/** 'RTM_NEWLINK' for 16. */
export function rtmName(type: number): string {
  return RTM_NAMES.get(type) ?? `RTM_${type}`;
}
