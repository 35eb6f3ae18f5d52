/**
 * What the runtime's managers share: the host namespace and its handles, IPAM, the
 * record store, and the options that shape names and defaults.
 */
import type { Firewall } from '../firewall';
import type { Ipam } from '../ipam';
import type { Netns } from '../netns/netns';
import type { RtnlHandle } from '../rtnl/handle';
import type { PlugTemplates } from './plug-requests';
import type { RuntimeStore } from './store';
import type { FaultInjector } from './transaction';

export interface DefaultBridgeOptions {
  /** The Linux bridge's name (Docker: docker0). */
  name?: string;
  subnet?: string;
  gateway?: string;
  icc?: boolean;
  mtu?: number;
}

/** The host's own name-resolution files, which containers' files are derived from. */
export interface HostDnsFiles {
  /** The host's resolv.conf (/etc/resolv.conf by default). */
  resolvConf: string;
  /** The host's hosts file, copied for host-mode containers (/etc/hosts by default). */
  hosts: string;
}

export interface HostContext {
  /** The namespace playing the host: where bridges, host veth ends and rules live. */
  hostNs: Netns;
  rtnl: RtnlHandle;
  /** nsnet's nf_tables ruleset in the host namespace. */
  firewall: Firewall;
  ipam: Ipam;
  store: RuntimeStore;
  /** Where nsnet's own container namespaces are bind-mounted (iproute2's /run/netns by default). */
  netnsDir: string;
  defaultBridge: Required<Pick<DefaultBridgeOptions, 'name'>> & DefaultBridgeOptions;
  dnsFiles: HostDnsFiles;
  /**
   * Bridge name → ifindex, looked up once, so that later veths need no lookup. Dropped
   * when nsnet deletes the bridge; a stale entry (someone else recreated the bridge) fails
   * the enslaving request, and the whole setup, rolled back, runs again with a fresh
   * lookup. The kernel hands out ifindexes cyclically, so a stale one names no other device.
   */
  bridgeIndexes: Map<string, number>;
  /** Encoded rtnetlink requests per shape of endpoint, filled in per endpoint (see plug-requests.ts). */
  plugTemplates: PlugTemplates;
  /** Resolvers started by this Host: told to sync when a network is created or removed. */
  resolvers: Set<{ sync(): Promise<void> }>;
  /** Tests: fail a chosen step of the next setup (see transaction.ts). */
  faults?: FaultInjector;
}
