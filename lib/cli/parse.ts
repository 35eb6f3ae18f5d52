/** Docker's flag value shapes: repeatable flags, key=value lists, one value per IP family. */
import { UsageError } from './exit-codes';

/** For repeatable options: `--label a=1 --label b=2`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `k=v` pairs into a record. With `allowBare`, a bare `k` means `k=` (Docker's labels);
 * otherwise it is a usage error.
 */
export function keyValues(values: readonly string[] | undefined, flag: string, options: { allowBare?: boolean } = {}): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i < 0 && !options.allowBare) throw new UsageError(`${flag}: expected KEY=VALUE, got '${v}'`, flag);
    const key = i < 0 ? v : v.slice(0, i);
    if (!key) throw new UsageError(`${flag}: empty key in '${v}'`, flag);
    out[key] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}

/** Docker takes --subnet/--gateway/--ip-range once per family: IPv6 values contain ':'. */
export function byFamily(values: readonly string[] | undefined, flag: string): { v4?: string; v6?: string } {
  const out: { v4?: string; v6?: string } = {};
  for (const v of values ?? []) {
    const family = v.includes(':') ? 'v6' : 'v4';
    if (out[family] !== undefined) throw new UsageError(`${flag}: at most one IPv${family === 'v6' ? 6 : 4} value (got '${out[family]}' and '${v}')`, flag);
    out[family] = v;
  }
  return out;
}
