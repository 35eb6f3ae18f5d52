/**
 * The pure parts of bench/compare: the CNI chain executor's per-plugin configuration
 * (CNI spec 1.0), Podman's network options for netavark, the shell baseline's nft
 * script, the addressing plan and the growth figure.
 */
import { expect } from 'chai';
import { cniPluginInput, confList, type CniRuntime } from '../../bench/compare/cni';
import { networkOptions } from '../../bench/compare/netavark';
import { nftScript } from '../../bench/compare/shell';
import { containerId, growthOf, hostPort, plannedAddress } from '../../bench/compare/workload';

describe('bench/compare (pure parts)', () => {
  const rt: CniRuntime = {
    containerId: containerId(3),
    netns: '/run/netns/cmpc3',
    ifname: 'eth0',
    capabilityArgs: { portMappings: [{ hostPort: 20003, containerPort: 80, protocol: 'tcp' }], bandwidth: { ingressRate: 1 } },
  };
  const list = confList('/tmp/data');

  it('gives each CNI plugin the list name and version, and no prevResult first', () => {
    const conf = JSON.parse(cniPluginInput(list, list.plugins[0]!, rt, undefined));
    expect(conf.name).to.equal('cmp');
    expect(conf.cniVersion).to.equal('1.0.0');
    expect(conf.type).to.equal('bridge');
    expect(conf.ipam.dataDir).to.equal('/tmp/data');
    expect(conf).to.not.have.property('prevResult');
    // The bridge declares no capabilities: it sees no runtimeConfig.
    expect(conf).to.not.have.property('runtimeConfig');
  });

  it('passes prevResult on, and only the runtimeConfig keys a plugin declares', () => {
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.88.0.5/16' }] };
    const conf = JSON.parse(cniPluginInput(list, list.plugins[1]!, rt, prev));
    expect(conf.type).to.equal('portmap');
    expect(conf.prevResult).to.deep.equal(prev);
    expect(conf.runtimeConfig).to.deep.equal({ portMappings: [{ hostPort: 20003, containerPort: 80, protocol: 'tcp' }] });
    // capabilities is the network config's business, not the plugin input's.
    expect(conf).to.not.have.property('capabilities');
  });

  it('hands netavark static addresses and one published port, as Podman does', () => {
    const o = networkOptions(7) as any;
    expect(o.container_id).to.match(/^[0-9a-f]{64}$/);
    expect(o.networks.cmp).to.deep.equal({ interface_name: 'eth0', static_ips: ['10.88.0.9'] });
    expect(o.port_mappings).to.deep.equal([{ host_ip: '', container_port: 80, host_port: 20007, range: 1, protocol: 'tcp' }]);
    expect(o.network_info.cmp.network_interface).to.equal('cmpbr0');
    expect(o.network_info.cmp.subnets).to.deep.equal([{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }]);
  });

  it('writes one dnat map element per container in the shell baseline', () => {
    const script = nftScript(3);
    expect(script).to.include('elements = { 20000 : 10.88.0.2 . 80, 20001 : 10.88.0.3 . 80, 20002 : 10.88.0.4 . 80 }');
    expect(script).to.include('dnat ip to tcp dport map @published');
    expect(script).to.include('ip saddr 10.88.0.0/16 ip daddr != 10.88.0.0/16 masquerade');
  });

  it('plans addresses across octets and distinct container IDs', () => {
    expect(plannedAddress(0)).to.equal('10.88.0.2');
    expect(plannedAddress(253)).to.equal('10.88.0.255');
    expect(plannedAddress(254)).to.equal('10.88.1.0');
    expect(hostPort(499)).to.equal(20499);
    expect(new Set(Array.from({ length: 500 }, (_, i) => containerId(i))).size).to.equal(500);
  });

  it('measures growth as last-10% median over first-10% median', () => {
    expect(growthOf(undefined)).to.equal(null);
    expect(growthOf([1, 2, 3])).to.equal(null);
    const flat = Array.from({ length: 50 }, () => 2);
    expect(growthOf(flat)).to.equal(1);
    const rising = Array.from({ length: 100 }, (_, i) => i + 1); // first tenth 1..10, last 91..100
    expect(growthOf(rising)).to.equal(95.5 / 5.5);
  });
});
