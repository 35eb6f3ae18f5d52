/**
 * Kernel enums as names. A name is the lower-cased suffix of the kernel constant
 * (NFT_META_IIFNAME → 'iifname', NFT_CMP_NEQ → 'neq'), so the kernel header stays the
 * reference. Values the table does not know (a newer kernel's) decode as plain numbers
 * and encode back unchanged: forward compatibility without losing typing.
 */
import { ValidationError } from '../../errors';

export interface NamedEnum<N extends string> {
  readonly names: readonly N[];
  /** The number for a name (or a number, passed through after a range check). */
  toNumber(value: N | number, field: string): number;
  /** The name for a number, or the number if it has none. */
  toName(value: number): N | number;
}

export function namedEnum<N extends string>(table: Readonly<Record<N, number>>, max = 0xffffffff): NamedEnum<N> {
  const byNumber = new Map<number, N>();
  for (const [k, v] of Object.entries(table) as [N, number][]) if (!byNumber.has(v)) byNumber.set(v, k);
  return {
    names: Object.keys(table) as N[],
    toNumber(value, field) {
      if (typeof value === 'number') {
        if (!Number.isInteger(value) || value < 0 || value > max) {
          throw new ValidationError(`${field}: ${value} is not in 0..${max}`, { field });
        }
        return value;
      }
      const n = (table as Record<string, number>)[value];
      if (n === undefined || !Object.prototype.hasOwnProperty.call(table, value)) {
        throw new ValidationError(`${field}: unknown value '${String(value)}'`, { field });
      }
      return n;
    },
    toName(value) {
      return byNumber.get(value) ?? value;
    },
  };
}
