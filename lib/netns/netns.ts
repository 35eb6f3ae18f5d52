/**
 * Network namespaces, compatible with iproute2: `Netns.create('a')` is `ip netns add a`
 * (a bind mount at /run/netns/a), so `ip netns list` and `ip netns exec a …` see ours and
 * `Netns.open('/run/netns/b')` opens one that `ip netns add b` made.
 *
 * A Netns holds an open fd of the namespace. Everything done "inside" it goes through
 * that fd: sockets are opened inside it once (on a short-lived thread in the addon) and
 * processes are started by the exec helper, so Node's own threads never switch namespace.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fromNativeError, NsnetError, ValidationError } from '../errors';
import { native, type NsFd } from '../native';
import { openNetlinkPlan, type PlanOutcome, type PlanStep } from '../plan';
import { RtnlBatch } from '../rtnl/batch';
import { NETLINK_ROUTE, RtnlHandle } from '../rtnl/handle';
import { peerIndexStep, rtnlBatchStep, vethIntoPlanNs, vethSpecIntoPlanNs, withPeerIndex } from '../rtnl/plan-steps';
import type { VethSpec } from '../rtnl/types';
import { validateInt, validateNetnsName } from '../validate';

/** Where iproute2 keeps named namespaces (NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = '/run/netns';

export interface NetnsIdentity {
  dev: number;
  ino: number;
}

export interface ExecOptions extends Omit<SpawnOptions, 'argv0' | 'detached'> {
  /**
   * A directory whose files are bind-mounted over /etc/<file> for the child, in a private
   * mount namespace of the helper (as `ip netns exec` does with /etc/netns/NAME).
   */
  etcDir?: string;
  /** Leave the child in its own process group (spawn's `detached`). */
  detached?: boolean;
}


export class Netns implements AsyncDisposable {
  private rtnl: RtnlHandle | undefined;
  private rtnlOpening: Promise<RtnlHandle> | undefined;

  private constructor(
    private readonly nsfd: NsFd,
    /** The namespace file, or undefined for one we only hold by fd. */
    readonly file: string | undefined,
    /** The iproute2 name when the namespace lives in the run directory. */
    readonly name: string | undefined,
  ) {}

  /** Like `ip netns add NAME`. Rejects with AlreadyExistsError if NAME is taken. */
  static async create(name: string, options: { dir?: string } = {}): Promise<Netns> {
    validateNetnsName(name);
    const dir = options.dir ?? NETNS_RUN_DIR;
    const file = path.join(dir, name);
    try {
      // The thread that makes the namespace also opens its rtnetlink socket: one thread
      // and one pool round trip per namespace instead of two.
      const { ns, socket } = await native().netnsCreate(dir, name, { netlinkProtocol: NETLINK_ROUTE });
      const created = new Netns(ns, file, name);
      if (socket) created.rtnl = RtnlHandle.adopt(socket);
      return created;
    } catch (err) {
      throw fromNativeError(err, 'unshare', 'netnsCreate', name);
    }
  }

  /**
   * Like `ip netns add NAME`, `ip link add HOST type veth peer name PEER netns NAME`, then
   * `configure` inside the new namespace — for one thread hand-off instead of one per
   * request (see lib/plan.ts). The veth goes through `host` (an RtnlHandle of the namespace
   * where its host end lives); its peer is born inside under its final name. `configure`
   * runs inside by ifindex, with RtnlBatch.PEER standing for the peer's (looked up in the
   * same hand-off). A failure leaves neither namespace nor veth.
   */
  static async createWithVeth(
    name: string,
    host: RtnlHandle,
    veth: Omit<VethSpec, 'kind' | 'peer' | 'master'> & { master?: number; peer: Omit<VethSpec['peer'], 'netns'> },
    configure: RtnlBatch = new RtnlBatch(),
    options: { dir?: string } = {},
  ): Promise<Netns> {
    validateNetnsName(name);
    const dir = options.dir ?? NETNS_RUN_DIR;
    const { master, ...spec } = veth;
    const full = vethSpecIntoPlanNs({ kind: 'veth', ...spec });
    // The namespace first: unshare and the bind mount are most of the kernel's work, and
    // the requests are encoded while the plan's thread does them (it waits for them).
    const plan = openNetlinkPlan([], { create: { dir, name } }, { replies: false });
    let steps: PlanStep[];
    try {
      steps = [vethIntoPlanNs(`veth ${spec.name}`, full, master, host.planSocket), peerIndexStep(spec.peer.name)];
      if (configure.size > 0) steps.push(withPeerIndex(rtnlBatchStep('configure', configure.encode(), configure.entries), 1, configure.offsetsOf(RtnlBatch.PEER)));
    } catch (err) {
      plan.push([], true);
      await Netns.discardCreated(await plan.outcome, name, dir);
      throw err;
    }
    plan.push(steps, true);
    const outcome = await plan.outcome;
    if (outcome.ok) return new Netns(outcome.ns!, path.join(dir, name), name);
    if (outcome.step < 0) throw fromNativeError(outcome.error, 'unshare', 'netnsCreate', name);
    // Undo what was done: the veth (its peer goes with it), then the namespace.
    if (outcome.step > 0) await host.linkDel(spec.name).catch(() => undefined);
    await Netns.deleteByName(name, dir).catch(() => undefined);
    throw outcome.error;
  }

  /** Drops a namespace a plan made that its caller no longer wants (nothing else ran in it). */
  private static async discardCreated(outcome: PlanOutcome, name: string, dir: string): Promise<void> {
    if (!outcome.ok || !outcome.ns) return;
    outcome.ns.close();
    await Netns.deleteByName(name, dir).catch(() => undefined);
  }

  /** Opens a namespace file: /run/netns/NAME, /proc/PID/ns/net, or a runtime's own bind mount. */
  static async open(file: string): Promise<Netns> {
    if (typeof file !== 'string' || !path.isAbsolute(file) || file.includes('\0')) {
      throw new ValidationError(`namespace path must be absolute, got '${String(file)}'`, { field: 'path', op: 'netnsOpen' });
    }
    try {
      const fd = native().nsOpen(file);
      const inRunDir = path.dirname(file) === NETNS_RUN_DIR;
      return new Netns(fd, file, inRunDir ? path.basename(file) : undefined);
    } catch (err) {
      throw fromNativeError(err, 'open', 'netnsOpen', file);
    }
  }

  /** Like `ip netns exec` by pid: the network namespace of process `pid`. */
  static async fromPid(pid: number): Promise<Netns> {
    validateInt(pid, 'pid', 1, 2 ** 22);
    try {
      return new Netns(native().nsOpenPid(pid), `/proc/${pid}/ns/net`, undefined);
    } catch (err) {
      throw fromNativeError(err, 'open', 'netnsFromPid', String(pid));
    }
  }

  /** The namespace this process runs in. */
  static async current(): Promise<Netns> {
    return new Netns(native().nsCurrent(), undefined, undefined);
  }

  /** The open namespace fd (valid until close()). */
  get fd(): NsFd {
    this.assertOpen();
    return this.nsfd;
  }

  get closed(): boolean {
    return this.nsfd.closed;
  }

  /**
   * A path that names exactly the namespace we hold, for another process to open: our own
   * fd seen through /proc, which stays right even if the named file is later re-bound.
   */
  get procPath(): string {
    this.assertOpen();
    return `/proc/${process.pid}/fd/${this.nsfd.fd}`;
  }

  /** st_dev/st_ino: equal for two handles of the same namespace. */
  identity(): NetnsIdentity {
    return this.fd.identity();
  }

  equals(other: Netns): boolean {
    const a = this.identity();
    const b = other.identity();
    return a.dev === b.dev && a.ino === b.ino;
  }

  /** The rtnetlink handle for this namespace, opened on first use and shared. */
  async handle(): Promise<RtnlHandle> {
    this.assertOpen();
    if (this.rtnl && !this.rtnl.closed) return this.rtnl;
    this.rtnlOpening ??= RtnlHandle.open(this.nsfd).finally(() => {
      this.rtnlOpening = undefined;
    });
    const rtnl = await this.rtnlOpening;
    if (this.nsfd.closed) {
      // close() ran while the socket was being opened: do not leak it.
      rtnl.close();
      this.assertOpen();
    }
    this.rtnl = rtnl;
    return rtnl;
  }

  /** Writes /proc/sys/<key> inside the namespace ('net/ipv4/ip_forward'). */
  async setSysctl(key: string, value: string | number): Promise<void> {
    try {
      await native().sysctlWrite(this.fd, key, String(value));
    } catch (err) {
      throw fromNativeError(err, 'write', 'setSysctl', key);
    }
  }

  /** Reads /proc/sys/<key> inside the namespace. */
  async getSysctl(key: string): Promise<string> {
    try {
      return await native().sysctlRead(this.fd, key);
    } catch (err) {
      throw fromNativeError(err, 'read', 'getSysctl', key);
    }
  }

  /**
   * Runs a command inside the namespace, like `ip netns exec NAME cmd args…`. The exec
   * helper enters the namespace and execve's the command, so Node never forks itself.
   */
  exec(command: string, args: readonly string[] = [], options: ExecOptions = {}): ChildProcess {
    const { etcDir, ...spawnOptions } = options;
    const helperArgs = ['--netns', this.procPath];
    if (etcDir !== undefined) helperArgs.push('--etc-dir', etcDir);
    helperArgs.push('--', command, ...args);
    return spawn(native().execHelperPath, helperArgs, spawnOptions);
  }

  /**
   * Runs a command inside the namespace file `file` (a bind mount under /run/netns, a
   * runtime's own, /proc/PID/ns/net) without opening it here: the helper opens it.
   */
  static execAt(file: string, command: string, args: readonly string[] = [], options: ExecOptions = {}): ChildProcess {
    if (typeof file !== 'string' || !path.isAbsolute(file) || file.includes('\0')) {
      throw new ValidationError(`namespace path must be absolute, got '${String(file)}'`, { field: 'path', op: 'netnsExec' });
    }
    const { etcDir, ...spawnOptions } = options;
    const helperArgs = ['--netns', file];
    if (etcDir !== undefined) helperArgs.push('--etc-dir', etcDir);
    helperArgs.push('--', command, ...args);
    return spawn(native().execHelperPath, helperArgs, spawnOptions);
  }

  /**
   * Like `ip netns delete NAME`: unmounts and removes the namespace file. The namespace
   * itself lives on while any process or fd still holds it. Idempotent.
   */
  async delete(): Promise<void> {
    const { file, name } = this;
    if (file === undefined || name === undefined) {
      throw new ValidationError('only a named namespace (in the run directory) can be deleted', { field: 'name', op: 'netnsDelete' });
    }
    this.close();
    await Netns.deleteByName(name, path.dirname(file));
  }

  /** Like `ip netns delete NAME`, without opening it first. Resolves false if it was not there. */
  static async deleteByName(name: string, dir: string = NETNS_RUN_DIR): Promise<boolean> {
    validateNetnsName(name);
    try {
      return await native().netnsDelete(path.join(dir, name));
    } catch (err) {
      throw fromNativeError(err, 'umount2', 'netnsDelete', name);
    }
  }

  /** Closes the rtnetlink handle and the namespace fd. Idempotent. */
  close(): void {
    this.rtnl?.close();
    this.rtnl = undefined;
    if (!this.nsfd.closed) this.nsfd.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private assertOpen(): void {
    if (this.nsfd.closed) {
      throw new NsnetError(`namespace ${this.name ?? this.file ?? ''} is closed`, { code: 'EBADF', op: 'netns' });
    }
  }
}
