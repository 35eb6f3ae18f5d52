/** lib/conntrack: conntrack entries over ctnetlink, per namespace. */
export { ConntrackHandle } from './handle';
export { ctDump, ctDelete, decodeCtEntry, ctEntriesIn } from './codec';
export type { CtEntry, CtTuple, CtFamily } from './codec';
export { ctMatcher } from './filter';
export type { ConntrackFilter } from './filter';
