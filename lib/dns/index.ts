export { DnsResolver } from './resolver';
export type { DnsResolverOptions, DnsStats } from './resolver';
export type { UpstreamOptions } from './upstream';
export { runDnsDaemon } from './daemon';
export type { DnsDaemonOptions, DnsDaemon } from './daemon';
export { parseResolvConf, renderResolvConf, renderContainerFiles, containerEtcDir } from './files';
export type { ResolvConf, ContainerFiles } from './files';
