import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { formatMapping, formatPortSpec, parsePortRange, parsePortSpec, resolveMappings, validatePortSpec } from '../../../lib/firewall/ports';
import type { PortSpec } from '../../../lib/firewall/types';

describe('firewall port specs', () => {
  it("parses Docker's -p forms into typed specs", () => {
    const cases: Array<[string, PortSpec]> = [
      ['80', { containerPorts: { start: 80, end: 80 }, proto: 'tcp' }],
      ['80-82/udp', { containerPorts: { start: 80, end: 82 }, proto: 'udp' }],
      ['8080:80', { hostPorts: { start: 8080, end: 8080 }, containerPorts: { start: 80, end: 80 }, proto: 'tcp' }],
      ['8080-8081:80-81/sctp', { hostPorts: { start: 8080, end: 8081 }, containerPorts: { start: 80, end: 81 }, proto: 'sctp' }],
      ['127.0.0.1:8080:80', { hostIp: '127.0.0.1', hostPorts: { start: 8080, end: 8080 }, containerPorts: { start: 80, end: 80 }, proto: 'tcp' }],
      ['127.0.0.1::80/udp', { hostIp: '127.0.0.1', containerPorts: { start: 80, end: 80 }, proto: 'udp' }],
      ['0.0.0.0:1:65535', { hostIp: '0.0.0.0', hostPorts: { start: 1, end: 1 }, containerPorts: { start: 65535, end: 65535 }, proto: 'tcp' }],
      ['[2001:DB8::1]:8443:443', { hostIp: '2001:db8::1', hostPorts: { start: 8443, end: 8443 }, containerPorts: { start: 443, end: 443 }, proto: 'tcp' }],
      ['[::]::53/udp', { hostIp: '::', containerPorts: { start: 53, end: 53 }, proto: 'udp' }],
    ];
    for (const [text, spec] of cases) {
      expect(parsePortSpec(text), text).to.deep.equal(spec);
      expect(parsePortSpec(formatPortSpec(spec)), `${text} round trip`).to.deep.equal(spec);
    }
  });

  it('refuses bad ports, ranges, protocols and addresses with a ValidationError', () => {
    const bad = [
      '', '0', '0:80', '8080:0', '65536', '8080:65536', '99999:80', '-1', 'x', '80/', '80/icmp', '80/TCP', '80/tcp/udp',
      '90-80', '8090-8080:90-80', '8080-8081:80-82', '8080:80-81', '8080-8081:80', ':80', '1:2:3:4', '::1:8080:80',
      '[::1]:8080:80', '[2001:db8::1]8080:80', '[2001:db8::1]:80', '1.2.3:80:80', '300.1.1.1:80:80', ':8080:80', '80-', '-80', '8O',
    ];
    for (const text of bad) expect(() => parsePortSpec(text), text).to.throw(ValidationError);
    expect(() => validatePortSpec({ containerPorts: { start: 2, end: 1 }, proto: 'tcp' })).to.throw(ValidationError, /reversed/);
    expect(() => validatePortSpec({ containerPorts: { start: 1.5, end: 2 }, proto: 'tcp' })).to.throw(ValidationError);
    expect(() => validatePortSpec({ containerPorts: { start: 1, end: 2 }, proto: 'dccp' as 'tcp' })).to.throw(ValidationError, /unknown protocol/);
    expect(() => validatePortSpec({ containerPorts: { start: 1, end: 2 }, hostPorts: { start: 5, end: 5 }, proto: 'tcp' })).to.throw(ValidationError, /differ in length/);
    expect(() => validatePortSpec(null as unknown as PortSpec)).to.throw(ValidationError);
  });

  it('resolves a spec into one mapping per port and per family of the endpoint', () => {
    const e = { id: 'e', ipv4: '172.18.0.2', ipv6: 'fd00::2' };
    let next = 40000;
    const choose = (): number => next++;
    expect(resolveMappings(parsePortSpec('8080-8081:80-81'), e, choose)).to.deep.equal([
      { family: 4, proto: 'tcp', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80 },
      { family: 6, proto: 'tcp', hostPort: 8080, containerIp: 'fd00::2', containerPort: 80 },
      { family: 4, proto: 'tcp', hostPort: 8081, containerIp: '172.18.0.2', containerPort: 81 },
      { family: 6, proto: 'tcp', hostPort: 8081, containerIp: 'fd00::2', containerPort: 81 },
    ]);
    // Ephemeral: one chosen port per container port, the same for both families.
    expect(resolveMappings(parsePortSpec('53/udp'), e, choose).map((m) => [m.family, m.hostPort])).to.deep.equal([[4, 40000], [6, 40000]]);
    // An address limits the mapping to its family; 0.0.0.0 is "every IPv4 address".
    expect(resolveMappings(parsePortSpec('127.0.0.1:9090:90'), e, choose)).to.deep.equal([
      { family: 4, proto: 'tcp', hostIp: '127.0.0.1', hostPort: 9090, containerIp: '172.18.0.2', containerPort: 90 },
    ]);
    expect(resolveMappings(parsePortSpec('0.0.0.0:9090:90'), e, choose)).to.deep.equal([
      { family: 4, proto: 'tcp', hostPort: 9090, containerIp: '172.18.0.2', containerPort: 90 },
    ]);
    expect(() => resolveMappings(parsePortSpec('[2001:db8::1]:80:80'), { id: 'v4only', ipv4: '172.18.0.2' }, choose)).to.throw(ValidationError, /no IPv6/);
    expect(() => resolveMappings(parsePortSpec('80'), { id: 'none' }, choose)).to.throw(ValidationError, /no address/);
    expect(formatMapping({ family: 6, proto: 'udp', hostPort: 53, containerIp: 'fd00::2', containerPort: 5353 })).to.equal('udp [::]:53 -> [fd00::2]:5353');
  });

  it('reads ip_local_port_range', () => {
    expect(parsePortRange('32768\t60999\n')).to.deep.equal({ start: 32768, end: 60999 });
    for (const bad of ['', '5', '60999 32768', '0 10', '1 70000', 'a b']) expect(() => parsePortRange(bad), bad).to.throw(ValidationError);
  });
});
