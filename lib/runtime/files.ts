/**
 * The runtime's side of container files: which directory a container's processes get as
 * /etc overrides, and (re)writing it whenever what it is rendered from changed (create,
 * connect, disconnect, a forced remove handing a namespace to an heir). Rendering rules
 * are lib/dns/files.ts's.
 */
import fs from 'node:fs';
import { containerEtcDir, parseResolvConf, readHostFile, removeContainerFiles, renderContainerFiles, writeContainerFiles, type ResolvConf } from '../dns/files';
import type { HostContext } from './context';
import type { ContainerRecord } from './records';

/** The directory whose files a process of `c` sees over /etc: the namespace owner's for container:<id>. */
export function etcDirOf(stateDir: string, c: ContainerRecord): string {
  return containerEtcDir(stateDir, c.sharesWith ?? c.id);
}

/**
 * The host's resolv.conf and hosts, re-read and re-parsed only when they changed: one stat
 * per container instead of a read and a parse. A rewrite (editors, resolvconf) changes
 * the inode or mtime; an in-place write changes the mtime.
 */
const hostFiles = new Map<string, { stamp: string; text: string; resolv?: ResolvConf }>();

function hostFile(file: string): { text: string; resolv?: ResolvConf } {
  const st = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  const stamp = st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}` : 'absent';
  let cached = hostFiles.get(file);
  if (cached?.stamp !== stamp) {
    cached = { stamp, text: readHostFile(file) };
    hostFiles.set(file, cached);
  }
  return cached;
}

function hostResolv(file: string): ResolvConf {
  const f = hostFile(file);
  if (f.resolv === undefined) {
    // Shared by every render until the file changes: frozen, so no render can alter it.
    const parsed = parseResolvConf(f.text);
    f.resolv = Object.freeze({ nameservers: Object.freeze(parsed.nameservers), search: Object.freeze(parsed.search), options: Object.freeze(parsed.options) }) as ResolvConf;
  }
  return f.resolv;
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
      hostResolv: hostResolv(ctx.dnsFiles.resolvConf),
      hostHosts: hostFile(ctx.dnsFiles.hosts).text,
    }),
  );
}

/** Idempotent. */
export function removeFilesOf(ctx: HostContext, id: string): void {
  removeContainerFiles(containerEtcDir(ctx.store.dir, id));
}
