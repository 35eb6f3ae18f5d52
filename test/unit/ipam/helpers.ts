/** Shared by the IPAM unit tests. */
import { expect } from 'chai';
import fs from 'node:fs';
import { NsnetError, ValidationError } from '../../../lib/errors';
import type { HeldLock, LockFn } from '../../../lib/state/locked';

/** Resolves the rejection of `p` (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<NsnetError> {
  try {
    await p;
  } catch (err) {
    return err as NsnetError;
  }
  return expect.fail('expected a rejection') as never;
}

export async function rejectsValidation(p: Promise<unknown>, field: string): Promise<ValidationError> {
  const err = await rejection(p);
  expect(err, String(err)).to.be.instanceOf(ValidationError);
  expect((err as ValidationError).field).to.equal(field);
  return err as ValidationError;
}

/**
 * A lock without the addon (unit tests must not load it): it opens the file like flock
 * would (so a missing directory still fails with ENOENT) and relies on the in-process
 * mutex of lib/state for exclusion, which is all a single test process needs.
 */
export const testLock: LockFn = async (file): Promise<HeldLock> => {
  const fd = fs.openSync(file, 'a', 0o600);
  let open = true;
  return {
    fd,
    release: () => {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
};
