/**
 * The kernel floor beside bench/runtime: bench/floor/compare.c with `make-netns` makes each
 * container's namespace in its timed loop (as nsnet does in that bench). Checked with
 * iproute2 that the namespaces it makes are the ones it configures, and that the bench's
 * wrapper leaves nothing behind. Timings are not asserted.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { Netns } from '../../lib';
import { floorSetupMs } from '../../bench/runtime';
import { execJson } from '../../bench/support/child';
import { buildFloor } from '../../bench/support/floor';
import { ipJson, requireSandbox, uniqueName } from '../support/sandbox';

describe('bench/runtime: the C floor that makes its namespaces (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let binary: string;
  before(() => {
    binary = buildFloor('compare');
  });

  it('makes each container namespace as `ip netns add` does, with eth0 addressed and a default route', async () => {
    const hostNs = await Netns.create(uniqueName('rtfh'));
    const prefix = uniqueName('rtft');
    try {
      const r = await execJson<{ n: number; eachMs: number[] }>(hostNs, 'floor', binary, [
        'setup', prefix, 'cmpbr0', '10.88.0.1/16', '10.88.0.2', '2', 'make-netns',
      ]);
      expect(r.n).to.equal(2);
      expect(r.eachMs).to.have.length(2);
      const listed = ipJson<Array<{ name: string }>>('netns', 'list').map((x) => x.name);
      expect(listed).to.include.members([`${prefix}0`, `${prefix}1`]);
      for (const [i, address] of [[0, '10.88.0.2'], [1, '10.88.0.3']] as const) {
        const [eth0] = ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number }> }>>('-n', `${prefix}${i}`, 'addr', 'show', 'eth0');
        expect(eth0!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).to.deep.equal([`${address}/16`]);
        const [route] = ipJson<Array<{ gateway?: string }>>('-n', `${prefix}${i}`, 'route', 'show', 'default');
        expect(route?.gateway).to.equal('10.88.0.1');
      }
      const ports = ipJson<Array<{ ifname: string }>>('-n', hostNs.name!, 'link', 'show', 'master', 'cmpbr0');
      expect(ports).to.have.length(2);
    } finally {
      await hostNs.delete();
      for (const i of [0, 1]) await Netns.deleteByName(`${prefix}${i}`);
    }
  });

  it('floorSetupMs gives a per-container figure and leaves no namespace behind', async () => {
    const before = fs.readdirSync('/run/netns').sort();
    const ms = await floorSetupMs(binary, 3);
    expect(ms).to.be.a('number').greaterThan(0);
    expect(fs.readdirSync('/run/netns').sort()).to.deep.equal(before);
  });
});
