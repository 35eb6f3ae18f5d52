/** decode(encode(x)) deep-equals x, for every expression type and object. */
import { expect } from 'chai';
import fc from 'fast-check';
import { AttrWriter, nft } from '../../../lib/netlink';
import * as arb from './arbitraries';

function body(write: (w: AttrWriter) => void): Buffer {
  const w = new AttrWriter();
  write(w);
  return w.bytes();
}

describe('nf_tables codec round trips', () => {
  it('every expression type, alone and in rules', () => {
    fc.assert(
      fc.property(arb.rule, (r) => {
        expect(nft.decodeRule(body((w) => nft.writeRule(w, r)))).to.deep.equal(r);
      }),
      { numRuns: 1500 },
    );
  });

  it('covers each expression type', () => {
    const seen = new Set<string>();
    fc.assert(fc.property(arb.expr, (e) => void seen.add(e.type)), { numRuns: 500 });
    expect([...seen].sort()).to.deep.equal(['bitwise', 'cmp', 'counter', 'ct', 'fib', 'immediate', 'lookup', 'masq', 'meta', 'nat', 'payload', 'raw', 'reject']);
  });

  it('tables', () => {
    fc.assert(fc.property(arb.table, (t) => void expect(nft.decodeTable(body((w) => nft.writeTable(w, t)))).to.deep.equal(t)), { numRuns: 500 });
  });

  it('chains (base and regular)', () => {
    fc.assert(fc.property(arb.chain, (c) => void expect(nft.decodeChain(body((w) => nft.writeChain(w, c)))).to.deep.equal(c)), { numRuns: 500 });
  });

  it('sets and maps', () => {
    fc.assert(fc.property(arb.set, (s) => void expect(nft.decodeSet(body((w) => nft.writeSet(w, s)))).to.deep.equal(s)), { numRuns: 500 });
  });

  it('set element lists', () => {
    fc.assert(
      fc.property(arb.elemList, (l) => void expect(nft.decodeSetElemList(body((w) => nft.writeSetElemList(w, l)))).to.deep.equal(l)),
      { numRuns: 500 },
    );
  });

  it('whole messages through NftBatch and decodeNftObject', () => {
    fc.assert(
      fc.property(arb.rule, arb.set, (r, s) => {
        const b = new nft.NftBatch().addRule(r).addSet({ ...s, id: s.id ?? 1 });
        const [mr, ms] = b.entries.map((e) => e.bytes);
        expect(nft.decodeNftObject(mr!.readUInt16LE(4), mr!.subarray(16))).to.deep.equal({ kind: 'rule', rule: r });
        expect(nft.decodeNftObject(ms!.readUInt16LE(4), ms!.subarray(16))).to.deep.equal({ kind: 'set', set: { ...s, id: s.id ?? 1 } });
      }),
      { numRuns: 300 },
    );
  });
});
