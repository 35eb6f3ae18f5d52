import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { chooseSubnet, DEFAULT_BRIDGE_POOLS, DEFAULT_POOLS, validatePools } from '../../../lib/ipam/pools';
import { Prefix } from '../../../lib/ipam/prefix';
import { newUlaGlobalId, ulaPool } from '../../../lib/ipam/ula';

const p = (s: string): Prefix => Prefix.parse(s, 'x', { strict: false });

describe('ipam pools', () => {
  it("has Docker's defaults", () => {
    expect(DEFAULT_BRIDGE_POOLS).to.deep.equal([{ base: '172.17.0.0/16', size: 16 }]);
    expect(DEFAULT_POOLS[0]).to.deep.equal({ base: '172.18.0.0/16', size: 16 });
    expect(DEFAULT_POOLS[13]).to.deep.equal({ base: '172.31.0.0/16', size: 16 });
    expect(DEFAULT_POOLS[14]).to.deep.equal({ base: '192.168.0.0/16', size: 20 });
    expect(DEFAULT_POOLS).to.have.length(15);
  });

  it('chooses the first subnet that overlaps nothing taken', () => {
    const pools = validatePools(DEFAULT_POOLS, 'pools');
    expect(chooseSubnet(pools, [])!.toString()).to.equal('172.18.0.0/16');
    expect(chooseSubnet(pools, [p('172.18.0.0/16')])!.toString()).to.equal('172.19.0.0/16');
    expect(chooseSubnet(pools, [p('172.18.5.0/24')])!.toString()).to.equal('172.19.0.0/16');
    // A route covering all of 172.16.0.0/12 pushes the choice into 192.168.0.0/16's /20s.
    expect(chooseSubnet(pools, [p('172.16.0.0/12')])!.toString()).to.equal('192.168.0.0/20');
    expect(chooseSubnet(pools, [p('172.16.0.0/12'), p('192.168.0.0/24'), p('192.168.17.1/32')])!.toString()).to.equal('192.168.32.0/20');
    expect(chooseSubnet(pools, [p('172.16.0.0/12'), p('192.168.0.0/16')])).to.equal(undefined);
  });

  it('jumps over taken ranges in a large pool instead of walking them', () => {
    const [pool] = validatePools([{ base: 'fd00:1:2::/48', size: 64 }], 'pools');
    const taken = [p('fd00:1:2::/49')]; // the first 32,768 /64s
    expect(chooseSubnet([pool!], taken)!.toString()).to.equal('fd00:1:2:8000::/64');
  });

  it('derives a unique-local /48 from a random 40-bit global id (RFC 4193)', () => {
    const id = newUlaGlobalId(() => Buffer.from([0x12, 0x34, 0x56, 0x78, 0x9a]));
    expect(id).to.equal('123456789a');
    expect(ulaPool(id)).to.deep.equal({ base: 'fd12:3456:789a::/48', size: 64 });
    expect(newUlaGlobalId()).to.match(/^[0-9a-f]{10}$/);
    expect(p(ulaPool(newUlaGlobalId()).base).length).to.equal(48);
  });

  it('rejects pools whose subnets are too small or larger than the base', () => {
    const bad: unknown[] = [
      [{ base: '10.0.0.0/8', size: 31 }],
      [{ base: '10.0.0.0/8', size: 32 }],
      [{ base: 'fd00::/48', size: 127 }],
      [{ base: '10.0.0.0/24', size: 16 }],
      [{ base: '10.0.0.0/8', size: 24.5 }],
      [{ base: '10.0.0.1/8', size: 24 }],
      [{ base: '10.0.0.0/8' }],
      [null],
      'pools',
    ];
    for (const pools of bad) expect(() => validatePools(pools, 'pools'), JSON.stringify(pools)).to.throw(ValidationError);
  });
});
