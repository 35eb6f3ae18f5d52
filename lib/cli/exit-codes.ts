/**
 * The CLI's exit codes and the one place that maps the library's typed errors onto them.
 * A script branches on the code; a person reads the one line on standard error.
 *
 *   0  ok
 *   1  generic or kernel error (a netlink request failed, the state directory is corrupt, …)
 *   2  usage or validation: bad flags, bad values, missing arguments; nothing was changed
 *   3  not found: no such network or container
 *   4  conflict: a name taken, a port or address in use, a network in use, a running container
 *   5  permission: not root / no CAP_NET_ADMIN, state directory not writable
 *   128+N  interrupted by signal N during a setup (130 SIGINT, 143 SIGTERM); rolled back
 *
 * `nsnet run` and `nsnet exec` exit with the command's own code once it has started
 * (128+N if it was killed by signal N), as a shell does; the codes above apply until then.
 */
import { constants as osConstants } from 'node:os';
import { AlreadyExistsError, NsnetError, PermissionError, ValidationError } from '../errors';
import { PortConflictError } from '../firewall';
import { AddressInUseError, SubnetOverlapError } from '../ipam';
import { ConflictError, NoSuchObjectError } from '../runtime/errors';

export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  PERMISSION: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage or input error found by the CLI itself (exit 2). */
export class UsageError extends ValidationError {
  constructor(message: string, field?: string) {
    super(message, { op: 'cli', ...(field !== undefined ? { field } : {}) });
  }
}

/** The CLI refuses because of what exists (exit 4), e.g. removing a running container. */
export class CliConflictError extends NsnetError {
  constructor(message: string, target: string) {
    super(message, { code: 'EBUSY', op: 'cli', target });
  }
}

/** A setup interrupted by a signal; everything it had done was rolled back. */
export class InterruptedError extends NsnetError {
  constructor(readonly signal: NodeJS.Signals, message = `interrupted by ${signal}`) {
    super(message, { code: 'EINTR', op: 'cli' });
  }
}

/** 128 + the signal's number, as a shell reports a process killed by it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

const CONFLICT_CODES = new Set(['EEXIST', 'EBUSY', 'EADDRINUSE']);
const PERMISSION_CODES = new Set(['EPERM', 'EACCES', 'EROFS']);

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof InterruptedError) return signalExitCode(err.signal);
  if (err instanceof NoSuchObjectError) return ExitCode.NOT_FOUND;
  // Before ValidationError: a published port is a ValidationError with EADDRINUSE.
  if (err instanceof PortConflictError || err instanceof ConflictError || err instanceof CliConflictError) return ExitCode.CONFLICT;
  if (err instanceof AddressInUseError || err instanceof SubnetOverlapError || err instanceof AlreadyExistsError) return ExitCode.CONFLICT;
  if (err instanceof ValidationError) return ExitCode.USAGE;
  if (err instanceof PermissionError) return ExitCode.PERMISSION;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (PERMISSION_CODES.has(code)) return ExitCode.PERMISSION;
    if (err instanceof NsnetError && CONFLICT_CODES.has(code)) return ExitCode.CONFLICT;
  }
  return ExitCode.ERROR;
}

/** One line for standard error: the message, flattened, with the code when it adds something. */
export function errorLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; rollbackErrors?: unknown[] };
  let message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  // Node's fs errors already say "EACCES: permission denied, mkdir '…'"; ours name the code only when it is not obvious.
  if (err instanceof PermissionError && !/permission/i.test(message)) message += ' (permission denied: run as root or with CAP_NET_ADMIN)';
  if (Array.isArray(e?.rollbackErrors) && e.rollbackErrors.length) message += `; and ${e.rollbackErrors.length} undo step(s) failed: run 'nsnet gc'`;
  return message.replace(/\s*\n\s*/g, ' ');
}
