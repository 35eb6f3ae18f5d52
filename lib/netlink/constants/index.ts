/** Every kernel constant lib/netlink uses, under its kernel name. */
export * from './netlink';
export * from './rtnetlink';
export * from './link';
export * from './link-kinds';
export * from './addr';
export * from './route';
export * from './neigh';
export * from './nfnetlink';
export * from './nftables';
