/** decodeNeigh against the kernel's RTM_NEWNEIGH dumps: `ip -j neigh show` and `bridge -j fdb show`. */
import { expect } from 'chai';
import { AF_BRIDGE, decodeNeigh, NTF_SELF, NUD_NOARP, NUD_NONE, RTM_NEWNEIGH } from '../../../lib/netlink';
import { linksIn, loadFixture, received } from './fixtures';
import { fdbState, ipNeighState } from './ip-json';

type Json = Record<string, any>;

function decoded(name: string) {
  const fx = loadFixture(name);
  const names = new Map(linksIn(fx).map((l) => [l.index, l.name ?? '']));
  const neighs = received(fx)
    .filter((m) => m.type === RTM_NEWNEIGH)
    .map((m) => decodeNeigh(m.payload));
  return { fx, names, neighs, printed: fx.stdout as Json[] };
}

describe('decodeNeigh vs `ip -j neigh show`', () => {
  const { names, neighs, printed } = decoded('neigh-dump');
  it('decodes the entries ip printed, with dev, lladdr and state', () => {
    // `ip neigh show` hides NOARP entries (multicast mappings) and NUD_NONE by default.
    const shown = neighs.filter((n) => n.state !== NUD_NONE && !(n.state & NUD_NOARP));
    expect(neighs.length).to.be.greaterThan(shown.length);
    expect(
      shown.map((n) => ({ dst: n.dst, dev: names.get(n.index), lladdr: n.lladdr, state: ipNeighState(n.state) })),
    ).to.deep.equal(printed.map((j) => ({ dst: j.dst, dev: j.dev, lladdr: j.lladdr, state: j.state })));
  });
});

describe('decodeNeigh vs `bridge -j fdb show` (AF_BRIDGE FDB entries)', () => {
  const { names, neighs, printed } = decoded('fdb-dump');
  it('decodes every FDB entry with mac, device, master, self flag and state', () => {
    expect(neighs.every((n) => n.family === AF_BRIDGE)).to.equal(true);
    expect(
      neighs.map((n) => ({
        mac: n.lladdr,
        ifname: names.get(n.index),
        self: Boolean(n.flags & NTF_SELF),
        master: n.master === undefined ? undefined : names.get(n.master),
        state: fdbState(n.state),
      })),
    ).to.deep.equal(
      printed.map((j) => ({
        mac: j.mac,
        ifname: j.ifname,
        self: (j.flags as string[]).includes('self'),
        master: j.master,
        state: j.state ?? '',
      })),
    );
  });
});
