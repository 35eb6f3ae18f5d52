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
