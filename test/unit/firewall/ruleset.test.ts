import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { nft } from '../../../lib/netlink';
import {
  decodeDnatElement,
  endpointComment,
  inSubnets,
  networkChains,
  networkComment,
  networkIdOfChain,
  parseEndpointComment,
  parseNetworkComment,
  planAddNetwork,
  planBase,
  planPublish,
  planReapply,
  planRemoveNetwork,
  planUnpublish,
  planUnpublishMany,
  publicationElements,
  resolveEndpoint,
  resolveNetwork,
  staticRuleCounts,
  subnetsOverlap,
} from '../../../lib/firewall/ruleset';
import type { PortMapping, Publication } from '../../../lib/firewall/types';

/** "NFT_MSG_NEWRULE inet nsnet forward" per message of a batch. */
function lines(b: nft.NftBatch): string[] {
  return b.entries.map((e) => `${e.msg} ${e.target}`);
}

function decoded(b: nft.NftBatch): nft.NftObject[] {
  return b.entries.map((e) => nft.decodeNftObject(e.bytes.readUInt16LE(4), e.bytes.subarray(16))!);
}

const NET = resolveNetwork({ id: 'n1', bridge: 'br-n1', subnets: ['172.18.0.0/16', 'FD00:1::/64'] });
const pub = (id: string, mappings: PortMapping[], port?: string): Publication => ({ endpoint: { id, network: 'n1', ipv4: '172.18.0.2', ...(port ? { port } : {}) }, mappings });
const M4: PortMapping = { family: 4, proto: 'tcp', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80 };

describe('firewall ruleset (pure planning)', () => {
  it('resolves networks with defaults and refuses bad ones', () => {
    expect(NET).to.deep.equal({ id: 'n1', bridge: 'br-n1', subnets: ['172.18.0.0/16', 'fd00:1::/64'], masquerade: true, icc: true, internal: false, isolated: true });
    expect(resolveNetwork({ id: 'x', bridge: 'b', subnets: ['10.1.2.3/8'] }).subnets).to.deep.equal(['10.0.0.0/8']);
    for (const bad of [
      { id: '', bridge: 'b', subnets: [] },
      { id: 'a b', bridge: 'b', subnets: [] },
      { id: 'x', bridge: 'way-too-long-name', subnets: [] },
      { id: 'x', bridge: 'b', subnets: ['10.0.0.0'] },
      { id: 'x', bridge: 'b', subnets: 'oops' },
      { id: 'x', bridge: 'b', subnets: [], icc: 'no' },
    ]) {
      expect(() => resolveNetwork(bad as never), JSON.stringify(bad)).to.throw(ValidationError);
    }
    expect(() => resolveEndpoint({ id: 'e', network: 'n', ipv4: 'fd00::1' })).to.throw(ValidationError);
    expect(resolveEndpoint({ id: 'e', network: 'n', ipv6: 'FD00::0001' }).ipv6).to.equal('fd00::1');
  });

  it('subnet arithmetic', () => {
    expect(inSubnets('172.18.3.4', NET.subnets)).to.equal(true);
    expect(inSubnets('172.19.0.1', NET.subnets)).to.equal(false);
    expect(inSubnets('fd00:1::9', NET.subnets)).to.equal(true);
    expect(subnetsOverlap('10.0.0.0/8', '10.1.0.0/16')).to.equal(true);
    expect(subnetsOverlap('10.1.0.0/16', '10.0.0.0/8')).to.equal(true);
    expect(subnetsOverlap('10.0.0.0/25', '10.0.0.128/25')).to.equal(false);
    expect(subnetsOverlap('10.0.0.0/8', 'fd00::/8')).to.equal(false);
  });

  it('reads back its own comments and chain names', () => {
    expect(parseNetworkComment(networkComment(NET))).to.deep.equal(NET);
    const off = resolveNetwork({ id: 'x', bridge: 'b', subnets: [], icc: false, internal: true, masquerade: false, isolated: false });
    expect(parseNetworkComment(networkComment(off))).to.deep.equal(off);
    expect(parseNetworkComment('someone else')).to.equal(undefined);
    expect(parseEndpointComment(endpointComment({ id: 'e1', network: 'n1' }))).to.deep.equal({ id: 'e1', network: 'n1' });
    expect(parseEndpointComment('ep=a b')).to.equal(undefined);
    expect(networkIdOfChain(networkChains('n1').out)).to.equal('n1');
    expect(networkIdOfChain('nw-n1-in')).to.equal(undefined);
  });

  it('the base never flushes the user chain nor any set, and adds one rule per static rule', () => {
    const l = lines(planBase());
    expect(l).to.include('NFT_MSG_NEWCHAIN inet nsnet user');
    expect(l.filter((x) => x.startsWith('NFT_MSG_DELRULE')).map((x) => x.split(' ').pop())).to.deep.equal(['guard', 'prerouting', 'output', 'publish', 'forward', 'postrouting', 'forward']);
    expect(l.some((x) => x.startsWith('NFT_MSG_DELSETELEM'))).to.equal(false);
    const counts = staticRuleCounts();
    const total = [...counts.inet.values()].reduce((a, b) => a + b, 0) + counts.bridge;
    expect(l.filter((x) => x.startsWith('NFT_MSG_NEWRULE'))).to.have.length(total);
  });

  it('a network is chains + rules + vmap/set elements; removing it deletes elements before chains', () => {
    expect(lines(planAddNetwork(NET)).filter((x) => !x.startsWith('NFT_MSG_NEWRULE'))).to.deep.equal([
      'NFT_MSG_NEWCHAIN inet nsnet nw-n1-in',
      'NFT_MSG_NEWCHAIN inet nsnet nw-n1-out',
      'NFT_MSG_NEWCHAIN inet nsnet nw-n1-post',
      'NFT_MSG_NEWSETELEM inet nsnet set fwd_in',
      'NFT_MSG_NEWSETELEM inet nsnet set fwd_out',
      'NFT_MSG_NEWSETELEM inet nsnet set post',
      'NFT_MSG_NEWSETELEM inet nsnet set bridges',
    ]);
    const rm = lines(planRemoveNetwork(NET, [pub('e1', [M4])]));
    expect(rm).to.deep.equal([
      'NFT_MSG_DELSETELEM inet nsnet set dnat4_any',
      'NFT_MSG_DELSETELEM inet nsnet set fwd_in',
      'NFT_MSG_DELSETELEM inet nsnet set fwd_out',
      'NFT_MSG_DELSETELEM inet nsnet set post',
      'NFT_MSG_DELSETELEM inet nsnet set bridges',
      'NFT_MSG_DELRULE inet nsnet nw-n1-in',
      'NFT_MSG_DELRULE inet nsnet nw-n1-out',
      'NFT_MSG_DELRULE inet nsnet nw-n1-post',
      'NFT_MSG_DELCHAIN inet nsnet nw-n1-in',
      'NFT_MSG_DELCHAIN inet nsnet nw-n1-out',
      'NFT_MSG_DELCHAIN inet nsnet nw-n1-post',
    ]);
    const open = resolveNetwork({ id: 'o', bridge: 'br-o', subnets: [], isolated: false });
    expect(lines(planAddNetwork(open))).to.include('NFT_MSG_NEWSETELEM inet nsnet set open');
  });

  it("publishing costs the same batch whatever else is published: it depends only on the endpoint's own elements", () => {
    const first = planPublish(pub('e0001', [M4]), NET, undefined);
    const thousandth = planPublish(pub('e1000', [{ ...M4, hostPort: 9080 }]), NET, undefined);
    expect(lines(first)).to.deep.equal(['NFT_MSG_NEWSETELEM inet nsnet set dnat4_any']);
    expect(lines(thousandth)).to.deep.equal(lines(first));
    expect(first.entries[0]!.bytes.length).to.equal(thousandth.entries[0]!.bytes.length);
    // A republish takes the old elements out in the same batch.
    expect(lines(planPublish(pub('e1', [{ ...M4, hostIp: '127.0.0.1' }]), NET, pub('e1', [M4])))).to.deep.equal([
      'NFT_MSG_DELSETELEM inet nsnet set dnat4_any',
      'NFT_MSG_NEWSETELEM inet nsnet set dnat4',
    ]);
    // Large publications are split so each element list fits its 16-bit nest.
    const many = Array.from({ length: 450 }, (_, i) => ({ ...M4, hostPort: 10000 + i }));
    expect(lines(planPublish(pub('e2', many), NET, undefined))).to.have.length(3);
  });

  it('element bytes decode back to the mapping, with the endpoint in the comment', () => {
    const mappings: PortMapping[] = [
      M4,
      { family: 4, proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, containerIp: '172.18.0.2', containerPort: 5353 },
      { family: 6, proto: 'sctp', hostPort: 3868, containerIp: 'fd00:1::2', containerPort: 3868 },
      { family: 6, proto: 'tcp', hostIp: '2001:db8::1', hostPort: 443, containerIp: 'fd00:1::2', containerPort: 8443 },
    ];
    const groups = publicationElements(pub('e1', mappings, 'veth1'), { icc: false });
    const back = groups.filter((g) => g.family === 'inet').flatMap((g) => g.elements.map((e) => decodeDnatElement(g.set, e)));
    expect(back).to.have.deep.members(mappings);
    const icc = groups.find((g) => g.family === 'bridge')!;
    expect(icc.set).to.equal('icc_off');
    expect(nft.udataComment(icc.elements[0]!.userdata, 0)).to.equal('ep=e1 nw=n1');
    // The batch's own bytes carry the same elements.
    const objs = decoded(planPublish(pub('e1', mappings, 'veth1'), resolveNetwork({ ...NET, icc: false }), undefined));
    expect(objs.every((o) => o.kind === 'elements')).to.equal(true);
    expect(planUnpublish(pub('e1', mappings, 'veth1'), { icc: false }).entries.every((e) => e.msg === 'NFT_MSG_DELSETELEM')).to.equal(true);
  });

  it('unpublishMany merges every endpoint\'s elements into one message per set', () => {
    const pubs = Array.from({ length: 300 }, (_, i) => pub(`e${i}`, [{ ...M4, hostPort: 20000 + i }], `veth${i}`));
    const b = planUnpublishMany(pubs.map((p) => [p, { icc: false }] as const));
    // 300 dnat elements and 300 icc port elements: two sets, 200 elements per message.
    expect(lines(b)).to.deep.equal([
      'NFT_MSG_DELSETELEM inet nsnet set dnat4_any',
      'NFT_MSG_DELSETELEM inet nsnet set dnat4_any',
      'NFT_MSG_DELSETELEM bridge nsnet set icc_off',
      'NFT_MSG_DELSETELEM bridge nsnet set icc_off',
    ]);
    const keys = decoded(b).flatMap((o) => (o.kind === 'elements' ? o.elements.elements : [])).length;
    expect(keys).to.equal(600);
    // The same elements as N single removals, nothing more.
    const single = pubs.flatMap((p) => decoded(planUnpublish(p, { icc: false })).flatMap((o) => (o.kind === 'elements' ? o.elements.elements : [])));
    expect(single).to.have.length(600);
  });

  it('reapply flushes vmaps before deleting the network chains it was told exist, and never flushes the user chain', () => {
    const l = lines(planReapply([NET], [pub('e1', [M4])], ['nw-old-in', 'nw-old-out', 'nw-old-post']));
    expect(l.filter((x) => / user$/.test(x))).to.deep.equal(['NFT_MSG_NEWCHAIN inet nsnet user']);
    const lastFlush = Math.max(...l.map((x, i) => (x.startsWith('NFT_MSG_DELSETELEM') ? i : -1)));
    const firstDelChain = l.findIndex((x) => x.startsWith('NFT_MSG_DELCHAIN'));
    expect(lastFlush).to.be.lessThan(firstDelChain);
    expect(l.filter((x) => x.startsWith('NFT_MSG_DELCHAIN'))).to.have.length(3);
    expect(l).to.include('NFT_MSG_NEWSETELEM inet nsnet set dnat4_any');
    expect(() => planReapply([], [pub('e1', [M4])], [])).to.throw(/unknown network/);
  });
});
