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
import { mutate, mutation } from '../../support/mutation';

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
