/**
 * An expression this codec has no type for (dynset, log, limit, a newer kernel's), or
 * one whose required attributes were missing: its name and NFTA_EXPR_DATA are kept as
 * they came and written back verbatim.
 */
export interface RawExpr {
  type: 'raw';
  /** NFTA_EXPR_NAME. */
  name: string;
  /** The payload of NFTA_EXPR_DATA (its attributes, unparsed); absent if there was none. */
  data?: Buffer;
}
