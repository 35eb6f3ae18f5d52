/**
 * The examples are part of the acceptance: each one checks itself with real TCP
 * traffic between namespaces and returns false if any check failed.
 */
import { expect } from 'chai';
import { bridge } from '../../examples/bridge';
import { vethPair } from '../../examples/veth-pair';
import { requireSandbox } from '../support/sandbox';

describe('examples (integration, real traffic)', function () {
  requireSandbox();
  this.timeout(60_000);

  it('veth pair: TCP between two namespaces', async () => {
    expect(await vethPair()).to.equal(true);
  });

  it('bridge: TCP between every pair of three namespaces on one bridge', async () => {
    expect(await bridge()).to.equal(true);
  });
});

describe('the four-modes demo (integration, real traffic)', function () {
  requireSandbox();
  this.timeout(60_000);

  it('shows bridge, host, none, container: and a user-defined network working', async () => {
    const { fourModes } = await import('../../examples/four-modes');
    expect(await fourModes()).to.equal(true);
  });
});
