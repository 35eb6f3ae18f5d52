/**
 * The codec's one error type for bytes it cannot decode. Encoding problems (a bad MAC,
 * an MTU out of range) are the caller's input and throw ValidationError instead.
 */
import { NsnetError } from '../errors';

export class NetlinkDecodeError extends NsnetError {
  /** Byte offset of the problem inside the buffer being decoded, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message, { code: 'EBADMSG' });
    this.offset = offset;
  }
}
