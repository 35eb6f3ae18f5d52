/**
 * lib/firewall's failure paths against the real kernel: bad input and port conflicts are
 * refused before any batch is sent (apply() is never called, the ruleset listing is
 * unchanged); a batch the kernel refuses — by a conflicting object made behind nsnet's
 * back, or a broken final message — changes nothing and leaves no half-installed
 * endpoint; drift is repaired; and nothing outside nsnet's tables is ever touched.
 * Witness: `nft -j list ruleset` in the namespace.
 */
import { expect } from 'chai';
import { AlreadyExistsError, KernelError, Netns, ValidationError } from '../../lib';
import { Firewall, PortConflictError, type EndpointSpec, type PortInput } from '../../lib/firewall';
import { nft } from '../../lib/netlink';
import { requireSandbox, uniqueName } from '../support/sandbox';
import { nftIn, normalised, rulesetJson, type NftJson } from '../support/topology';

/** Someone else's tables, there before nsnet and expected to stay exactly so. */
const FOREIGN = `
add table ip other
add chain ip other input { type filter hook input priority 0; policy accept; }
add rule ip other input tcp dport 22 counter accept
add table inet filter
add set inet filter blocked { type ipv4_addr; elements = { 192.0.2.99 } }
add chain inet filter forward { type filter hook forward priority 10; policy accept; }
add rule inet filter forward ip saddr @blocked drop
`;

const E1: EndpointSpec = { id: 'e1', network: 'a', ipv4: '198.51.100.2' };
const E2: EndpointSpec = { id: 'e2', network: 'a', ipv4: '198.51.100.3' };

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => expect.fail('resolved'),
    (e: unknown) => e as Error,
  );
}

describe('Firewall: refusals, kernel rejections, atomicity, drift (integration)', function () {
  requireSandbox();
  let host: Netns;
  let fw: Firewall;
  let applies: number;
  let foreign: NftJson;

  const others = (): NftJson => rulesetJson(host).filter((o) => !Object.values(o).some((v: any) => v?.table === 'nsnet' || (v?.name === 'nsnet' && 'family' in v)));

  beforeEach(async () => {
    host = await Netns.create(uniqueName('fwerr'));
    const h = await host.handle();
    for (const br of ['br-a', 'br-b', 'br-i']) await h.linkAdd({ kind: 'bridge', name: br });
    nftIn(host, ['-f', '-'], FOREIGN);
    foreign = others();
    fw = await Firewall.open(host);
    await fw.ensureBase();
    await fw.addNetwork({ id: 'a', bridge: 'br-a', subnets: ['198.51.100.0/26'] });
    await fw.addNetwork({ id: 'b', bridge: 'br-b', subnets: ['198.51.100.64/26'], icc: false });
    await fw.addNetwork({ id: 'i', bridge: 'br-i', subnets: ['198.51.100.128/26'], internal: true });
    await fw.publish(E1, ['8080:80', '127.0.0.1:9090:90/udp']);
    applies = 0;
    const apply = fw.nft.apply.bind(fw.nft);
    fw.nft.apply = (b, o) => {
      applies += 1;
      return apply(b, o);
    };
  });

  afterEach(async () => {
    fw.close();
    await host.delete();
  });

  it('bad input is a ValidationError before any batch: ports, ranges, protocols, endpoints', async () => {
    const before = rulesetJson(host);
    const bad: Array<[EndpointSpec, PortInput[]]> = [
      [E2, ['0:80']],
      [E2, ['8080:0']],
      [E2, ['65536:80']],
      [E2, ['8080:70000']],
      [E2, ['8090-8080:90-80']],
      [E2, ['8080-8081:80-82']],
      [E2, ['80/icmp']],
      [E2, ['80/TCP']],
      [E2, ['1.2.3:8080:80']],
      [E2, ['::1:8080:80']],
      [E2, ['[::1]:8080:80']],
      [E2, ['[2001:db8::1]:8080:80']],
      [E2, [{ containerPorts: { start: 80, end: 79 }, proto: 'tcp' }]],
      [E2, [{ containerPorts: { start: 80, end: 80 }, proto: 'gre' as 'tcp' }]],
      [{ ...E2, id: 'bad id' }, ['80']],
      [{ ...E2, network: 'nosuch' }, ['80']],
      [{ ...E2, ipv4: '203.0.113.5' }, ['80']],
      [{ ...E2, ipv4: 'fd00::1' }, ['80']],
      [{ id: 'e3', network: 'b', ipv4: '198.51.100.66' }, []],
      [{ id: 'e4', network: 'i', ipv4: '198.51.100.130' }, ['80']],
    ];
    for (const [endpoint, ports] of bad) {
      const err = await rejection(fw.publish(endpoint, ports));
      expect(err, `${JSON.stringify(endpoint)} ${JSON.stringify(ports)}`).to.be.instanceOf(ValidationError);
      expect((err as ValidationError).code).to.equal('EINVAL');
    }
    for (const spec of [{ id: 'x', bridge: 'br-x', subnets: ['198.51.100.0/27'] }, { id: 'a', bridge: 'br-a', subnets: ['198.51.100.0/25'] }, { id: 'y', bridge: 'br-a', subnets: [] }, { id: 'z', bridge: 'br-toolong-name0', subnets: [] }]) {
      expect(await rejection(fw.addNetwork(spec))).to.be.instanceOf(ValidationError);
    }
    expect(applies).to.equal(0);
    expect(rulesetJson(host)).to.deep.equal(before);
  });

  it('a host port another endpoint publishes is a PortConflictError before any batch — also for a fresh process', async () => {
    const before = rulesetJson(host);
    for (const ports of [['8080:81'], ['127.0.0.1:8080:80'], ['0.0.0.0:8080:80'], ['127.0.0.1:9090:90/udp'], ['9090:90/udp'], ['8000-8080:8000-8080']]) {
      const err = await rejection(fw.publish(E2, ports));
      expect(err, ports[0]).to.be.instanceOf(PortConflictError);
      expect(err).to.include({ code: 'EADDRINUSE' });
      expect((err as PortConflictError).owner.endpointId).to.equal('e1');
    }
    // Twice in one request.
    expect(await rejection(fw.publish(E2, ['7000:70', '7000:71']))).to.be.instanceOf(PortConflictError);
    expect(applies).to.equal(0);
    expect(rulesetJson(host)).to.deep.equal(before);

    const fresh = await Firewall.open(host);
    try {
      expect(fresh.mappings('e1')).to.have.length(2);
      expect(await rejection(fresh.publish(E2, ['8080:81']))).to.be.instanceOf(PortConflictError);
    } finally {
      fresh.close();
    }
    expect(rulesetJson(host)).to.deep.equal(before);

    // Not conflicts: another protocol, another address of the same port.
    await fw.publish(E2, ['8080:80/udp', '127.0.0.2:9090:90/udp']);
    expect(applies).to.equal(1);
  });

  it('preparePublish holds the queue until commit or abort; an aborted plan installs and reserves nothing', async () => {
    const before = rulesetJson(host);
    const prepared = await fw.preparePublish(E2, ['7070:70']);
    expect(prepared.mappings.map((m) => m.hostPort)).to.deep.equal([7070]);
    expect(prepared.batch.length).to.be.above(0);
    // A publish queued behind it waits: its port is checked against the outcome.
    let queuedDone = false;
    const queued = fw.publish({ id: 'e5', network: 'a', ipv4: '198.51.100.5' }, ['7070:71']).finally(() => (queuedDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(queuedDone).to.equal(false);
    prepared.abort();
    prepared.abort(); // a no-op once settled
    await queued; // 7070 was never taken: the queued one gets it
    expect(fw.mappings('e2')).to.deep.equal([]);
    expect(applies).to.equal(1);
    expect(rulesetJson(host)).to.not.deep.equal(before);
    await fw.unpublish('e5');
    expect(rulesetJson(host)).to.deep.equal(before);

    // Committed: the caller applied the batch; the publication counts from then on.
    const second = await fw.preparePublish(E2, ['7071:70']);
    await fw.nft.apply(second.batch);
    expect(await second.commit()).to.deep.equal(second.mappings);
    expect((await rejection(second.commit())).message).to.match(/already called/);
    expect(fw.mappings('e2').map((m) => m.hostPort)).to.deep.equal([7071]);
    expect(await rejection(fw.publish({ id: 'e6', network: 'a', ipv4: '198.51.100.6' }, ['7071:70']))).to.be.instanceOf(PortConflictError);
  });

  it('a kernel rejection (an element made behind nsnet\'s back) surfaces typed and changes nothing', async () => {
    nftIn(host, ['add', 'element', 'inet', 'nsnet', 'dnat4_any', '{ tcp . 9999 : 198.51.100.9 . 99 }']);
    const before = rulesetJson(host);
    const err = await rejection(fw.publish(E2, ['9998-9999:80-81']));
    expect(err).to.be.instanceOf(AlreadyExistsError);
    expect(err).to.include({ code: 'EEXIST', syscall: 'NFT_MSG_NEWSETELEM', op: 'apply' });
    expect((err as KernelError).target).to.match(/^inet nsnet set dnat4_any/);
    expect(applies).to.equal(1);
    expect(rulesetJson(host)).to.deep.equal(before);
    expect(fw.mappings('e2')).to.deep.equal([]);
    // The index did not keep the failed ports: they can be published elsewhere.
    await fw.publish(E2, ['9998:80']);
  });

  it('a batch broken at its last message installs nothing: no half-installed endpoint or network', async () => {
    const apply = fw.nft.apply;
    const broken = new nft.NftBatch().addChain(nft.baseChain({ family: 'inet', table: 'nsnet', name: 'broken', type: 'nat', hook: 'forward', priority: 0 }));
    fw.nft.apply = (b, o) => {
      for (const e of broken.entries) b.push(e.bytes, e.target);
      return apply(b, o);
    };
    const before = rulesetJson(host);
    const err = await rejection(fw.publish(E2, ['7070:70', '7071-7072:71-72/udp']));
    expect(err).to.be.instanceOf(KernelError);
    expect((err as KernelError).syscall).to.equal('NFT_MSG_NEWCHAIN');
    expect(await rejection(fw.addNetwork({ id: 'c', bridge: 'br-c', subnets: ['198.51.100.192/26'] }))).to.be.instanceOf(KernelError);
    expect(await rejection(fw.unpublish('e1'))).to.be.instanceOf(KernelError);
    expect(await rejection(fw.removeNetwork('b'))).to.be.instanceOf(KernelError);
    expect(rulesetJson(host)).to.deep.equal(before);
    expect(fw.mappings('e2')).to.deep.equal([]);
    expect(fw.mappings('e1')).to.have.length(2);
    expect(fw.state().networks.map((n) => n.id)).to.deep.equal(['a', 'b', 'i']);
    fw.nft.apply = apply;
    await fw.publish(E2, ['7070:70']);
    expect((await fw.snapshot()).publications.map((p) => p.endpoint.id).sort()).to.deep.equal(['e1', 'e2']);
  });

  it('drift: unpublish still removes the rest after elements were deleted by hand; after `nft flush ruleset`, reapply restores all in one batch', async () => {
    nftIn(host, ['delete', 'element', 'inet', 'nsnet', 'dnat4_any', '{ tcp . 8080 }']);
    expect(await fw.unpublish('e1')).to.equal(true);
    // The plain removal failed (ENOENT); the fallback re-applied what remains.
    expect(applies).to.equal(2);
    const snap = await fw.snapshot();
    expect(snap.publications).to.deep.equal([]);
    expect(snap.complete).to.equal(true);

    await fw.publish(E1, ['8080:80']);
    const installed = rulesetJson(host);
    nftIn(host, ['flush', 'ruleset']);
    expect((await fw.snapshot()).missing).to.include('inet nsnet');
    applies = 0;
    await fw.reapply(fw.state());
    expect(applies).to.equal(1);
    // Our tables are back as they were (the foreign ones are gone: someone flushed them).
    const ours = installed.filter((o) => !foreign.some((f) => JSON.stringify(f) === JSON.stringify(o)));
    expect(normalised(rulesetJson(host))).to.deep.equal(normalised(ours));
  });

  it('nothing outside nsnet\'s tables is touched, and uninstall leaves the others exactly as they were', async () => {
    await fw.publish(E2, ['8081:80']);
    await fw.reapply(fw.state());
    await fw.unpublish('e2');
    await fw.removeNetwork('b');
    expect(others()).to.deep.equal(foreign);
    await fw.uninstall();
    expect(rulesetJson(host)).to.deep.equal(foreign);
  });
});
