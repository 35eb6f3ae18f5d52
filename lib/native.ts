/**
 * The only file that loads the C++ addon (native/). Everything that needs a file
 * descriptor or a namespace syscall goes through the typed interface below.
 *
 * Contract of the addon (see native/README.md):
 * - Every fd is owned by a JS object (`NsFd`, `NetlinkSocket`, `FileLock`) that closes it
 *   on close() and, as a last resort, when garbage-collected. All fds are O_CLOEXEC.
 * - Calls that switch namespace run on a fresh thread that exits afterwards; the JS thread
 *   and the libuv pool never change namespace.
 * - Rejections are Error objects with `errno` (negative), `code` ('EEXIST'), `syscall`
 *   and, for netlink, `extack`, `index` and `msgType`; lib/ maps them onto lib/errors.ts.
 */
import bindings from 'bindings';
import path from 'node:path';

/** An open namespace file (/run/netns/NAME, /proc/PID/ns/net, …). */
export interface NsFd {
  readonly fd: number;
  readonly closed: boolean;
  /** st_dev/st_ino of the namespace: equal for two fds of the same namespace. */
  identity(): { dev: number; ino: number };
  close(): void;
}

/** One failed message inside a multi-message request. */
export interface NetlinkMessageError {
  /** Position of the failed message in the request buffer (0-based). */
  index: number;
  /** Negative errno, as in NLMSG_ERROR. */
  errno: number;
  /** Kernel extack message, if any. */
  extack?: string;
  /** Offset in the failed message of the offending attribute (NLMSGERR_ATTR_OFFS). */
  extackOffset?: number;
  /** nlmsg_type of the failed request message. */
  msgType: number;
}

export interface TransactOptions {
  /**
   * Resolve with `errors` listing failed messages instead of rejecting on the first
   * one. Used by bulk operations that ignore some errors (e.g. ENODEV on delete).
   */
  collectErrors?: boolean;
}

export interface TransactResult {
  /** All data messages the kernel sent (no ACK, no DONE), concatenated, as received. */
  data: Buffer;
  /** Failed messages; empty unless collectErrors was set. */
  errors: NetlinkMessageError[];
  /** Sequence number stamped on the first message; message i carries seq + i. */
  seq: number;
}

/** A netlink socket bound inside one namespace. Requests on it are serialised. */
export interface NetlinkSocket {
  readonly protocol: number;
  /** The port id the kernel assigned (nl_pid). */
  readonly portId: number;
  readonly closed: boolean;
  /**
   * Sends every message in `messages` in one sendmsg. The addon stamps nlmsg_seq (one per
   * message) and nlmsg_pid (0), then receives until each message that carries NLM_F_ACK or
   * NLM_F_DUMP got its terminal reply (NLMSG_ERROR / NLMSG_DONE), checking seq and port.
   * A reply flagged NLM_F_DUMP_INTR rejects with code 'EINTR' and `dumpInterrupted: true`
   * after the dump was drained.
   */
  transact(messages: Buffer, options?: TransactOptions): Promise<TransactResult>;
  close(): void;
}

/** Copies a u32 into a plan step's request before it is sent (see NativeAddon.netlinkPlan). */
export interface PlanPatch {
  /** 'ns': the plan's namespace fd; a number: an earlier step, whose first reply message holds the value at byte `at`. */
  from: number | 'ns';
  at?: number;
  /** Byte offsets in the step's messages to write the value to. */
  to: number[];
}

export interface NativePlanStep {
  /** Where the step goes; none: the socket the plan opened inside its namespace. */
  socket?: NetlinkSocket;
  messages: Buffer;
  patch?: PlanPatch[];
}

/** An open plan's queue of steps: opaque, for netlinkPlanPush. */
export type NativePlanQueue = { readonly __nativePlanQueue: unique symbol };

export interface OpenNativePlan {
  readonly done: Promise<{ replies: Buffer[]; ns?: NsFd }>;
  readonly queue: NativePlanQueue;
}

/** The plan's namespace: made by the plan (like netnsCreate) or entered by fd. */
export interface NativePlanNs {
  create?: { dir: string; name: string };
  enter?: NsFd;
  /** Protocol of the socket opened inside it (default NETLINK_ROUTE). */
  protocol?: number;
}

export interface FileLock {
  readonly fd: number;
  readonly closed: boolean;
  /** Releases the lock and closes the fd. Idempotent. */
  release(): void;
}

export interface NativeAddon {
  /**
   * Creates a named network namespace exactly as `ip netns add` does: makes `dir`
   * (e.g. /run/netns) a shared mount point, creates `dir/name` and bind-mounts a new
   * network namespace on it. Rejects with EEXIST if the name is taken. Resolves with an
   * open fd of the new namespace and, when `netlinkProtocol` is given, a netlink socket
   * of that protocol opened inside it by the same short-lived thread.
   */
  netnsCreate(dir: string, name: string, options?: { netlinkProtocol?: number }): Promise<{ ns: NsFd; socket?: NetlinkSocket }>;
  /**
   * Runs netlink exchanges on several sockets one after the other on one thread (one
   * hand-off for all; a thread of the plan's own when it makes or enters `ns`, which it
   * does itself and then exits, else a pool thread): first makes or enters `ns` and opens
   * a socket inside it (for steps without `socket`), then each step as `transact` does,
   * after its patches. Stops at the first failed message: rejects with that message's
   * error plus `step` (its index; -1 if the namespace could not be made or entered).
   * Steps before it were done; a namespace the plan made exists unless `step` is -1.
   * Resolves with each step's reply data and the fd of a namespace it made.
   */
  netlinkPlan(steps: NativePlanStep[], ns?: NativePlanNs): Promise<{ replies: Buffer[]; ns?: NsFd }>;
  /**
   * netlinkPlan whose first steps start at once while JS works out the rest:
   * netlinkPlanPush adds steps to its queue. The plan's thread waits for steps until the
   * last push, so every open plan must be ended (a queue collected unended ends it).
   * With `apart`, the plan's thread keeps off the CPU the caller runs on (when it is the
   * only plan thread running and the process may use another CPU): for a caller with work
   * of its own to do while the plan runs. With `replies: false`, `done` resolves with no
   * replies (an empty array), for a caller that does not read them.
   * Throws a TypeError for bad arguments.
   */
  netlinkPlanOpen(steps: NativePlanStep[], ns?: NativePlanNs, options?: { apart?: boolean; replies?: boolean }): OpenNativePlan;
  /**
   * Adds steps to an open plan (numbered after those before, for patches) and, with
   * `last`, ends it. Returns false if the plan already stopped at a failure (the steps
   * are dropped); throws a TypeError once it was ended.
   */
  netlinkPlanPush(queue: NativePlanQueue, steps: NativePlanStep[], last: boolean): boolean;
  /** Unmounts (MNT_DETACH) and unlinks a namespace file. Resolves false if it was not there. */
  netnsDelete(file: string): Promise<boolean>;
  /** Opens a namespace file by path (synchronous open, O_RDONLY|O_CLOEXEC). */
  nsOpen(file: string): NsFd;
  /** Opens /proc/<pid>/ns/net. */
  nsOpenPid(pid: number): NsFd;
  /** Opens the network namespace of the calling (JS) thread. */
  nsCurrent(): NsFd;
  /** Opens a netlink socket of `protocol` inside `ns` (null: the current namespace). */
  netlinkOpen(protocol: number, ns: NsFd | null): Promise<NetlinkSocket>;
  /** Writes `value` to /proc/sys/<key> inside `ns` (key like 'net/ipv4/ip_forward'). */
  sysctlWrite(ns: NsFd | null, key: string, value: string): Promise<void>;
  /** Reads /proc/sys/<key> inside `ns`, trailing newline removed. */
  sysctlRead(ns: NsFd | null, key: string): Promise<string>;
  /** flock(2) on `file` (created if missing, mode 0600); waits unless `wait` is false (then EWOULDBLOCK). */
  lock(file: string, exclusive: boolean, wait: boolean): Promise<FileLock>;
  /** flock(2) with LOCK_NB on the calling thread (open and flock never block): null if held elsewhere. */
  tryLock(file: string, exclusive: boolean): FileLock | null;
  /**
   * A UDP or TCP socket created inside `ns` (null: the current namespace) by a fresh
   * short-lived thread, bound to address:port when an address is given (TCP with
   * SO_REUSEADDR; IPv6 with IPV6_V6ONLY). Resolves with the raw fd (O_CLOEXEC,
   * O_NONBLOCK), which the caller must hand to node:dgram `bind({ fd })` / node:net
   * `listen({ fd })` / `new Socket({ fd })`, or close.
   */
  inetSocket(ns: NsFd | null, family: 4 | 6, type: 'udp' | 'tcp', address?: string, port?: number): Promise<number>;
  /** Absolute path of the exec helper (enter namespace, then execve). */
  readonly execHelperPath: string;
}

interface RawAddon extends Omit<NativeAddon, 'execHelperPath'> {}

let cached: NativeAddon | undefined;

/** Loads the addon once; throws a clear error if it was not built. */
export function native(): NativeAddon {
  if (cached) return cached;
  const raw = bindings({ bindings: 'nsnet', module_root: path.resolve(__dirname, '..', '..') }) as RawAddon;
  const helper = path.resolve(__dirname, '..', '..', 'build', 'Release', 'nsnet-exec');
  cached = Object.assign(Object.create(null), raw, { execHelperPath: helper }) as NativeAddon;
  return cached;
}
