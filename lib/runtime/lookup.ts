/**
 * Docker's way of naming a network or container on the command line: its full ID, its
 * name, or an unambiguous prefix of its ID.
 */
import { ConflictError } from './errors';

export function findByRef<T extends { id: string; name: string }>(items: readonly T[], ref: string, op: string): T | undefined {
  const exact = items.find((i) => i.id === ref) ?? items.find((i) => i.name === ref);
  if (exact) return exact;
  if (!/^[0-9a-f]{1,63}$/.test(ref)) return undefined;
  const matches = items.filter((i) => i.id.startsWith(ref));
  if (matches.length > 1) throw new ConflictError(`'${ref}' is ambiguous: it prefixes ${matches.length} IDs`, { op, target: ref });
  return matches[0];
}
