/**
 * The rule builder: typed shortcuts for the matches and statements nsnet's firewall uses,
 * producing the same expressions as nft 1.0.6 for the same text.
 */
export { match, CT_STATES, CT_STATUSES, FIB_ADDRTYPES } from './match';
export type { MatchOptions, CtState, CtStatus, FibAddrType } from './match';
export { verdict, counter, nat, masquerade, verdictMap, reject, ICMP_CODES, ICMPX_CODES, ICMPV6_CODES } from './actions';
export type { NatTarget, NatMapOptions, NatFamily, MasqOptions } from './actions';
export { sel, concatRegisters, loadKey } from './selectors';
export type { Selector, PortProto } from './selectors';
export { ruleExprs, dependencyExprs } from './part';
export type { RulePart, Dependency } from './part';
export { table, baseChain, chain, set, rule, hookNumber, PRIORITIES, keyElements, mapElements, verdictElements, prefixElements, rangeElement } from './objects';
export type { BaseChainSpec, SetSpec, RuleSpec, HookName, PriorityName, SetFlag } from './objects';
export { DATATYPES, NFT_TYPE_BITS, datatype, keySpec, VERDICT_DATA_TYPE } from './datatypes';
export type { DatatypeName, NftDatatype, KeySpec } from './datatypes';
export { encodeValue, encodeKey, parsePrefix, prefixEnd, prefixMask, maskBytes, ifname, port, hostU32, l4protoNumber, L4PROTOS, IFNAMSIZ } from './values';
export type { Value, Prefix, L4ProtoName } from './values';
