/**
 * RtnlBatch checks each request when it is added and encodes it only when the bytes are
 * asked for: bad input must still throw at the call, and the bytes must be those of the
 * request builders, in order, however the reads and additions interleave.
 */
import { expect } from 'chai';
import { ValidationError } from '../../lib';
import * as nl from '../../lib/netlink';
import { RtnlBatch } from '../../lib/rtnl/batch';
import { linkFromChanges } from '../../lib/rtnl/link-spec';
import { addrFromCidr, routeFromSpec, validateRouteSpec } from '../../lib/rtnl/route-spec';
import { validateCidr } from '../../lib/validate';

describe('RtnlBatch', () => {
  it('throws ValidationError at the call for every bad input, leaving the batch as it was', () => {
    const batch = new RtnlBatch().linkSet(2, { up: true });
    const bad: Array<() => unknown> = [
      () => batch.linkSet(0, { up: true }),
      () => batch.linkSet(2, { mtu: 10 }),
      () => batch.linkSet(2, { name: 'has space' }),
      () => batch.linkSet(2, { addrGenMode: 'bogus' as never }),
      () => batch.linkDel(-1),
      () => batch.addrAdd(2, '10.0.0.1'),
      () => batch.addrAdd(2, '10.0.0.1/24', { label: 'x'.repeat(16) }),
      () => batch.addrAdd(2, '10.0.0.1/24', { label: 'nul\0' }),
      () => batch.addrAdd(2, '10.0.0.1/24', { broadcast: 'fd00::1' }),
      () => batch.addrDel(2, '300.0.0.1/8'),
      () => batch.routeAdd({ dst: 'nowhere' }),
      () => batch.routeAdd({ dst: '10.0.0.0/8', gateway: 'fd00::1' }),
      () => batch.routeDel({ dst: 'default', dev: 0 }),
      () => batch.neighAdd({ dev: 2, dst: '10.0.0.9', lladdr: 'zz:00:00:00:00:00' }),
    ];
    for (const attempt of bad) expect(attempt, attempt.toString()).to.throw(ValidationError);
    expect(batch.size).to.equal(1);
    expect(batch.encode()).to.deep.equal(nl.linkSet(linkFromChanges(2, { up: true }, undefined)));
  });

  it("encodes what the request builders encode, in order, also when read between additions", () => {
    const batch = new RtnlBatch().linkSet(3, { up: true, mtu: 1400 }).addrAdd(3, '10.1.2.3/24', { label: 'v0:x' });
    const first = batch.entries.map((e) => e.message);
    batch.routeAdd({ dst: 'default', gateway: '10.1.2.1', dev: 3 }).addrDel(3, 'fd00::2/64');
    const route = { dst: 'default', gateway: '10.1.2.1', dev: 3 };
    const expected = [
      nl.linkSet(linkFromChanges(3, { up: true, mtu: 1400 }, undefined)),
      nl.addrNew(addrFromCidr(3, validateCidr('10.1.2.3/24'), { label: 'v0:x' }), {}),
      nl.routeNew(routeFromSpec(route, validateRouteSpec(route), 3), {}),
      nl.addrDel(addrFromCidr(3, validateCidr('fd00::2/64'))),
    ];
    expect(batch.size).to.equal(4);
    expect(first).to.deep.equal(expected.slice(0, 2));
    expect(batch.entries.map((e) => e.message)).to.deep.equal(expected);
    expect(batch.entries.map((e) => e.op)).to.deep.equal(['linkSet', 'addrAdd', 'routeAdd', 'addrDel']);
    expect(batch.encode()).to.deep.equal(Buffer.concat(expected));
    // Encoded once: a second read hands back the same buffers.
    expect(batch.entries[0]!.message).to.equal(batch.entries[0]!.message);
  });
});
