/**
 * Our decoder against nft's own reading of the same kernel replies: the dumps nft made
 * for `nft -j list ruleset` are decoded and rendered as nft prints them (nft-json.ts);
 * the result must equal the JSON nft printed in that same invocation.
 */
import { expect } from 'chai';
import { nft, splitMessages } from '../../../lib/netlink';
import { loadFixture, NftFixture } from './fixtures';
import { rulesetJson } from './nft-json';

function decodeDump(fx: NftFixture) {
  const tables: nft.NftTable[] = [];
  const chains: nft.NftChain[] = [];
  const rules: nft.NftRule[] = [];
  const sets: { set: nft.NftSet; elems: nft.NftSetElem[] }[] = [];
  const elems = new Map<string, nft.NftSetElem[]>();
  for (const m of fx.messages.filter((x) => x.dir === 'recv')) {
    for (const msg of splitMessages(Buffer.from(m.hex, 'hex'))) {
      const o = nft.decodeNftObject(msg.type, msg.payload);
      if (o?.kind === 'table') tables.push(o.table);
      else if (o?.kind === 'chain') chains.push(o.chain);
      else if (o?.kind === 'rule') rules.push(o.rule);
      else if (o?.kind === 'set') sets.push({ set: o.set, elems: [] });
      else if (o?.kind === 'elements') {
        const key = `${String(o.elements.family)} ${o.elements.table} ${o.elements.set}`;
        elems.set(key, [...(elems.get(key) ?? []), ...(o.elements.elements ?? [])]);
      }
    }
  }
  // nft dumps rules once per table it knows (GETRULE per family), so a family with two
  // tables answers twice: keep each object once.
  const once = <T>(list: T[], key: (x: T) => string): T[] => [...new Map(list.map((x) => [key(x), x])).values()];
  const uniqRules = once(rules, (r) => `${String(r.family)} ${r.table} ${String(r.handle)}`);
  rules.length = 0;
  rules.push(...uniqRules);
  for (const s of sets) s.elems = elems.get(`${String(s.set.family)} ${s.set.table} ${s.set.name}`) ?? [];
  return { tables, chains, rules, sets };
}

describe('nf_tables dumps decode to what `nft -j list ruleset` printed', () => {
  for (const name of ['dump-ruleset', 'dump-ruleset-final']) {
    it(name, () => {
      const fx = loadFixture(name);
      const d = decodeDump(fx);
      const printed = fx.stdout!.nftables.filter((o) => !('metainfo' in o));
      expect(rulesetJson(d.tables, d.chains, d.sets, d.rules)).to.deep.equal(printed);
    });
  }

  it('the dump captures cover every expression type nsnet models', () => {
    const d = decodeDump(loadFixture('dump-ruleset'));
    const types = new Set(d.rules.flatMap((r) => (r.exprs ?? []).map((e) => e.type)));
    expect([...types].sort()).to.deep.equal(['bitwise', 'cmp', 'counter', 'ct', 'fib', 'immediate', 'lookup', 'masq', 'meta', 'nat', 'payload', 'reject']);
  });
});
