import { expect } from 'chai';
import { ValidationError } from '../../lib/errors';
import { validateCidr, validateIfName, validateIp, validateMac, validateMtu, validateNetnsName } from '../../lib/validate';

function rejects(fn: () => unknown, field: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).code).to.equal('EINVAL');
    expect((err as ValidationError).field).to.equal(field);
    return;
  }
  expect.fail('expected a ValidationError');
}

describe('validate', () => {
  it('accepts interface names the kernel accepts', () => {
    for (const name of ['eth0', 'br-0123456789ab', 'a', 'veth1234567', 'x'.repeat(15), 'vé']) {
      expect(validateIfName(name)).to.equal(name);
    }
  });

  it('rejects interface names the kernel or iproute2 would not keep as given', () => {
    for (const name of ['', 'x'.repeat(16), '.', '..', 'a/b', 'a b', 'a\tb', 'eth%d', 'a:b', 'a\nb', 'a\u0001', 'é'.repeat(8), 7, null]) {
      rejects(() => validateIfName(name, 'ifname'), 'ifname');
    }
  });

  it('checks namespace names as single path components', () => {
    expect(validateNetnsName('ctr-1')).to.equal('ctr-1');
    for (const name of ['', '.', '..', 'a/b', '../x', 'a\0b', 'n'.repeat(256)]) rejects(() => validateNetnsName(name), 'name');
  });

  it('checks the MTU range', () => {
    expect(validateMtu(1500)).to.equal(1500);
    expect(validateMtu(68)).to.equal(68);
    expect(validateMtu(65535)).to.equal(65535);
    for (const mtu of [67, 65536, 0, -1, 1500.5, '1500', NaN]) rejects(() => validateMtu(mtu), 'mtu');
  });

  it('checks MAC addresses and refuses multicast and zero', () => {
    expect(validateMac('02:42:AC:11:00:02')).to.equal('02:42:ac:11:00:02');
    for (const mac of ['02:42:ac:11:00', '02-42-ac-11-00-02', '01:00:5e:00:00:01', '00:00:00:00:00:00', 'zz:42:ac:11:00:02', '']) {
      rejects(() => validateMac(mac), 'mac');
    }
  });

  it('parses CIDRs for both families', () => {
    expect(validateCidr('10.1.2.3/24')).to.deep.equal({ address: '10.1.2.3', prefixLength: 24, family: 4 });
    expect(validateCidr('FD00::1/64')).to.deep.equal({ address: 'fd00::1', prefixLength: 64, family: 6 });
    expect(validateCidr('0.0.0.0/0')).to.deep.equal({ address: '0.0.0.0', prefixLength: 0, family: 4 });
    for (const cidr of ['10.1.2.3', '10.1.2.3/33', 'fd00::1/129', '10.1.2/24', '300.1.2.3/8', '10.1.2.3/-1', '10.1.2.3/24/1', 'x/8', '0x0a.0.0.1/8']) {
      rejects(() => validateCidr(cidr), 'address');
    }
  });

  it('parses plain IP addresses', () => {
    expect(validateIp('192.168.0.1')).to.deep.equal({ address: '192.168.0.1', family: 4 });
    expect(validateIp('::1')).to.deep.equal({ address: '::1', family: 6 });
    for (const ip of ['10.1', '1.2.3.4/8', '', 'fe80::1::2']) rejects(() => validateIp(ip), 'address');
  });
});
