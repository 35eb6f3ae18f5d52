/** Attribute writer and parser: alignment, nesting, flags, bounds. */
import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { AttrWriter, NetlinkDecodeError, NLA_F_NESTED, NLA_F_NET_BYTEORDER, parseAttrs } from '../../../lib/netlink';

describe('attributes', () => {
  it('pads each attribute to 4 bytes; nla_len excludes the padding', () => {
    const b = new AttrWriter().u8(1, 7).string(3, 'br0').bytes();
    expect(b.toString('hex')).to.equal('0500010007000000' + '0800030062723000');
  });

  it('writes strings without the NUL when asked (IFLA_INFO_KIND as iproute2 sends it)', () => {
    expect(new AttrWriter().string(1, 'veth', 'kind', false).bytes().toString('hex')).to.equal('0800010076657468');
  });

  it('writes integers little-endian, be16 big-endian', () => {
    const b = new AttrWriter().u16(1, 0x1234).be16(2, 4789).u32(3, 1).s32(4, -1).u64(5, 2n).bytes();
    expect(b.toString('hex')).to.equal(
      '0600010034120000' + '0600020012b50000' + '0800030001000000' + '08000400ffffffff' + '0c0005000200000000000000',
    );
  });

  it('nests: nla_len covers the inner attributes and their padding; NLA_F_NESTED on request', () => {
    const w = new AttrWriter();
    w.nest(18, () => w.string(1, 'br', undefined, false));
    w.nest(12, () => w.u8(4, 1), true);
    expect(w.bytes().toString('hex')).to.equal('0c001200' + '0600010062720000' + '0c000c80' + '0500040001000000');
  });

  it('rejects out-of-range values with ValidationError naming the field', () => {
    expect(() => new AttrWriter().u8(1, 256, 'ttl')).to.throw(ValidationError, /ttl/);
    expect(() => new AttrWriter().u32(1, -1)).to.throw(ValidationError);
    expect(() => new AttrWriter().u32(1, 1.5)).to.throw(ValidationError);
    expect(() => new AttrWriter().string(1, 'a\0b')).to.throw(ValidationError);
    expect(() => new AttrWriter().attr(1, Buffer.alloc(0x10000))).to.throw(ValidationError);
  });

  it('parses back, masking NLA_F_NESTED / NLA_F_NET_BYTEORDER into `flags`', () => {
    const w = new AttrWriter();
    w.nest(12, () => w.u8(4, 1), true);
    w.attr(15, Buffer.from([0x12, 0xb5]), NLA_F_NET_BYTEORDER);
    const attrs = parseAttrs(w.bytes());
    expect(attrs.map((a) => [a.type, a.flags])).to.deep.equal([
      [12, NLA_F_NESTED],
      [15, NLA_F_NET_BYTEORDER],
    ]);
    expect(parseAttrs(attrs[0]!.data).map((a) => [a.type, a.data.toString('hex')])).to.deep.equal([[4, '01']]);
  });

  it('accepts a last attribute without its padding', () => {
    expect(parseAttrs(Buffer.from('0500010007', 'hex')).map((a) => a.data.toString('hex'))).to.deep.equal(['07']);
  });

  it('throws NetlinkDecodeError on a truncated header, a short or overlong nla_len', () => {
    expect(() => parseAttrs(Buffer.from('050001', 'hex'))).to.throw(NetlinkDecodeError);
    expect(() => parseAttrs(Buffer.from('03000100', 'hex'))).to.throw(NetlinkDecodeError);
    expect(() => parseAttrs(Buffer.from('0900010000000000', 'hex'))).to.throw(NetlinkDecodeError);
  });
});
