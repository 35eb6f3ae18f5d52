import { expect } from 'chai';
import { kernelError } from '../../../lib/errors';
import { failAt, InjectedFault, transaction, Transaction } from '../../../lib/runtime/transaction';

describe('Transaction', () => {
  it('commits: keeps every step and runs no undo', async () => {
    const log: string[] = [];
    const out = await transaction(async (tx) => {
      await tx.step('a', () => log.push('a'), () => void log.push('undo a'));
      await tx.step('b', () => log.push('b'), () => void log.push('undo b'));
      return 42;
    });
    expect(out).to.equal(42);
    expect(log).to.deep.equal(['a', 'b']);
  });

  it('rolls back in reverse order and rethrows the original error', async () => {
    const log: string[] = [];
    const boom = new Error('boom');
    const err = await transaction(async (tx) => {
      await tx.step('a', () => 'A', (r) => void log.push(`undo a ${r}`));
      await tx.step('b', () => 'B', (r) => void log.push(`undo b ${r}`));
      await tx.step('c', () => {
        throw boom;
      }, () => void log.push('undo c'));
    }).catch((e: unknown) => e);
    expect(err).to.equal(boom);
    expect(log).to.deep.equal(['undo b B', 'undo a A']);
  });

  it('fails the injected step, before it runs, for every position', async () => {
    for (let k = 0; k < 3; k++) {
      const ran: number[] = [];
      const undone: number[] = [];
      const err = await transaction(async (tx) => {
        for (let i = 0; i < 3; i++) await tx.step(`s${i}`, () => ran.push(i), () => void undone.push(i));
      }, failAt(k)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(InjectedFault).and.include({ index: k, step: `s${k}` });
      expect(ran).to.deep.equal([...Array(k).keys()]);
      expect(undone).to.deep.equal([...Array(k).keys()].reverse());
    }
  });

  it('treats not-found during undo as done and attaches other undo failures', async () => {
    const cause = new Error('cause');
    const err = (await transaction(async (tx) => {
      await tx.step('gone', () => 1, () => {
        throw kernelError({ errno: -19, syscall: 'RTM_DELLINK' });
      });
      await tx.step('stuck', () => 2, () => {
        throw kernelError({ errno: -16, syscall: 'RTM_DELLINK' });
      });
      throw cause;
    }).catch((e: unknown) => e)) as Error & { rollbackErrors?: Array<Error & { rollbackStep?: string }> };
    expect(err).to.equal(cause);
    expect(err.rollbackErrors).to.have.length(1);
    expect(err.rollbackErrors![0]).to.include({ code: 'EBUSY', rollbackStep: 'stuck' });
  });

  it('all(): runs steps at once and, when one fails, undoes those that succeeded after they settle', async () => {
    const log: string[] = [];
    const boom = new Error('boom');
    const slow = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
    const err = await transaction(async (tx) => {
      await tx.step('first', () => 'F', () => void log.push('undo first'));
      await tx.all([
        () => tx.step('fails fast', () => Promise.reject(boom)),
        () => tx.step('succeeds late', () => slow(20, 'L'), (r) => void log.push(`undo late ${r}`)),
      ]);
    }).catch((e: unknown) => e);
    expect(err).to.equal(boom);
    // The late step finished after the failure and was still rolled back, before 'first'.
    expect(log).to.deep.equal(['undo late L', 'undo first']);
  });

  it('all(): returns every result in order', async () => {
    const out = await transaction((tx) => tx.all<[number, string]>([() => tx.step('a', () => 1), () => tx.step('b', async () => 'b')]));
    expect(out).to.deep.equal([1, 'b']);
  });

  it('reserve(): counts grouped steps in order, says how many may run before an injected fault, and undoes what stepDone() recorded', async () => {
    const log: string[] = [];
    const err = await transaction(async (tx) => {
      await tx.step('a', () => log.push('a'), () => void log.push('undo a'));
      const { allowed, fault } = tx.reserve(['b', 'c', 'd']);
      expect(allowed).to.equal(1); // b may run; c (index 2) is the injected fault
      expect(fault).to.be.instanceOf(InjectedFault).and.include({ step: 'c', index: 2 });
      tx.stepDone('b', () => void log.push('undo b'));
      await tx.step('e', () => log.push('e'));
      throw fault;
    }, failAt(2)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InjectedFault);
    expect(log).to.deep.equal(['a', 'e', 'undo b', 'undo a']);
    const tx = new Transaction();
    expect(tx.reserve(['x', 'y'])).to.deep.equal({ allowed: 2 });
    tx.commit();
    expect(() => tx.reserve(['z'])).to.throw(/already finished/);
  });

  it('refuses steps after it finished', async () => {
    const tx = new Transaction();
    tx.commit();
    const err = await tx.step('late', () => 1).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
  });
});
