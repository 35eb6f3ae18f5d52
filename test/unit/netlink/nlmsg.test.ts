/** nlmsghdr framing: encode, split (with length validation), NLMSG_ERROR. */
import { expect } from 'chai';
import {
  decodeError,
  encodeMessage,
  NetlinkDecodeError,
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_ERROR,
  RTM_NEWLINK,
  splitMessages,
} from '../../../lib/netlink';
import { loadFixture, received } from './fixtures';

describe('nlmsg', () => {
  it('encodes a header with seq = pid = 0 and pads the message to 4 bytes', () => {
    const msg = encodeMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.from([1, 2, 3, 4, 5]));
    expect(msg.toString('hex')).to.equal('18000000' + '1000' + '0500' + '00000000' + '00000000' + '0102030405000000');
  });

  it('splits a kernel dump into messages whose lengths add up', () => {
    const fx = loadFixture('link-dump');
    const recv = fx.messages.filter((m) => m.dir === 'recv');
    for (const r of recv) {
      const buf = Buffer.from(r.hex, 'hex');
      const msgs = splitMessages(buf);
      const total = msgs.reduce((n, m) => n + ((m.payload.length + 16 + 3) & ~3), 0);
      expect(total).to.equal(buf.length);
    }
  });

  it('rejects truncated headers and bad nlmsg_len with NetlinkDecodeError', () => {
    const good = encodeMessage(RTM_NEWLINK, 0, Buffer.alloc(16));
    expect(() => splitMessages(good.subarray(0, 10))).to.throw(NetlinkDecodeError);
    const short = Buffer.from(good);
    short.writeUInt32LE(8, 0); // shorter than its own header
    expect(() => splitMessages(short)).to.throw(NetlinkDecodeError);
    const long = Buffer.from(good);
    long.writeUInt32LE(good.length + 4, 0); // runs past the buffer
    expect(() => splitMessages(long)).to.throw(NetlinkDecodeError);
    expect(splitMessages(Buffer.alloc(0))).to.deep.equal([]);
  });

  it('reads a captured ACK (errno 0, NLM_F_CAPPED: only the request header echoed)', () => {
    const fx = loadFixture('link-add-bridge');
    const errs = received(fx).filter((m) => m.type === NLMSG_ERROR);
    const ack = decodeError(errs[errs.length - 1]!);
    expect(ack.errno).to.equal(0);
    expect(ack.request.type).to.equal(RTM_NEWLINK);
  });

  it("reads iproute2's probe error (-ENODEV, whole request echoed, no extack)", () => {
    const fx = loadFixture('link-add-bridge');
    const first = decodeError(received(fx).find((m) => m.type === NLMSG_ERROR)!);
    expect(first.errno).to.equal(-19);
    expect(first.extack).to.equal(undefined);
  });

  it('reads a captured extended ACK: -EINVAL with the kernel\'s message', () => {
    const fx = loadFixture('error-extack');
    const errs = received(fx).filter((m) => m.type === NLMSG_ERROR);
    const err = decodeError(errs[errs.length - 1]!);
    expect(err.errno).to.equal(-22);
    expect(err.request.type).to.equal(RTM_NEWLINK);
    expect(err.extack).to.equal('mtu greater than device maximum');
  });

  it('rejects NLMSG_ERROR payloads too short for struct nlmsgerr', () => {
    expect(() => decodeError({ type: NLMSG_ERROR, flags: 0, seq: 0, pid: 0, payload: Buffer.alloc(8) })).to.throw(
      NetlinkDecodeError,
    );
  });
});
