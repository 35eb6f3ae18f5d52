/** IPAM: pools, subnets and leases (see ipam.ts), and the stores that keep them. */
export { Ipam } from './ipam';
export type { CreateNetworkContext, IpamOptions } from './ipam';
export * from './errors';
export * from './types';
export type { IpamStore, LeaseTx, LeaseView, NetworkPlanner, StoreMeta } from './store';
export { FileStore } from './file-store';
export type { FileStoreOptions } from './file-store';
export { MemoryStore } from './memory-store';
export { DEFAULT_BRIDGE_POOLS, DEFAULT_POOLS, MAX_SUBNET_LENGTH } from './pools';
export { ULA_SUBNET_SIZE } from './ula';
export { hostRoutes } from './host-routes';
export { netnsIdentity, validateOwner } from './owner';
export { validateNetworkId } from './network-spec';
