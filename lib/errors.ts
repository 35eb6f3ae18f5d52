/**
 * nsnet's error hierarchy, shaped like Node's SystemError so that callers can branch on
 * `code` ('EEXIST', 'ENOENT', …) exactly as they would for an fs or net error.
 *
 * - `errno` is negative, as the kernel returns it in NLMSG_ERROR.
 * - `syscall` is the syscall or, for netlink, the request type ('RTM_NEWLINK').
 * - `extack` is the kernel's extended-ack message, when it sent one.
 * - `op` is the nsnet verb ('linkAdd'), `target` what it acted on ('br0').
 * Context is added with `cause`, never by rewriting the message, so `code` survives.
 */
import { constants as osConstants } from 'node:os';

export interface NsnetErrorInit {
  code: string;
  errno?: number;
  syscall?: string;
  extack?: string;
  op?: string;
  target?: string;
  cause?: unknown;
}

const errnoNames: Map<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, value]) => [value as number, name]),
);

/**
 * 'EEXIST' for 17 or -17. Node knows only the POSIX names: for Linux-only ones (EXFULL,
 * which a bridge with 1,024 ports answers) `named` is the addon's (glibc's) name; else 'E<n>'.
 */
export function errnoCode(errno: number, named?: string): string {
  return errnoNames.get(Math.abs(errno)) ?? (named !== undefined && /^E[A-Z][A-Z0-9]*$/.test(named) ? named : `E${Math.abs(errno)}`);
}

export class NsnetError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  readonly extack: string | undefined;
  readonly op: string | undefined;
  readonly target: string | undefined;

  constructor(message: string, init: NsnetErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.errno = init.errno;
    this.syscall = init.syscall;
    this.extack = init.extack;
    this.op = init.op;
    this.target = init.target;
  }
}

/** A kernel call failed; `errno` and `code` are the kernel's. */
export class KernelError extends NsnetError {}

/** ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL on delete/get: the object is not there. */
export class NotFoundError extends KernelError {}

/** EEXIST: the object is already there. */
export class AlreadyExistsError extends KernelError {}

/** EPERM, EACCES: the caller lacks the capability (usually CAP_NET_ADMIN). */
export class PermissionError extends KernelError {}

/** NLM_F_DUMP_INTR: the kernel's object set changed during a dump; retried a bounded number of times. */
export class DumpInterruptedError extends KernelError {}

/** Input rejected before any kernel call; nothing changed. */
export class ValidationError extends NsnetError {
  /** The input field that was rejected ('name', 'mtu', …). */
  readonly field: string | undefined;
  constructor(message: string, init: Omit<NsnetErrorInit, 'code'> & { field?: string; code?: string }) {
    super(message, { ...init, code: init.code ?? 'EINVAL' });
    this.field = init.field;
  }
}

/** Several independent failures, e.g. during a teardown that carried on past the first. */
export class AggregateNsnetError extends NsnetError {
  readonly errors: readonly Error[];
  constructor(message: string, errors: readonly Error[], init: Partial<NsnetErrorInit> = {}) {
    super(message, { code: init.code ?? 'EAGGREGATE', ...init });
    this.errors = errors;
  }
}

const NOT_FOUND = new Set(['ENOENT', 'ENODEV', 'ESRCH', 'EADDRNOTAVAIL', 'ENXIO']);
const PERMISSION = new Set(['EPERM', 'EACCES']);

export interface KernelErrorInfo {
  errno: number;
  /** The addon's name for errno, used when Node has none (see errnoCode). */
  code?: string | undefined;
  syscall: string;
  extack?: string | undefined;
  op?: string | undefined;
  target?: string | undefined;
  cause?: unknown;
}

/** Builds the right subclass for a kernel errno (negative or positive). */
export function kernelError(info: KernelErrorInfo): KernelError {
  const errno = -Math.abs(info.errno);
  const code = errnoCode(errno, info.code);
  const what = [info.op, info.target].filter(Boolean).join(' ');
  const detail = info.extack ? `: ${info.extack}` : '';
  const message = `${what ? `${what}: ` : ''}${info.syscall} failed with ${code}${detail}`;
  const init: NsnetErrorInit = {
    code,
    errno,
    syscall: info.syscall,
    extack: info.extack,
    op: info.op,
    target: info.target,
    cause: info.cause,
  };
  if (code === 'EEXIST') return new AlreadyExistsError(message, init);
  if (NOT_FOUND.has(code)) return new NotFoundError(message, init);
  if (PERMISSION.has(code)) return new PermissionError(message, init);
  if (code === 'EINTR') return new DumpInterruptedError(message, init);
  return new KernelError(message, init);
}

/** True for errors that mean "already gone": what idempotent teardown ignores. */
export function isNotFound(err: unknown): boolean {
  return err instanceof NotFoundError || (err instanceof NsnetError && NOT_FOUND.has(err.code));
}

/**
 * Turns an addon rejection (a plain Error carrying `errno`) into the typed error for it;
 * anything else (an NsnetError, a bad-argument TypeError) is returned as it is.
 */
export function fromNativeError(err: unknown, syscall: string, op: string, target: string): Error {
  const e = err as { errno?: number; code?: string };
  if (err instanceof NsnetError || typeof e?.errno !== 'number') return err as Error;
  return kernelError({ errno: e.errno, code: e.code, syscall, op, target, cause: err });
}
