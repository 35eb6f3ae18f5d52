/**
 * The decoders never fail with anything but NetlinkDecodeError, and never read out of
 * range (Node would throw RangeError), on random bytes and on mutated real messages.
 */
import fc from 'fast-check';
import {
  decodeAddr,
  decodeError,
  decodeLink,
  decodeNeigh,
  decodeRoute,
  NetlinkDecodeError,
  NLMSG_ERROR,
  RTM_DELADDR,
  RTM_DELLINK,
  RTM_DELNEIGH,
  RTM_DELROUTE,
  RTM_GETLINK,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWLINKPROP,
  RTM_NEWNEIGH,
  RTM_NEWROUTE,
  RTM_SETLINK,
  splitMessages,
} from '../../../lib/netlink';
import { fixtureNames, loadFixture, payloadOf, received, sent } from './fixtures';

type Decoder = (payload: Buffer) => unknown;

const BY_TYPE = new Map<number, Decoder>([
  [RTM_NEWLINK, decodeLink],
  [RTM_DELLINK, decodeLink],
  [RTM_GETLINK, decodeLink],
  [RTM_SETLINK, decodeLink],
  [RTM_NEWLINKPROP, decodeLink],
  [RTM_NEWADDR, decodeAddr],
  [RTM_DELADDR, decodeAddr],
  [RTM_NEWROUTE, decodeRoute],
  [RTM_DELROUTE, decodeRoute],
  [RTM_NEWNEIGH, decodeNeigh],
  [RTM_DELNEIGH, decodeNeigh],
]);
const ALL: Decoder[] = [decodeLink, decodeAddr, decodeRoute, decodeNeigh];

function onlyCodecErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NetlinkDecodeError)) throw e;
  }
}

/** Every captured message we have a decoder for: kernel replies and iproute2 requests. */
const SAMPLES: { type: number; payload: Buffer }[] = fixtureNames().flatMap((name) => {
  const fx = loadFixture(name);
  const replies = received(fx).map((m) => ({ type: m.type, payload: Buffer.from(m.payload) }));
  const requests = sent(fx).map((b) => ({ type: b.readUInt16LE(4), payload: Buffer.from(payloadOf(b)) }));
  return [...replies, ...requests].filter((s) => BY_TYPE.has(s.type));
});

type Mutation =
  | { op: 'byte'; at: number; value: number }
  | { op: 'u16'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  // 16-bit overwrites hit nla_len / nla_type fields.
  fc.record({ op: fc.constant('u16' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(buf: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'byte') b[at] = m.value;
    else if (m.op === 'u16' && at + 1 < b.length) b.writeUInt16LE(m.value, at & ~1);
    else if (m.op === 'truncate') b = b.subarray(0, at);
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
  }
  return b;
}

describe('decoders under fuzzing', () => {
  it(`has captured messages to mutate (${SAMPLES.length})`, () => {
    if (SAMPLES.length < 50) throw new Error(`only ${SAMPLES.length} samples`);
  });

  it('random bytes: only NetlinkDecodeError from every decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (const d of ALL) onlyCodecErrors(() => d(buf));
        onlyCodecErrors(() => splitMessages(buf));
        onlyCodecErrors(() => decodeError({ type: NLMSG_ERROR, flags: 0x300, seq: 0, pid: 0, payload: buf }));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated kernel replies and iproute2 requests: only NetlinkDecodeError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 6 }), (pick, muts) => {
        const sample = SAMPLES[pick % SAMPLES.length]!;
        const decode = BY_TYPE.get(sample.type)!;
        onlyCodecErrors(() => decode(mutate(sample.payload, muts)));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated whole receive buffers through splitMessages and the decoders', () => {
    const buffers = fixtureNames().flatMap((n) =>
      loadFixture(n)
        .messages.filter((m) => m.dir === 'recv')
        .map((m) => Buffer.from(m.hex, 'hex')),
    );
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (pick, muts) => {
        const buf = mutate(buffers[pick % buffers.length]!, muts);
        onlyCodecErrors(() => {
          for (const m of splitMessages(buf)) {
            if (m.type === NLMSG_ERROR) decodeError(m);
            else BY_TYPE.get(m.type)?.(m.payload);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });
});
