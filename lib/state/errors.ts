/**
 * Errors of the on-disk state store. Shaped like the rest of lib/errors.ts so callers can
 * branch on `code`.
 */
import { NsnetError } from '../errors';

/**
 * A state file is damaged in a way that is not a torn tail: a bad record in the middle of
 * a journal, a snapshot that is not JSON. Never repaired silently — a person must look.
 */
export class StateCorruptError extends NsnetError {
  constructor(message: string, file: string, cause?: unknown) {
    super(message, { code: 'EBADMSG', op: 'stateRead', target: file, cause });
  }
}
