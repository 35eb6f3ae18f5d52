/** decodeAddr against the kernel's RTM_NEWADDR dump replies and `ip -j addr show`. */
import { expect } from 'chai';
import { AF_INET, decodeAddr, IFA_F_NODAD, IFA_F_TENTATIVE, RTM_NEWADDR } from '../../../lib/netlink';
import { loadFixture, received } from './fixtures';
import { ipScope } from './ip-json';

type Json = Record<string, any>;

describe('decodeAddr vs `ip -j addr show` (kernel replies)', () => {
  const fx = loadFixture('addr-dump');
  const addrs = received(fx)
    .filter((m) => m.type === RTM_NEWADDR)
    .map((m) => decodeAddr(m.payload));

  for (const link of fx.stdout as Json[]) {
    it(`${link.ifname}: ${link.addr_info.length} address(es)`, () => {
      const ours = addrs.filter((a) => a.index === link.ifindex);
      const printed = link.addr_info as Json[];
      // IPv6 replies carry only IFA_ADDRESS; `ip` prints IFA_LOCAL, else IFA_ADDRESS, as "local".
      const local = (a: (typeof ours)[number]) => a.local ?? a.address;
      expect(ours.map((a) => `${local(a)}/${a.prefixlen}`)).to.deep.equal(printed.map((p) => `${p.local}/${p.prefixlen}`));
      ours.forEach((a, i) => {
        const p = printed[i] as Json;
        expect(a.family === AF_INET ? 'inet' : 'inet6').to.equal(p.family);
        expect(ipScope(a.scope)).to.equal(p.scope);
        expect([a.label, a.broadcast]).to.deep.equal([p.label, p.broadcast]);
        expect([a.cacheinfo?.valid, a.cacheinfo?.preferred]).to.deep.equal([p.valid_life_time, p.preferred_life_time]);
        // IFA_FLAGS carries the full word: nodad/tentative as `ip` printed them.
        expect(Boolean(a.flags & IFA_F_NODAD)).to.equal(p.nodad === true);
        expect(Boolean(a.flags & IFA_F_TENTATIVE)).to.equal(p.tentative === true);
        // IPv4 replies carry both, equal on a non-point-to-point link.
        if (a.family === AF_INET) expect(a.address).to.equal(a.local);
      });
    });
  }
});
