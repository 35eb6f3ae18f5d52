/**
 * decode(encode(x)) is x, for generated links (every modelled kind, veth peers, bridge
 * ports, raw kinds), addresses, routes and neighbours, unknown raw attributes included.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  Addr,
  AttrWriter,
  decodeAddr,
  decodeLink,
  decodeNeigh,
  decodeRoute,
  Link,
  Neigh,
  Route,
  writeAddr,
  writeLink,
  writeNeigh,
  writeRoute,
} from '../../../lib/netlink';
import * as arb from './arbitraries';

function roundTrip<T>(write: (w: AttrWriter, x: T) => void, decode: (b: Buffer) => unknown, x: T): unknown {
  const w = new AttrWriter();
  write(w, x);
  return decode(w.bytes());
}

const RUNS = { numRuns: 300 };

describe('round trip: decode(encode(x)) deep-equals x', () => {
  it('links (bridge, veth with peer, macvlan, vxlan, raw kinds, bridge ports, stats64)', () => {
    fc.assert(
      fc.property(arb.link, (x: Link) => {
        expect(roundTrip(writeLink, decodeLink, x)).to.deep.equal(x);
      }),
      RUNS,
    );
  });

  it('addresses (IPv4 and IPv6, flags above 8 bits through IFA_FLAGS)', () => {
    fc.assert(
      fc.property(arb.addr, (x: Addr) => {
        expect(roundTrip(writeAddr, decodeAddr, x)).to.deep.equal(x);
      }),
      RUNS,
    );
  });

  it('routes (tables above 255 through RTA_TABLE, RTA_VIA)', () => {
    fc.assert(
      fc.property(arb.route, (x: Route) => {
        expect(roundTrip(writeRoute, decodeRoute, x)).to.deep.equal(x);
      }),
      RUNS,
    );
  });

  it('neighbours and FDB entries', () => {
    fc.assert(
      fc.property(arb.neigh, (x: Neigh) => {
        expect(roundTrip(writeNeigh, decodeNeigh, x)).to.deep.equal(x);
      }),
      RUNS,
    );
  });
});
