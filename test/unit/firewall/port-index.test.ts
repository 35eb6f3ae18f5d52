import { expect } from 'chai';
import { NsnetError } from '../../../lib/errors';
import { PortConflictError } from '../../../lib/firewall/errors';
import { PortIndex } from '../../../lib/firewall/port-index';
import type { PortMapping, Publication } from '../../../lib/firewall/types';

const m = (hostPort: number, extra: Partial<PortMapping> = {}): PortMapping => ({ family: 4, proto: 'tcp', hostPort, containerIp: '172.18.0.2', containerPort: 80, ...extra });
const pub = (id: string, mappings: PortMapping[]): Publication => ({ endpoint: { id, network: 'n' }, mappings });

describe('firewall port index', () => {
  it('finds overlapping host ports: any-address vs any, any vs one, one vs the same one', () => {
    const idx = new PortIndex([pub('a', [m(8080), m(9090, { hostIp: '127.0.0.1' })])]);
    const conflicts = [m(8080), m(8080, { hostIp: '10.0.0.1' }), m(9090), m(9090, { hostIp: '127.0.0.1' })];
    for (const c of conflicts) {
      const err = (() => {
        try {
          idx.check('b', [c]);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, JSON.stringify(c)).to.be.instanceOf(PortConflictError);
      expect((err as PortConflictError).code).to.equal('EADDRINUSE');
      expect((err as PortConflictError).owner.endpointId).to.equal('a');
    }
    // Other protocol, other family, other address: free.
    idx.check('b', [m(8080, { proto: 'udp' }), m(8080, { family: 6, containerIp: 'fd00::2' }), m(9090, { hostIp: '127.0.0.2' })]);
    // The endpoint's own ports do not conflict with themselves (a republish replaces them).
    idx.check('a', [m(8080)]);
    // Twice in one list.
    expect(() => idx.check('b', [m(7000), m(7000, { containerPort: 81 })])).to.throw(PortConflictError, /twice/);
  });

  it('add replaces, remove frees', () => {
    const idx = new PortIndex();
    idx.add(pub('a', [m(8080)]));
    idx.add(pub('a', [m(8081)]));
    expect(idx.holder(m(8080))).to.equal(undefined);
    expect(idx.holder(m(8081))?.endpointId).to.equal('a');
    expect(idx.remove('a')?.mappings).to.deep.equal([m(8081)]);
    expect(idx.holder(m(8081))).to.equal(undefined);
    expect(idx.size).to.equal(0);
  });

  it('chooses ephemeral ports round robin, free in every family asked for, and says when none is left', () => {
    const idx = new PortIndex([pub('a', [m(100), m(101, { family: 6, containerIp: 'fd00::2' })])]);
    const range = { start: 100, end: 103 };
    expect(idx.choose(range, 'tcp', [4], undefined)).to.equal(101);
    expect(idx.choose(range, 'tcp', [4, 6], undefined)).to.equal(102);
    expect(idx.choose(range, 'tcp', [4, 6], undefined, new Set(['tcp/103']))).to.equal(102);
    expect(idx.choose(range, 'udp', [4], undefined)).to.equal(103);
    idx.add(pub('b', [m(101), m(102), m(103)]));
    expect(() => idx.choose(range, 'tcp', [4], undefined)).to.throw(NsnetError, /no free tcp host port/);
  });
});
