/**
 * nsnet: container networking over netlink. This is the public surface; see README.md.
 */
export * from './errors';
export { Netns, NETNS_RUN_DIR } from './netns/netns';
export type { ExecOptions, NetnsIdentity } from './netns/netns';
export { RtnlHandle } from './rtnl/handle';
export { RtnlBatch } from './rtnl/batch';
export type { IndexedLinkChanges } from './rtnl/batch';
export type * from './rtnl/types';
export type { DecodedLink, DecodedAddr, DecodedRoute, DecodedNeigh } from './netlink';
export { startTcpServer, tcpRequest } from './probe';
export type { TcpServer, TcpResult } from './probe';
export { NftHandle } from './nft';
export { ConntrackHandle } from './conntrack';
export { Ipam, FileStore, MemoryStore, hostRoutes, netnsIdentity } from './ipam';
export type { IpamOptions, IpamStore, LeaseOwner, Lease, Allocation, Assignment, NetworkSpec as IpamNetworkSpec } from './ipam';
export { Host, DEFAULT_STATE_DIR } from './runtime/host';
export type { HostOptions } from './runtime/host';
export type { NetworkCreateOptions, Network } from './runtime/networks';
export type { ContainerCreateOptions, ConnectOptions } from './runtime/containers';
export type { ContainerRecord, EndpointRecord, NetworkConfig } from './runtime/records';
export type { DockerNetworkInspect, DockerNetworkSettings } from './runtime/inspect';
export type { Liveness, ReconcileReport } from './runtime/reconcile';
export { NoSuchObjectError, ConflictError } from './runtime/errors';
export { ExitCode, exitCodeFor } from './cli/exit-codes';
export { DnsResolver, runDnsDaemon, parseResolvConf, renderResolvConf, renderContainerFiles, containerEtcDir } from './dns';
export type { DnsResolverOptions, DnsStats, UpstreamOptions, DnsDaemonOptions, DnsDaemon, ResolvConf, ContainerFiles } from './dns';
