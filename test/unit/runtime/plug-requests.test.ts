/**
 * Plug templates: a request filled in from a template is byte for byte what the codec
 * encodes for the same endpoint from scratch, for any name, MAC and addresses.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { NetlinkSocket } from '../../../lib/native';
import { PlugTemplates, type ConfigureShape, type ConfigureValues, type VethShape } from '../../../lib/runtime/plug-requests';

const socket = {} as NetlinkSocket; // carried, never used, by the encoder
const hostIfname = fc.stringMatching(/^[0-9a-f]{7}$/).map((h) => `veth${h}`);
const octet = fc.integer({ min: 0, max: 255 });
// Unicast and locally administered, as an endpoint's MAC is.
const mac = fc.array(octet, { minLength: 6, maxLength: 6 }).map((b) => [(b[0]! & 0xfc) | 0x02, ...b.slice(1)].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const v4 = fc.tuple(octet, octet).map(([a, b]) => `172.18.${a}.${b}/16`);
const v6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }).map((g) => `fd00:1:2:3:${g.map((x) => x.toString(16)).join(':')}/64`);

const veths: VethShape[] = [{ ifname: 'eth0', master: 7 }, { ifname: 'eth1', master: 9, mtu: 1400 }];
const configures: ConfigureShape[] = [
  { loopbackUp: true, defaultRoute: true, ipv4: { prefixLength: 16, gateway: '172.18.0.1' } },
  { loopbackUp: false, defaultRoute: false, ipv4: { prefixLength: 16, gateway: '172.18.0.1' }, ipv6: { prefixLength: 64, gateway: 'fd00:1:2:3::1' } },
  { loopbackUp: true, defaultRoute: true, ipv6: { prefixLength: 64, gateway: 'fd00:1:2:3::1' } },
];

describe('PlugTemplates', () => {
  for (const shape of veths) {
    it(`veth: fills in what the codec encodes (${shape.ifname}, mtu ${shape.mtu ?? '-'})`, () => {
      const templates = new PlugTemplates();
      fc.assert(
        fc.property(hostIfname, hostIfname, (first, later) => {
          templates.veth(shape, first, socket);
          const filled = templates.veth(shape, later, socket);
          const fresh = new PlugTemplates().veth(shape, later, socket);
          expect(filled.message.equals(fresh.message)).to.equal(true);
          expect(filled.nsFdAt).to.equal(fresh.nsFdAt);
        }),
        { numRuns: 200 },
      );
    });
  }

  for (const shape of configures) {
    it(`configure: fills in what the codec encodes (${shape.ipv4 ? 'v4' : ''}${shape.ipv6 ? 'v6' : ''}, lo ${shape.loopbackUp}, route ${shape.defaultRoute})`, () => {
      const templates = new PlugTemplates();
      const values = fc.record({ mac, ...(shape.ipv4 ? { ipv4: v4 } : {}), ...(shape.ipv6 ? { ipv6: v6 } : {}) }) as fc.Arbitrary<ConfigureValues>;
      fc.assert(
        fc.property(values, values, (first, later) => {
          templates.configure(shape, first);
          const filled = templates.configure(shape, later);
          const fresh = new PlugTemplates().configure(shape, later);
          expect(filled.messages.equals(fresh.messages)).to.equal(true);
          expect(filled.indexAt).to.deep.equal(fresh.indexAt);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('a bad MAC or name is refused when filled in, as when encoded', () => {
    const shape = configures[0]!;
    const templates = new PlugTemplates();
    templates.configure(shape, { mac: '02:42:ac:12:00:02', ipv4: '172.18.0.2/16' });
    for (const bad of ['02:42:zz:12:00:03', '03:42:ac:12:00:03', '00:00:00:00:00:00']) {
      expect(() => templates.configure(shape, { mac: bad, ipv4: '172.18.0.3/16' }), bad).to.throw(/mac/);
      expect(() => new PlugTemplates().configure(shape, { mac: bad, ipv4: '172.18.0.3/16' }), bad).to.throw(/mac/);
    }
    templates.veth(veths[0]!, 'veth0000000', socket);
    expect(() => templates.veth(veths[0]!, 'veth000/000', socket)).to.throw(/name/);
    expect(() => new PlugTemplates().veth(veths[0]!, 'veth000/000', socket)).to.throw(/name/);
  });
});
