/** Fallback for any link kind without a module: its data nest stays raw bytes. */
import type { KindCodec, RawKindData } from './types';

export const rawKindCodec: KindCodec<RawKindData> = {
  // Not a nest of our making: the bytes are the attribute's whole payload, unpadded.
  encode: (w, type, data) => {
    w.attr(type, data.bytes);
  },
  decode: (payload) => ({ kind: 'raw', bytes: Buffer.from(payload) }),
};
