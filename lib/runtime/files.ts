/**
 * The runtime's side of container files: which directory a container's processes get as
 * /etc overrides, and (re)writing it whenever what it is rendered from changed (create,
 * connect, disconnect, a forced remove handing a namespace to an heir). Rendering rules
 * are lib/dns/files.ts's.
 */
import { containerEtcDir, parseResolvConf, readHostFile, removeContainerFiles, renderContainerFiles, writeContainerFiles } from '../dns/files';
import type { HostContext } from './context';
import type { ContainerRecord } from './records';

/** The directory whose files a process of `c` sees over /etc: the namespace owner's for container:<id>. */
export function etcDirOf(stateDir: string, c: ContainerRecord): string {
  return containerEtcDir(stateDir, c.sharesWith ?? c.id);
}

/** Renders and writes `c`'s files from the records as they are now (store lock held). */
export async function writeFilesOf(ctx: HostContext, c: ContainerRecord): Promise<void> {
  if (c.sharesWith !== undefined) return; // it uses its target's files
  const networks = new Map((await ctx.store.networks()).map((n) => [n.id, n]));
  // Only links look at other containers (renderHostsFor): no copy of every record otherwise.
  const containers = c.links.length ? await ctx.store.containers() : [];
  writeContainerFiles(
    containerEtcDir(ctx.store.dir, c.id),
    renderContainerFiles(c, {
      networks,
      containers,
      hostResolv: parseResolvConf(readHostFile(ctx.dnsFiles.resolvConf)),
      hostHosts: readHostFile(ctx.dnsFiles.hosts),
    }),
  );
}

/** Idempotent. */
export function removeFilesOf(ctx: HostContext, id: string): void {
  removeContainerFiles(containerEtcDir(ctx.store.dir, id));
}
