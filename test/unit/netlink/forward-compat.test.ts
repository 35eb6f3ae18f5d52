/**
 * Forward compatibility: what a newer kernel may send (longer structs, new attributes,
 * new enum values, unknown kinds) decodes; what is truncated fails cleanly.
 */
import { expect } from 'chai';
import {
  AttrWriter,
  decodeLink,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFLA_STATS64,
  NetlinkDecodeError,
  RTM_NEWLINK,
  STATS64_FIELDS,
  writeLink,
} from '../../../lib/netlink';
import { loadFixture, received } from './fixtures';

function linkWith(fill: (w: AttrWriter) => void): Buffer {
  const w = new AttrWriter();
  writeLink(w, { name: 'x0' });
  fill(w);
  return w.bytes();
}

describe('forward compatibility', () => {
  it('reads the IFLA_STATS64 counters it knows from a struct that grew', () => {
    const grown = Buffer.alloc((STATS64_FIELDS.length + 3) * 8);
    for (let i = 0; i < STATS64_FIELDS.length + 3; i++) grown.writeBigUInt64LE(BigInt(i + 1), i * 8);
    const l = decodeLink(linkWith((w) => w.attr(IFLA_STATS64, grown)));
    expect(Object.keys(l.stats64 ?? {})).to.have.length(STATS64_FIELDS.length);
    expect(l.stats64?.rxPackets).to.equal(1n);
    expect(l.stats64?.rxOtherhostDropped).to.equal(BigInt(STATS64_FIELDS.length));
  });

  it('reads an older, shorter IFLA_STATS64 and leaves the missing counters absent', () => {
    const l = decodeLink(linkWith((w) => w.attr(IFLA_STATS64, Buffer.alloc(23 * 8))));
    expect(l.stats64?.rxCompressed).to.equal(0n);
    expect(l.stats64?.rxNohandler).to.equal(undefined);
  });

  it('keeps attributes it has no field for, raw and in order', () => {
    const l = decodeLink(linkWith((w) => w.u32(999, 7).attr(1000, Buffer.from('hi'))));
    expect(l.unknown.map((a) => [a.type, a.data.toString('hex')])).to.deep.equal([
      [999, '07000000'],
      [1000, '6869'],
    ]);
  });

  it('keeps an enum value it does not know (a new macvlan mode) raw', () => {
    const l = decodeLink(
      linkWith((w) =>
        w.nest(IFLA_LINKINFO, () => {
          w.string(IFLA_INFO_KIND, 'macvlan');
          w.nest(IFLA_INFO_DATA, () => w.u32(IFLA_MACVLAN_MODE, 64));
        }),
      ),
    );
    const data = l.linkinfo?.data;
    if (data?.kind !== 'macvlan') throw new Error('not macvlan');
    expect(data.mode).to.equal(undefined);
    expect(data.unknown?.map((a) => a.type)).to.deep.equal([IFLA_MACVLAN_MODE]);
  });

  it('fails with NetlinkDecodeError, not a RangeError, on a reply cut inside an attribute', () => {
    const reply = received(loadFixture('link-get')).find((m) => m.type === RTM_NEWLINK);
    if (reply === undefined) throw new Error('no reply');
    const whole = decodeLink(reply.payload);
    expect(whole.name).to.equal('v0');
    // Cut inside the ifinfomsg, then inside each top-level attribute's header and data.
    const cuts = [3];
    for (let off = 16; off < reply.payload.length; off += (reply.payload.readUInt16LE(off) + 3) & ~3) {
      const len = reply.payload.readUInt16LE(off);
      cuts.push(off + 2);
      if (len > 4) cuts.push(off + len - 1);
    }
    expect(cuts.length).to.be.greaterThan(40);
    for (const cut of cuts) {
      expect(() => decodeLink(reply.payload.subarray(0, cut)), `cut at ${cut}`).to.throw(NetlinkDecodeError);
    }
  });
});
