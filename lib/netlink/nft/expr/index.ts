/**
 * Expression lists (NFTA_RULE_EXPRESSIONS, NFTA_SET_EXPRESSIONS…): NFTA_LIST_ELEM nests,
 * each NFTA_EXPR_NAME + NFTA_EXPR_DATA. One file per expression family; this file is the
 * registry that dispatches on the name.
 */
import { ValidationError } from '../../../errors';
import { AttrWriter, parseAttrs, RawAttr, readString } from '../../attr';
import { NFTA_EXPR_DATA, NFTA_EXPR_NAME, NFTA_LIST_ELEM } from '../../constants/nftables';
import { NetlinkDecodeError } from '../../errors';
import { byType, nest } from '../codecs';
import { BitwiseExpr, bitwiseCodec } from './bitwise';
import { CmpExpr, cmpCodec } from './cmp';
import { CounterExpr, counterCodec } from './counter';
import { CtExpr, ctCodec } from './ct';
import { FibExpr, fibCodec } from './fib';
import { ImmediateExpr, immediateCodec } from './immediate';
import { LookupExpr, lookupCodec } from './lookup';
import { MasqExpr, masqCodec } from './masq';
import { MetaExpr, metaCodec } from './meta';
import { NatExpr, natCodec } from './nat';
import { PayloadExpr, payloadCodec } from './payload';
import type { RawExpr } from './raw';
import { RejectExpr, rejectCodec } from './reject';
import type { ExprCodec } from './types';

export type Expr =
  | MetaExpr
  | PayloadExpr
  | CmpExpr
  | BitwiseExpr
  | LookupExpr
  | ImmediateExpr
  | CounterExpr
  | CtExpr
  | NatExpr
  | MasqExpr
  | FibExpr
  | RejectExpr
  | RawExpr;

type TypedExpr = Exclude<Expr, RawExpr>;

const CODECS: { [T in TypedExpr['type']]: ExprCodec<Extract<TypedExpr, { type: T }>> } = {
  meta: metaCodec,
  payload: payloadCodec,
  cmp: cmpCodec,
  bitwise: bitwiseCodec,
  lookup: lookupCodec,
  immediate: immediateCodec,
  counter: counterCodec,
  ct: ctCodec,
  nat: natCodec,
  masq: masqCodec,
  fib: fibCodec,
  reject: rejectCodec,
};
const BY_NAME = new Map<string, ExprCodec<TypedExpr>>(
  Object.values(CODECS).map((c) => [c.name, c as ExprCodec<TypedExpr>]),
);

/** One expression: NFTA_EXPR_NAME then NFTA_EXPR_DATA (always present for typed ones). */
export function writeExpr(w: AttrWriter, e: Expr, field = 'expr'): void {
  if (e.type === 'raw') {
    if (typeof e.name !== 'string' || e.name.length === 0) throw new ValidationError(`${field}: raw expression without a name`, { field });
    w.string(NFTA_EXPR_NAME, e.name, `${field}.name`);
    if (e.data !== undefined) w.nest(NFTA_EXPR_DATA, (n) => n.raw(e.data!), true);
    return;
  }
  const codec = (CODECS as Record<string, ExprCodec<TypedExpr>>)[e.type];
  if (codec === undefined) throw new ValidationError(`${field}: unknown expression type '${String((e as { type: unknown }).type)}'`, { field });
  w.string(NFTA_EXPR_NAME, codec.name, `${field}.name`);
  nest(w, NFTA_EXPR_DATA, (n) => codec.write(n, e));
}

/** The NFTA_LIST_ELEM nests of an expression list. */
export function writeExprList(w: AttrWriter, exprs: readonly Expr[], field = 'exprs'): void {
  exprs.forEach((e, i) => nest(w, NFTA_LIST_ELEM, (n) => writeExpr(n, e, `${field}[${i}]`)));
}

/** One expression from the attributes inside an NFTA_LIST_ELEM. */
export function decodeExpr(attrs: readonly RawAttr[]): Expr {
  const m = byType(attrs);
  const nameAttr = m.get(NFTA_EXPR_NAME);
  if (nameAttr === undefined) throw new NetlinkDecodeError('expression without NFTA_EXPR_NAME');
  const name = readString(nameAttr);
  const dataAttr = m.get(NFTA_EXPR_DATA);
  const codec = BY_NAME.get(name);
  if (codec !== undefined && dataAttr !== undefined) {
    const typed = codec.read(parseAttrs(dataAttr.data));
    if (typed !== undefined) return typed;
  }
  const raw: RawExpr = { type: 'raw', name };
  if (dataAttr !== undefined) raw.data = Buffer.from(dataAttr.data);
  return raw;
}

/** The body of an expression-list attribute. */
export function decodeExprList(body: Buffer): Expr[] {
  const out: Expr[] = [];
  for (const a of parseAttrs(body)) {
    if (a.type !== NFTA_LIST_ELEM) continue;
    out.push(decodeExpr(parseAttrs(a.data)));
  }
  return out;
}

export type { BitwiseExpr, CmpExpr, CounterExpr, CtExpr, FibExpr, ImmediateExpr, LookupExpr, MasqExpr, MetaExpr, NatExpr, PayloadExpr, RawExpr, RejectExpr };
export { META_KEY } from './meta';
export type { MetaKey } from './meta';
export { PAYLOAD_BASE } from './payload';
export type { PayloadBase } from './payload';
export { CMP_OP } from './cmp';
export type { CmpOp } from './cmp';
export { BITWISE_OP } from './bitwise';
export type { BitwiseOp } from './bitwise';
export { CT_KEY } from './ct';
export type { CtKey } from './ct';
export { NAT_TYPE } from './nat';
export type { NatType } from './nat';
export { FIB_RESULT } from './fib';
export type { FibResult } from './fib';
export { REJECT_TYPE } from './reject';
export type { RejectType } from './reject';
