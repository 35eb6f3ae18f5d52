/**
 * How one expression family is encoded: the kernel's expression name (NFTA_EXPR_NAME)
 * and a table of its NFTA_<NAME>_* attributes. Attributes are written in table order,
 * which is chosen to match what libnftnl sends, so our bytes equal nft's. Attributes the
 * table does not know are kept in `unknown` and written back after the known ones.
 */
import { AttrWriter, RawAttr, writeRawAttrs } from '../../attr';
import { field, FieldSpec, readFields, u8, ValueCodec, writeFields } from '../../fields';
import { be32, be64, nest } from '../codecs';
import { decodeData, decodeValue, NftData, writeData, writeValue } from '../data';
import type { NamedEnum } from '../enum';

export interface ExprCodec<E> {
  /** NFTA_EXPR_NAME ('meta', 'cmp', …). */
  readonly name: string;
  write(w: AttrWriter, e: E): void;
  /** undefined: required attributes missing; the caller keeps the expression raw. */
  read(attrs: readonly RawAttr[]): E | undefined;
}

/** Common to every typed expression: attributes this codec did not recognise. */
export interface ExprBase {
  unknown?: RawAttr[];
}

/** A kernel enum sent as __be32, named (see enum.ts). */
export function be32Enum<N extends string>(e: NamedEnum<N>): ValueCodec<N | number> {
  return {
    write: (w, t, v, f) => be32.write(w, t, e.toNumber(v, f), f),
    read: (a) => {
      const n = be32.read(a);
      return n === undefined ? undefined : e.toName(n);
    },
  };
}

/** An nft_data attribute holding a value: a nest with NFTA_DATA_VALUE inside. */
export const valueData: ValueCodec<Buffer> = {
  write: (w, t, v, f) => nest(w, t, (n) => writeValue(n, v, f)),
  read: decodeValue,
};

/** An nft_data attribute holding a value or a verdict. */
export const anyData: ValueCodec<NftData> = {
  write: (w, t, v, f) => nest(w, t, (n) => writeData(n, v, f)),
  read: decodeData,
};

export { be32, be64, u8, field };

/**
 * An expression codec from a field table. `required` names the properties without which
 * the expression cannot mean anything; `ignore` lists padding attributes (NFTA_*_PAD).
 */
export function tableExpr<E extends { type: string } & ExprBase>(
  name: string,
  type: E['type'],
  fields: readonly FieldSpec<E>[],
  required: readonly (keyof E & string)[],
  ignore: ReadonlySet<number> = new Set(),
): ExprCodec<E> {
  return {
    name,
    write(w, e) {
      writeFields(w, e, fields);
      writeRawAttrs(w, e.unknown);
    },
    read(attrs) {
      const e = { type } as E;
      const unknown = readFields(attrs, fields, e, new Set(), ignore);
      if (unknown.length) e.unknown = unknown;
      for (const k of required) if (e[k] === undefined) return undefined;
      return e;
    },
  };
}
