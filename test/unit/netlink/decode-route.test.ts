/** decodeRoute against the kernel's RTM_NEWROUTE dump replies and `ip -j -d route show`. */
import { expect } from 'chai';
import { decodeRoute, DecodedRoute, RTM_NEWROUTE, RTNH_F_LINKDOWN } from '../../../lib/netlink';
import { linksIn, loadFixture, received } from './fixtures';
import { ipProtocol, ipRouteType, ipScope, ipTable } from './ip-json';

type Json = Record<string, any>;

/** `ip` prints "default" for a /0 and drops the /32 (/128) of a host route. */
function ipDst(r: DecodedRoute): string {
  if (r.dst === undefined) return 'default';
  const full = r.dst.includes(':') ? 128 : 32;
  return r.dstLen === full ? r.dst : `${r.dst}/${r.dstLen}`;
}

for (const name of ['route-dump-v4', 'route-dump-v6']) {
  describe(`decodeRoute vs \`${name === 'route-dump-v4' ? 'ip -j -d route show table all' : 'ip -j -d -6 route show table all'}\``, () => {
    const fx = loadFixture(name);
    // `ip route show` hides cloned/cached entries and prints the rest in dump order.
    const routes = received(fx)
      .filter((m) => m.type === RTM_NEWROUTE)
      .map((m) => decodeRoute(m.payload));
    const names = new Map<number, string>();
    // The dump captures only link lookups by index; their replies name the devices.
    for (const l of linksIn(fx)) names.set(l.index, l.name ?? '');
    const printed = fx.stdout as Json[];

    it('decodes one route per printed line', () => {
      expect(routes.map(ipDst)).to.deep.equal(printed.map((j) => j.dst));
    });

    printed.forEach((j, i) => {
      it(`${j.type} ${j.dst} table ${j.table}`, () => {
        const r = routes[i] as DecodedRoute;
        expect([ipRouteType(r.type), ipTable(r.table), ipProtocol(r.protocol), ipScope(r.scope)]).to.deep.equal([
          j.type,
          j.table,
          j.protocol,
          j.scope,
        ]);
        expect([r.gateway, r.prefsrc, r.priority]).to.deep.equal([j.gateway, j.prefsrc, j.metric]);
        expect(names.get(r.oif ?? -1)).to.equal(j.dev);
        expect(Boolean(r.flags & RTNH_F_LINKDOWN)).to.equal((j.flags as string[]).includes('linkdown'));
        if (j.pref !== undefined) expect(r.pref).to.equal({ medium: 0, high: 1, low: 3 }[j.pref as string]);
      });
    });
  });
}
