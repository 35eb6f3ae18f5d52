/**
 * The files a runtime writes into a container for name resolution — resolv.conf and
 * hosts — rendered by Docker's rules, and the per-container directory they live in
 * (`<stateDir>/etc/<container id>/`). `containers.exec` binds that directory's files over
 * /etc/<file> in a private mount namespace of the started process, as `ip netns exec`
 * does with /etc/netns/NAME, so ordinary programs (getent, dig, curl) see them.
 *
 * resolv.conf:
 * - a user-defined network: nsnet's resolver, reached at the gateway address of each of
 *   the container's user-defined networks (see resolver.ts for why gateways and not
 *   127.0.0.11), then `search` and `options` from the host (or the container's own
 *   dnsSearch/dnsOptions), with `ndots:0` as Docker writes it. The container's `dns`
 *   servers are not written: the resolver forwards to them.
 * - the default bridge and host mode: the host's nameservers without loopback ones (a
 *   container cannot reach the host's 127.0.0.53), or the container's `dns` servers.
 *   Unlike Docker, nsnet never falls back to public resolvers when none remain.
 * - none: no nameserver at all; container:<id>: the target's files.
 *
 * hosts: the localhost lines, link entries (`ip alias name id`), then the container's own
 * addresses with its name, short ID and aliases. Host mode: a copy of the host's hosts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ContainerRecord, NetworkConfig } from '../runtime/records';
import { unlinkIfExists } from '../state/atomic-file';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** glibc reads at most three nameservers (MAXNS). */
export const MAX_NAMESERVERS = 3;

/** Parses resolv.conf the way glibc does: the last `search`/`domain` wins, options accumulate. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.search = rest;
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

/** 127.0.0.0/8 and ::1 (with or without a zone): what a container cannot reach. */
export function isLoopback(address: string): boolean {
  const a = address.split('%')[0]!.toLowerCase();
  return /^127\./.test(a) || a === '::1' || a === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(a);
}

export function renderResolvConf(conf: ResolvConf, comment: string): string {
  const lines = [`# ${comment}`];
  for (const ns of conf.nameservers) lines.push(`nameserver ${ns}`);
  if (conf.search.length) lines.push(`search ${conf.search.join(' ')}`);
  if (conf.options.length) lines.push(`options ${conf.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

const LOCALHOST = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** Docker's `--link name[:alias]`. */
export function parseLink(link: string): { name: string; alias: string } {
  const i = link.indexOf(':');
  const name = i === -1 ? link : link.slice(0, i);
  const alias = i === -1 ? link : link.slice(i + 1);
  return { name, alias: alias || name };
}

/** Docker's short ID: the first 12 hex digits. */
const shortId = (id: string): string => id.slice(0, 12);

const addr = (cidr: string | undefined): string | undefined => cidr?.split('/')[0];

/** What rendering needs besides the container itself. */
export interface RenderContext {
  networks: ReadonlyMap<string, NetworkConfig>;
  containers: readonly ContainerRecord[];
  /** The host's resolv.conf, parsed. */
  hostResolv: ResolvConf;
  /** The host's hosts file (host mode copies it). */
  hostHosts: string;
}

/** The files of a container's directory (keys of ContainerFiles). */
const CONTAINER_FILE_NAMES = ['resolv.conf', 'hosts'] as const satisfies ReadonlyArray<keyof ContainerFiles>;

export interface ContainerFiles {
  'resolv.conf': string;
  hosts: string;
}

/** The nameservers of the embedded resolver for a container: its user-defined networks' gateways. */
export function resolverAddresses(c: ContainerRecord, networks: ReadonlyMap<string, NetworkConfig>): string[] {
  const user = c.endpoints.filter((e) => networks.get(e.networkId)?.isDefault === false);
  const v4 = user.map((e) => e.gateway).filter((g): g is string => !!g);
  const v6 = user.map((e) => e.gateway6).filter((g): g is string => !!g);
  return [...new Set([...v4, ...v6])].slice(0, MAX_NAMESERVERS);
}

export function renderResolvFor(c: ContainerRecord, ctx: RenderContext): string {
  const host = ctx.hostResolv;
  const search = c.dnsSearch ?? host.search;
  if (c.mode === 'none') return renderResolvConf({ nameservers: [], search: [], options: [] }, 'Generated by nsnet: network mode none, no resolver');
  const embedded = c.mode !== 'host' ? resolverAddresses(c, ctx.networks) : [];
  if (embedded.length) {
    const options = [...(c.dnsOptions ?? host.options)];
    if (!options.some((o) => o.startsWith('ndots:'))) options.unshift('ndots:0');
    return renderResolvConf({ nameservers: embedded, search, options }, "Generated by nsnet: the embedded resolver on the container's networks");
  }
  const nameservers = (c.dns ?? host.nameservers.filter((n) => !isLoopback(n))).slice(0, MAX_NAMESERVERS);
  return renderResolvConf({ nameservers, search, options: c.dnsOptions ?? host.options }, "Generated by nsnet: the host's resolvers without loopback ones");
}

export function renderHostsFor(c: ContainerRecord, ctx: RenderContext): string {
  if (c.mode === 'host') return ctx.hostHosts;
  const lines = [...LOCALHOST];
  // Only links look at other containers: a container without them costs nothing per peer.
  const byName = c.links.length ? new Map(ctx.containers.map((o) => [o.name, o])) : new Map<string, ContainerRecord>();
  const defaultNet = [...ctx.networks.values()].find((n) => n.isDefault);
  for (const link of c.links) {
    const { name, alias } = parseLink(link);
    const target = byName.get(name) ?? ctx.containers.find((o) => o.id === name);
    const ep = target?.endpoints.find((e) => e.networkId === defaultNet?.id);
    if (!target || !ep) continue;
    const names = [...new Set([alias, target.name, shortId(target.id)])].join(' ');
    for (const a of [addr(ep.ipv4), addr(ep.ipv6)]) if (a) lines.push(`${a}\t${names}`);
  }
  for (const ep of c.endpoints) {
    const names = [...new Set([c.name, shortId(c.id), ...ep.aliases])].join(' ');
    for (const a of [addr(ep.ipv4), addr(ep.ipv6)]) if (a) lines.push(`${a}\t${names}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderContainerFiles(c: ContainerRecord, ctx: RenderContext): ContainerFiles {
  return { 'resolv.conf': renderResolvFor(c, ctx), hosts: renderHostsFor(c, ctx) };
}

/** `<stateDir>/etc/<id>`: the files of one container. */
export function containerEtcDir(stateDir: string, id: string): string {
  return path.join(stateDir, 'etc', id);
}

/**
 * Writes the files into `dir`. An existing file is rewritten in place (O_TRUNC keeps the
 * inode), so a process that already has it bind-mounted as /etc/resolv.conf sees the
 * change, as it would in a Docker container after `docker network connect`.
 */
export function writeContainerFiles(dir: string, files: ContainerFiles): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const [name, text] of Object.entries(files)) {
    const fd = fs.openSync(path.join(dir, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC, 0o644);
    try {
      fs.writeSync(fd, text, 0, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  }
}

export function removeContainerFiles(dir: string): void {
  // The files nsnet writes, then the directory: three syscalls. Anything else put there
  // (ENOTEMPTY) goes with a recursive removal.
  for (const name of CONTAINER_FILE_NAMES) unlinkIfExists(path.join(dir, name));
  try {
    fs.rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a file of the host, or '' if it is absent (a host without resolv.conf is legal). */
export function readHostFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
