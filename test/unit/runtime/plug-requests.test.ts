/**
 * Plug templates: a request filled in from a template is byte for byte what the codec
 * encodes for the same endpoint from scratch, for any name, MAC and addresses.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { NetlinkSocket } from '../../../lib/native';
import { PlugTemplates, type PlugShape, type PlugValues } from '../../../lib/runtime/plug-requests';

const socket = {} as NetlinkSocket; // carried, never used, by the encoder
const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const octet = fc.integer({ min: 0, max: 255 });
// Unicast and locally administered, as an endpoint's MAC is.
const mac = fc.array(octet, { minLength: 6, maxLength: 6 }).map((b) => [(b[0]! & 0xfc) | 0x02, ...b.slice(1)].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const v4 = fc.tuple(octet, octet).map(([a, b]) => `172.18.${a}.${b}/16`);
const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }).map((g) => `fd00:1:2:3:${g.map((x) => x.toString(16)).join(':')}/64`);

const shapes: PlugShape[] = [
  { ifname: 'eth0', master: 7, loopbackUp: true, defaultRoute: true, ipv4: { prefixLength: 16, gateway: '172.18.0.1' } },
  { ifname: 'eth1', master: 9, mtu: 1400, loopbackUp: false, defaultRoute: false, ipv4: { prefixLength: 16, gateway: '172.18.0.1' }, ipv6: { prefixLength: 64, gateway: 'fd00:1:2:3::1' } },
  { ifname: 'eth0', master: 3, loopbackUp: true, defaultRoute: true, ipv6: { prefixLength: 64, gateway: 'fd00:1:2:3::1' } },
];

describe('PlugTemplates', () => {
  for (const shape of shapes) {
    it(`fills in what the codec encodes (${shape.ipv4 ? 'v4' : ''}${shape.ipv6 ? 'v6' : ''}, mtu ${shape.mtu ?? '-'})`, () => {
      const templates = new PlugTemplates();
      const values = fc.record({ hostIfname: hex(7).map((h) => `veth${h}`), mac, ...(shape.ipv4 ? { ipv4: v4 } : {}), ...(shape.ipv6 ? { ipv6: v6 } : {}) }) as fc.Arbitrary<PlugValues>;
      fc.assert(
        fc.property(values, values, (first, later) => {
          templates.requests(shape, first, socket);
          const filled = templates.requests(shape, later, socket);
          const fresh = new PlugTemplates().requests(shape, later, socket);
          expect(filled.veth.equals(fresh.veth)).to.equal(true);
          expect(filled.configure.equals(fresh.configure)).to.equal(true);
          expect(filled.vethNsFdAt).to.equal(fresh.vethNsFdAt);
          expect(filled.configureIndexAt).to.deep.equal(fresh.configureIndexAt);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a bad MAC is refused when filled in, as when encoded', () => {
    const templates = new PlugTemplates();
    const shape = shapes[0]!;
    templates.requests(shape, { hostIfname: 'veth0000000', mac: '02:42:ac:12:00:02', ipv4: '172.18.0.2/16' }, socket);
    for (const bad of ['02:42:zz:12:00:03', '03:42:ac:12:00:03', '00:00:00:00:00:00']) {
      expect(() => templates.requests(shape, { hostIfname: 'veth0000001', mac: bad, ipv4: '172.18.0.3/16' }, socket), bad).to.throw(/mac/);
      expect(() => new PlugTemplates().requests(shape, { hostIfname: 'veth0000001', mac: bad, ipv4: '172.18.0.3/16' }, socket), bad).to.throw(/mac/);
    }
  });
});
