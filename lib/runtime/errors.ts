/**
 * Runtime errors, by what a caller does about them: the thing named does not exist, or
 * it conflicts with what exists (a name taken, a network in use, a port published).
 * `code` follows errno names so callers branch on it as on any Node error.
 */
import { NsnetError } from '../errors';

/** No network or container by that name or ID (Docker: "No such network"). */
export class NoSuchObjectError extends NsnetError {
  constructor(readonly kind: 'network' | 'container', ref: string, op: string) {
    super(`no such ${kind}: ${ref}`, { code: 'ENOENT', op, target: ref });
  }
}

/** The change conflicts with what exists; nothing was changed. */
export class ConflictError extends NsnetError {
  constructor(message: string, init: { code?: 'EEXIST' | 'EBUSY' | 'EADDRINUSE'; op: string; target: string }) {
    super(message, { code: init.code ?? 'EEXIST', op: init.op, target: init.target });
  }
}
