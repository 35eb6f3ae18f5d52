/**
 * Table-driven attribute sets. Most netlink objects are "a fixed header plus a bag of
 * scalar attributes"; describing each attribute once (key, IFLA_/IFA_/… type, value
 * codec) gives encode and decode from one table, keeps unknown attributes raw, and leaves
 * the attribute order of a request equal to the table order (which is chosen to match
 * what iproute2 sends).
 */
import { bytesToIp, bytesToMac, ipToBytes, macToBytes } from './addresses';
import {
  AttrWriter,
  RawAttr,
  readBe16,
  readBinary,
  readS32,
  readString,
  readU16,
  readU32,
  readU64,
  readU8,
} from './attr';

/**
 * How one attribute's payload maps to a JS value. `read` returning undefined means "a
 * value this codec does not understand" (an enum member added by a newer kernel): the
 * attribute is then kept raw in `unknown` instead of failing the whole decode.
 */
export interface ValueCodec<V> {
  write(w: AttrWriter, type: number, value: V, field: string): void;
  read(a: RawAttr): V | undefined;
}

export const u8: ValueCodec<number> = { write: (w, t, v, f) => w.u8(t, v, f), read: readU8 };
export const u16: ValueCodec<number> = { write: (w, t, v, f) => w.u16(t, v, f), read: readU16 };
export const be16: ValueCodec<number> = { write: (w, t, v, f) => w.be16(t, v, f), read: readBe16 };
export const u32: ValueCodec<number> = { write: (w, t, v, f) => w.u32(t, v, f), read: readU32 };
export const s32: ValueCodec<number> = { write: (w, t, v, f) => w.s32(t, v, f), read: readS32 };
export const u64: ValueCodec<bigint> = { write: (w, t, v, f) => w.u64(t, v, f), read: readU64 };
export const string: ValueCodec<string> = { write: (w, t, v, f) => w.string(t, v, f), read: readString };
export const binary: ValueCodec<Buffer> = {
  write: (w, t, v) => w.attr(t, v),
  read: readBinary,
};
/** u8 0/1 attributes that the kernel treats as booleans (IFLA_BRPORT_*, IFLA_CARRIER…). */
export const bool8: ValueCodec<boolean> = {
  write: (w, t, v, f) => w.u8(t, v ? 1 : 0, f),
  read: (a) => readU8(a) !== 0,
};
/**
 * IPv4 or IPv6 by text; by length when read. Lengths other than 4/16 (an address of a
 * family this codec does not model) leave the attribute raw rather than failing.
 */
export const ip: ValueCodec<string> = {
  write: (w, t, v, f) => w.attr(t, ipToBytes(v, f)),
  read: (a) => (a.data.length === 4 || a.data.length === 16 ? bytesToIp(a.data) : undefined),
};
export const mac: ValueCodec<string> = {
  write: (w, t, v, f) => w.attr(t, macToBytes(v, f)),
  read: (a) => bytesToMac(a.data),
};

/** A named enum over an integer codec; values outside the map stay raw when decoding. */
export function enumOf<N extends string>(base: ValueCodec<number>, names: Readonly<Record<N, number>>): ValueCodec<N> {
  const byValue = new Map<number, N>(Object.entries(names).map(([k, v]) => [v as number, k as N]));
  return {
    write: (w, t, v, f) => base.write(w, t, names[v], f),
    read: (a) => {
      const n = base.read(a);
      return n === undefined ? undefined : byValue.get(n);
    },
  };
}

export interface FieldSpec<T> {
  key: keyof T & string;
  type: number;
  codec: ValueCodec<never>;
}

/** Typed constructor for a table row: the codec must fit the property's type. */
export function field<T, K extends keyof T & string>(
  key: K,
  type: number,
  codec: ValueCodec<NonNullable<T[K]>>,
): FieldSpec<T> {
  return { key, type, codec: codec as unknown as ValueCodec<never> };
}

/** Writes every defined property of `obj` listed in `fields`, in table order. */
export function writeFields<T>(w: AttrWriter, obj: T, fields: readonly FieldSpec<T>[]): void {
  for (const f of fields) {
    const value = obj[f.key];
    if (value !== undefined) (f.codec as ValueCodec<unknown>).write(w, f.type, value, f.key);
  }
}

const NONE: ReadonlySet<number> = new Set();

/**
 * Decodes `attrs` against `fields` into `into`. Attributes not in the table and not
 * claimed by `handled` (types the caller decodes itself) go to the returned unknown list,
 * as views of the decoded buffer (see splitMessages' `own`). `ignore` lists padding types
 * (IFLA_PAD…) that carry nothing.
 */
export function readFields<T>(
  attrs: readonly RawAttr[],
  fields: readonly FieldSpec<T>[],
  into: T,
  handled: ReadonlySet<number> = NONE,
  ignore: ReadonlySet<number> = NONE,
): RawAttr[] {
  const byType = fieldIndex(fields);
  const unknown: RawAttr[] = [];
  for (const a of attrs) {
    if (handled.has(a.type) || ignore.has(a.type)) continue;
    const f = byType.get(a.type);
    const value = f === undefined ? undefined : (f.codec as ValueCodec<unknown>).read(a);
    if (f === undefined || value === undefined) {
      unknown.push(a);
    } else {
      (into as Record<string, unknown>)[f.key] = value;
    }
  }
  return unknown;
}

const indexCache = new WeakMap<readonly FieldSpec<unknown>[], Map<number, FieldSpec<unknown>>>();

function fieldIndex<T>(fields: readonly FieldSpec<T>[]): Map<number, FieldSpec<T>> {
  let m = indexCache.get(fields as readonly FieldSpec<unknown>[]);
  if (!m) {
    m = new Map(fields.map((f) => [f.type, f as FieldSpec<unknown>]));
    indexCache.set(fields as readonly FieldSpec<unknown>[], m);
  }
  return m as Map<number, FieldSpec<T>>;
}
