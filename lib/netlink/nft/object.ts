/**
 * What every nf_tables object message shares: the family from nfgenmsg, a table-driven
 * attribute body, unknown attributes kept raw, and nfgenmsg.res_id, which in replies is
 * the ruleset generation (low 16 bits) the object was read at.
 */
import { AttrWriter, RawAttr, writeRawAttrs } from '../attr';
import { FieldSpec, readFields, writeFields } from '../fields';
import { DecodedFamily, familyName, familyNumber } from './family';
import { decodeNfgen, writeNfgenmsg } from './message';

export interface NftObjectBase {
  /** nfgenmsg.nfgen_family, by nft's name ('inet', 'ip', …). */
  family: DecodedFamily;
  /** Attributes this codec does not know, written back unchanged. */
  unknown?: RawAttr[];
}

/** nfgenmsg + fields in table order + the caller's extra attributes + unknown ones. */
export function writeObject<T extends NftObjectBase>(
  w: AttrWriter,
  obj: T,
  fields: readonly FieldSpec<T>[],
  extra?: (w: AttrWriter) => void,
): void {
  writeNfgenmsg(w, familyNumber(obj.family));
  writeFields(w, obj, fields);
  extra?.(w);
  writeRawAttrs(w, obj.unknown);
}

/**
 * Decodes nfgenmsg + attributes against `fields`; attributes in `handled` are left for
 * `rest` to read, and `ignore` are padding.
 */
export function decodeObject<T extends NftObjectBase>(
  payload: Buffer,
  fields: readonly FieldSpec<T>[],
  handled: ReadonlySet<number> = new Set(),
  ignore: ReadonlySet<number> = new Set(),
  rest?: (obj: T, attrs: readonly RawAttr[]) => void,
): T {
  const { family, attrs } = decodeNfgen(payload);
  const obj = { family: familyName(family) } as T;
  const unknown = readFields(attrs, fields, obj, handled, ignore);
  rest?.(obj, attrs.filter((a) => handled.has(a.type)));
  if (unknown.length) obj.unknown = unknown;
  return obj;
}
