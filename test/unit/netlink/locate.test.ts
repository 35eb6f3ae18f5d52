/**
 * Where a plan patches values into encoded requests: offsets found in bytes iproute2 sent
 * (golden fixtures), and in batches of our own.
 */
import { expect } from 'chai';
import { HEADER_INDEX_AT, ifindexOffsets, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, vethPeerNsFdOffset } from '../../../lib/netlink';
import { RtnlBatch } from '../../../lib/rtnl/batch';
import { indexOf, lastSent, loadFixture } from './fixtures';

const IFLA_NET_NS_FD = 28;

describe('locate: offsets of values a plan patches in', () => {
  it('finds the ifindex of link, address and route requests iproute2 sent', () => {
    for (const [name, type] of [['link-set-up', RTM_NEWLINK], ['addr-add-v6', RTM_NEWADDR], ['route-add-v6', RTM_NEWROUTE]] as const) {
      const fx = loadFixture(name);
      const message = lastSent(fx, type);
      const offsets = ifindexOffsets(message);
      expect(offsets, name).to.have.length(1);
      expect(message.readUInt32LE(offsets[0]!), name).to.equal(indexOf(fx, 'v0'));
    }
    expect(ifindexOffsets(lastSent(loadFixture('link-set-up'), RTM_NEWLINK))).to.deep.equal([HEADER_INDEX_AT]);
    // A route without a device has no ifindex to patch.
    expect(ifindexOffsets(lastSent(loadFixture('route-add-default'), RTM_NEWROUTE))).to.deep.equal([]);
  });

  it("finds a veth peer's IFLA_NET_NS_FD, and nothing when the peer stays here", () => {
    const message = lastSent(loadFixture('link-add-veth-peer-netns'), RTM_NEWLINK);
    const at = vethPeerNsFdOffset(message)!;
    // The attribute header before it (nla_len 8, IFLA_NET_NS_FD), and the fd ip had open (4).
    expect(message.readUInt16LE(at - 4)).to.equal(8);
    expect(message.readUInt16LE(at - 2)).to.equal(IFLA_NET_NS_FD);
    expect(message.readUInt32LE(at)).to.equal(4);
    expect(vethPeerNsFdOffset(lastSent(loadFixture('link-add-veth'), RTM_NEWLINK))).to.equal(undefined);
  });

  it("RtnlBatch.offsetsOf names exactly the fields holding one ifindex across the batch's messages", () => {
    const batch = new RtnlBatch()
      .linkSet(1, { up: true })
      .linkSet(RtnlBatch.PEER, { addrGenMode: 'none', up: true })
      .addrAdd(RtnlBatch.PEER, '10.1.2.3/24')
      .routeAdd({ dst: 'default', gateway: '10.1.2.1', dev: RtnlBatch.PEER });
    const bytes = batch.encode();
    const offsets = batch.offsetsOf(RtnlBatch.PEER);
    // addrgenmode, up, address, route: one field each; none in lo's message.
    expect(offsets).to.have.length(4);
    expect(offsets[0]).to.be.at.least(batch.entries[0]!.message.length);
    for (const at of offsets) expect(bytes.readUInt32LE(at)).to.equal(RtnlBatch.PEER);
    // Every other aligned u32 differs: patching these offsets changes all and only them.
    const patched = Buffer.from(bytes);
    for (const at of offsets) patched.writeUInt32LE(7, at);
    expect(patched.indexOf(Buffer.from([0xff, 0xff, 0xff, 0x7f]))).to.equal(-1);
    expect(batch.offsetsOf(1)).to.deep.equal([HEADER_INDEX_AT]);
  });
});
