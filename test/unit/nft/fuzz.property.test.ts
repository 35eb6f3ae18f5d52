/**
 * The nf_tables decoders never fail with anything but NetlinkDecodeError, and never read
 * out of range, on random bytes and on mutated real messages (nft's requests and the
 * kernel's replies from the captures).
 */
import fc from 'fast-check';
import { NetlinkDecodeError, nft, splitMessages } from '../../../lib/netlink';
import { fixtureNames, loadFixture, payloadOf, received, sent } from './fixtures';

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

type Mutation = { op: 'byte'; at: number; value: number } | { op: 'u16'; at: number; value: number } | { op: 'truncate'; at: number } | { op: 'insert'; at: number; bytes: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
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
