import { expect } from 'chai';
import { ValidationError } from '../../../lib/errors';
import { bridgeName, hostVethName, isId, isNsnetVethName, newId, shortId, validateName } from '../../../lib/runtime/ids';
import { parseNetworkMode } from '../../../lib/runtime/network-mode';
import { validateIfName } from '../../../lib/validate';

describe('runtime ids and names', () => {
  it('makes 64-hex IDs and derives kernel-valid names from them', () => {
    const id = newId();
    expect(isId(id)).to.equal(true);
    expect(newId()).to.not.equal(id);
    expect(shortId(id)).to.equal(id.slice(0, 12));
    expect(validateIfName(bridgeName(id))).to.equal(`br-${id.slice(0, 12)}`);
    expect(validateIfName(hostVethName(id))).to.equal(`veth${id.slice(0, 7)}`);
    expect(isNsnetVethName(hostVethName(id))).to.equal(true);
    expect(isNsnetVethName('veth0')).to.equal(false);
    expect(isId('abc')).to.equal(false);
  });

  it("checks names by Docker's rules", () => {
    expect(validateName('web-1.a_b')).to.equal('web-1.a_b');
    for (const bad of ['', '-x', '.x', 'a b', 'a/b', 'x'.repeat(254), 3]) {
      expect(() => validateName(bad)).to.throw(ValidationError);
    }
  });

  it('parses --network values', () => {
    expect(parseNetworkMode()).to.deep.equal({ mode: 'bridge' });
    expect(parseNetworkMode('host')).to.deep.equal({ mode: 'host' });
    expect(parseNetworkMode('none')).to.deep.equal({ mode: 'none' });
    expect(parseNetworkMode('container:web')).to.deep.equal({ mode: 'container', container: 'web' });
    expect(parseNetworkMode('app')).to.deep.equal({ mode: 'network', network: 'app' });
    expect(() => parseNetworkMode('container:')).to.throw(ValidationError);
    expect(() => parseNetworkMode('')).to.throw(ValidationError);
  });
});
