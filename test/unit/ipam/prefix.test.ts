import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { formatAddress, parseAddress, Prefix } from '../../../lib/ipam/prefix';

describe('ipam prefix math', () => {
  it('parses IPv4 and IPv6 prefixes into BigInt ranges', () => {
    const p = Prefix.parse('172.18.0.0/16', 'subnet');
    expect(p.family).to.equal(4);
    expect(p.size).to.equal(65536n);
    expect(formatAddress(4, p.last)).to.equal('172.18.255.255');
    expect(p.addressAt(1n)).to.equal('172.18.0.1');
    const q = Prefix.parse('fd00:1:2:3::/64', 'subnet');
    expect(q.size).to.equal(1n << 64n);
    expect(q.addressAt(0xffffn)).to.equal('fd00:1:2:3::ffff');
    expect(formatAddress(6, q.last)).to.equal('fd00:1:2:3:ffff:ffff:ffff:ffff');
    expect(Prefix.parse('FD00:0:0:0::/8', 'x').toString()).to.equal('fd00::/8');
  });

  it('refuses host bits unless lenient, and names the intended prefix', () => {
    const err = (() => {
      try {
        Prefix.parse('10.0.0.5/24', 'subnet');
      } catch (e) {
        return e as ValidationError;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(ValidationError);
    expect(err!.field).to.equal('subnet');
    expect(err!.message).to.contain('10.0.0.0/24');
    expect(Prefix.parse('10.0.0.5/24', 'r', { strict: false }).toString()).to.equal('10.0.0.0/24');
  });

  it('rejects malformed prefixes and addresses', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0/8', '300.0.0.0/8', 'fd00::/129', 'x/8', '', 7, null, '10.0.0.0/8/8', ' 10.0.0.0/8']) {
      expect(() => Prefix.parse(bad, 'subnet'), String(bad)).to.throw(ValidationError);
    }
    for (const bad of ['fe80::1%eth0', '1.2.3', '::g', 4]) expect(() => parseAddress(bad, 'ip'), String(bad)).to.throw(ValidationError);
  });

  it('knows overlap and containment, per family', () => {
    const a = Prefix.parse('10.0.0.0/16', 'a');
    expect(a.overlaps(Prefix.parse('10.0.128.0/17', 'b'))).to.equal(true);
    expect(a.overlaps(Prefix.parse('10.0.0.0/8', 'b'))).to.equal(true);
    expect(a.overlaps(Prefix.parse('10.1.0.0/16', 'b'))).to.equal(false);
    expect(a.covers(Prefix.parse('10.0.3.0/24', 'b'))).to.equal(true);
    expect(a.covers(Prefix.parse('10.0.0.0/8', 'b'))).to.equal(false);
    expect(Prefix.parse('::/0', 'v6').overlaps(a)).to.equal(false);
  });

  it('round-trips addresses through BigInt in normal form', () => {
    for (const text of ['0.0.0.0', '255.255.255.255', '172.17.0.1', '::', '::1', 'fd12:3456:789a::1', '2001:db8::ff00:42:8329']) {
      const { family, value } = parseAddress(text, 'ip');
      expect(formatAddress(family, value)).to.equal(text);
    }
  });
});
