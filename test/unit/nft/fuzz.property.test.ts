/**
 * The nf_tables decoders never fail with anything but NetlinkDecodeError, and never read
 * out of range, on random bytes and on mutated real messages (nft's requests and the
 * kernel's replies from the captures).
 */
import fc from 'fast-check';
import { NetlinkDecodeError, nft, splitMessages } from '../../../lib/netlink';
import { fixtureNames, loadFixture, payloadOf, received, sent } from './fixtures';
import { mutate, mutation } from '../../support/mutation';

function onlyCodecErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NetlinkDecodeError)) throw e;
  }
}

const SAMPLES: { type: number; payload: Buffer; whole: Buffer }[] = fixtureNames().flatMap((name) => {
  const fx = loadFixture(name);
  const replies = received(fx).map((m) => ({ type: m.type, payload: Buffer.from(m.payload) }));
  const requests = sent(fx).map((b) => ({ type: b.readUInt16LE(4), payload: Buffer.from(payloadOf(b)) }));
  return [...replies, ...requests]
    .filter((s) => nft.decodeNftObject(s.type, s.payload) !== undefined)
    .map((s) => ({ ...s, whole: Buffer.concat([Buffer.alloc(16), s.payload]) }));
});


const TYPES = [...new Set(SAMPLES.map((s) => s.type))];

describe('nf_tables decoders under fuzzing', () => {
  it(`has captured messages to mutate (${SAMPLES.length})`, () => {
    if (SAMPLES.length < 100) throw new Error(`only ${SAMPLES.length} samples`);
  });

  it('random bytes: only NetlinkDecodeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 600 }), (type, bytes) => {
        const buf = Buffer.from(bytes);
        onlyCodecErrors(() => nft.decodeNftObject(type, buf));
        onlyCodecErrors(() => nft.decodeUdata(buf));
        nft.attrPath(Buffer.concat([Buffer.alloc(16), buf]), bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated nft requests and kernel replies: only NetlinkDecodeError', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.nat(), (pick, muts, off) => {
        const s = SAMPLES[pick % SAMPLES.length]!;
        const bad = mutate(s.payload, muts);
        onlyCodecErrors(() => nft.decodeNftObject(s.type, bad));
        const whole = Buffer.concat([Buffer.alloc(16), bad]);
        whole.writeUInt32LE(whole.length, 0);
        nft.attrPath(whole, off % (whole.length + 1));
      }),
      { numRuns: 4000 },
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
          for (const m of splitMessages(buf)) nft.decodeNftObject(m.type, m.payload);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
