/** IP and link-layer address text ↔ bytes. */
import { expect } from 'chai';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../../../lib/errors';
import { AF_INET, AF_INET6, bytesToIp, bytesToMac, dottedQuad, ipFamily, ipToBytes, macToBytes, NetlinkDecodeError } from '../../../lib/netlink';

describe('addresses', () => {
  it('converts IPv4 and IPv6 both ways, printing like inet_ntop', () => {
    expect(ipToBytes('10.1.2.3').toString('hex')).to.equal('0a010203');
    expect(bytesToIp(ipToBytes('fd00:0:0::1'))).to.equal('fd00::1');
    expect(bytesToIp(ipToBytes('::ffff:10.0.0.1'))).to.equal('::ffff:10.0.0.1');
    expect([ipFamily('10.0.0.1'), ipFamily('::1')]).to.deep.equal([AF_INET, AF_INET6]);
  });

  it('rejects text that is not a plain address', () => {
    for (const bad of ['10.1', '10.0.0.256', 'fe80::1%eth0', '10.0.0.0/8', '', 'x']) {
      expect(() => ipToBytes(bad), bad).to.throw(ValidationError);
    }
  });

  it('dottedQuad accepts exactly what ipaddr.js calls a four-part decimal, with the same octets', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^0\d{1,2}$/), fc.constantFrom('', 'x', '0x1f', '-1', '1e2'));
    const text = fc.oneof(
      fc.tuple(part, part, part, part).map((p) => p.join('.')),
      fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.')),
      fc.string(),
    );
    fc.assert(
      fc.property(text, (t) => {
        const strict = ipaddr.IPv4.isValidFourPartDecimal(t);
        expect(dottedQuad(t) !== undefined, t).to.equal(strict);
        if (strict) expect(dottedQuad(t)).to.deep.equal(ipaddr.IPv4.parse(t).octets);
      }),
      { numRuns: 5000 },
    );
    for (const bad of ['010.0.0.1', '1.2.3', '256.0.0.1', '1.2.3.4 ', '1.2.3.4.5']) expect(dottedQuad(bad), bad).to.equal(undefined);
  });

  it('decodes only 4- or 16-byte addresses', () => {
    expect(() => bytesToIp(Buffer.alloc(5))).to.throw(NetlinkDecodeError);
  });

  it('converts link-layer addresses of any length, lower-case', () => {
    expect(macToBytes('02:00:00:00:00:0A').toString('hex')).to.equal('02000000000a');
    expect(bytesToMac(Buffer.from('0a000001', 'hex'))).to.equal('0a:00:00:01');
    expect(bytesToMac(macToBytes(''))).to.equal('');
    for (const bad of ['02:00:00:00:00:0g', '02::00', '020000000000']) {
      expect(() => macToBytes(bad), bad).to.throw(ValidationError);
    }
  });
});
