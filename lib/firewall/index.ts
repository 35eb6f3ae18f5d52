/**
 * lib/firewall: nsnet's ruleset, typed — networks (masquerade, forwarding, isolation, icc,
 * internal), published ports (nf_tables dnat maps), the user chain, reapply and snapshot.
 * One nf_tables batch per intent.
 */
export { Firewall, enableForwarding } from './firewall';
export type { FirewallOptions, PreparedPublish } from './firewall';
export { PortConflictError } from './errors';
export type { PortOwner } from './errors';
export { parsePortSpec, validatePortSpec, formatPortSpec, formatMapping, resolveMappings, parsePortRange } from './ports';
export type { HostPortChooser } from './ports';
export { PortIndex } from './port-index';
export {
  TABLE,
  CHAIN,
  SET,
  BR,
  networkChains,
  resolveNetwork,
  resolveEndpoint,
  planBase,
  planAddNetwork,
  planRemoveNetwork,
  planPublish,
  planUnpublish,
  planUnpublishMany,
  planReapply,
  planUninstall,
} from './ruleset';
export { readSnapshot } from './snapshot';
export * from './types';
