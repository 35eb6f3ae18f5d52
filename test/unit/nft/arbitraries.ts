/** fast-check generators for nf_tables objects and expressions (test/unit/nft). */
import fc from 'fast-check';
import { nft } from '../../../lib/netlink';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const reg = fc.integer({ min: 0, max: 23 });
const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,30}$/);
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b));
const family = fc.constantFrom<nft.NftFamily>('ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev');
/** Raw attribute streams for userdata etc. are opaque bytes; keep them 4-aligned. */
const aligned = fc.integer({ min: 1, max: 8 }).chain((n) => bytes(n * 4, n * 4));

const verdict: fc.Arbitrary<nft.Verdict> = fc.oneof(
  fc.constantFrom('accept', 'drop', 'continue', 'break', 'return', 'queue', 'stolen', 'repeat', 'stop').map((kind) => ({ kind }) as nft.Verdict),
  fc.record({ kind: fc.constantFrom('jump' as const, 'goto' as const), chain: name }),
  fc.integer({ min: 6, max: 1000 }).map((code) => ({ kind: 'code' as const, code })),
);
const data: fc.Arbitrary<nft.NftData> = fc.oneof(bytes(1, 64).map((value) => ({ value })), verdict.map((v) => ({ verdict: v })));

export const expr: fc.Arbitrary<nft.Expr> = fc.oneof(
  fc.record({ type: fc.constant('meta' as const), key: fc.constantFrom(...nft.META_KEY.names), dreg: reg, sreg: reg }, { requiredKeys: ['type', 'key'] }),
  fc.record(
    { type: fc.constant('payload' as const), base: fc.constantFrom(...nft.PAYLOAD_BASE.names), offset: fc.nat(255), len: fc.nat(64), dreg: reg, sreg: reg, csumType: u32, csumOffset: u32, csumFlags: u32 },
    { requiredKeys: ['type', 'base', 'offset', 'len'] },
  ),
  fc.record({ type: fc.constant('cmp' as const), sreg: reg, op: fc.constantFrom(...nft.CMP_OP.names), data: bytes(1, 64) }),
  fc.record(
    { type: fc.constant('bitwise' as const), sreg: reg, dreg: reg, len: fc.nat(64), op: fc.constantFrom(...nft.BITWISE_OP.names), mask: bytes(1, 16), xor: bytes(1, 16), data: bytes(4, 4) },
    { requiredKeys: ['type', 'sreg', 'dreg', 'len'] },
  ),
  fc.record({ type: fc.constant('lookup' as const), set: name, setId: u32, sreg: reg, dreg: reg, flags: fc.nat(1) }, { requiredKeys: ['type', 'set', 'sreg'] }),
  fc.record({ type: fc.constant('immediate' as const), dreg: reg, data }),
  fc.record({ type: fc.constant('counter' as const), bytes: u64, packets: u64 }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('ct' as const), key: fc.constantFrom(...nft.CT_KEY.names), dreg: reg, sreg: reg, direction: fc.nat(1) }, { requiredKeys: ['type', 'key'] }),
  fc.record(
    { type: fc.constant('nat' as const), natType: fc.constantFrom(...nft.NAT_TYPE.names), family: fc.constantFrom<nft.DecodedFamily>('ip', 'ip6'), regAddrMin: reg, regAddrMax: reg, regProtoMin: reg, regProtoMax: reg, flags: fc.nat(127) },
    { requiredKeys: ['type', 'natType', 'family'] },
  ),
  fc.record({ type: fc.constant('masq' as const), flags: fc.nat(31), regProtoMin: reg, regProtoMax: reg }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('fib' as const), flags: fc.nat(63), result: fc.constantFrom(...nft.FIB_RESULT.names), dreg: reg }, { requiredKeys: ['type', 'flags', 'result'] }),
  fc.record({ type: fc.constant('reject' as const), rejectType: fc.constantFrom(...nft.REJECT_TYPE.names), icmpCode: fc.nat(255) }, { requiredKeys: ['type', 'rejectType'] }),
  fc.record({ type: fc.constant('raw' as const), name: fc.constantFrom('log', 'limit', 'dynset', 'quota', 'exthdr'), data: aligned }, { requiredKeys: ['type', 'name'] }),
);

export const table: fc.Arbitrary<nft.NftTable> = fc.record(
  { family, name, flags: fc.nat(3), handle: u64, use: u32, userdata: aligned, owner: u32 },
  { requiredKeys: ['family', 'name'] },
);

const hook: fc.Arbitrary<nft.NftHook> = fc.record(
  { num: fc.nat(5), priority: fc.integer({ min: -0x80000000, max: 0x7fffffff }), dev: name, devs: fc.array(name, { minLength: 1, maxLength: 3 }) },
  { requiredKeys: ['num', 'priority'] },
);

export const chain: fc.Arbitrary<nft.NftChain> = fc.record(
  { family, table: name, name, handle: u64, hook, policy: fc.nat(1), type: fc.constantFrom('filter', 'nat', 'route'), use: u32, flags: fc.nat(7), id: u32, userdata: aligned },
  { requiredKeys: ['family', 'table'] },
);

export const rule: fc.Arbitrary<nft.NftRule> = fc.record(
  { family, table: name, chain: name, handle: u64, exprs: fc.array(expr, { maxLength: 8 }), position: u64, userdata: aligned, id: u32, positionId: u32, chainId: u32 },
  { requiredKeys: ['family', 'table'] },
);

export const set: fc.Arbitrary<nft.NftSet> = fc.record(
  {
    family,
    table: name,
    name,
    handle: u64,
    flags: fc.nat(0x1ff),
    keyType: u32,
    keyLen: fc.nat(64),
    dataType: u32,
    dataLen: fc.nat(64),
    policy: fc.nat(1),
    desc: fc.record({ size: u32, concat: fc.array(fc.nat(16), { minLength: 1, maxLength: 5 }) }, { requiredKeys: [] }),
    id: u32,
    timeout: u64,
    gcInterval: u32,
    userdata: aligned,
    objType: u32,
  },
  { requiredKeys: ['family', 'table'] },
);

const elem: fc.Arbitrary<nft.NftSetElem> = fc.record(
  { flags: fc.nat(3), key: bytes(1, 64), keyEnd: bytes(1, 64), data, timeout: u64, expiration: u64, userdata: aligned, objref: name },
  { requiredKeys: [] },
);

export const elemList: fc.Arbitrary<nft.NftSetElemList> = fc.record(
  { family, table: name, set: name, setId: u32, elements: fc.array(elem, { minLength: 1, maxLength: 6 }) },
  { requiredKeys: ['family', 'table'] },
);
