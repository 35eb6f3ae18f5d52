/** lib/nft: nf_tables verbs per network namespace over NETLINK_NETFILTER. */
export { NftHandle } from './handle';
export type { ApplyOptions } from './handle';
