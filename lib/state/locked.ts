/**
 * Cross-process mutual exclusion for the state directory: flock(2) on a lock file, through
 * the addon, plus the in-process queue of mutex.ts.
 *
 * A lock file can be unlinked while someone waits on it (a network being deleted). The
 * waiter then wins a lock on an orphaned inode that nobody else will ever contend for, so
 * after every acquisition the path must still name the inode locked, else it starts over:
 * the addon checks that itself (two syscalls, no Stats objects); here for other LockFns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fromNativeError } from '../errors';
import { native } from '../native';
import { readFileIfExists, writeFileAtomic } from './atomic-file';
import { StateCorruptError } from './errors';
import { withMutex } from './mutex';

/** A held lock. */
export interface HeldLock {
  readonly fd: number;
  release(): void;
}

/** Takes a lock on `file` (creating it if missing), waiting for it. Injectable for tests. */
export type LockFn = (file: string, exclusive: boolean) => Promise<HeldLock>;

/**
 * flock(2) through the addon: without waiting on the JS thread when nobody holds the lock
 * (the common case), else on a pool thread. The addon holds it only on the inode the path
 * still names (see withFileLock). Rejects with NotFoundError if the directory is gone.
 */
export const flockLock: LockFn = async (file, exclusive) => {
  try {
    return native().tryLock(file, exclusive) ?? (await native().lock(file, exclusive, true));
  } catch (err) {
    throw fromNativeError(err, 'flock', 'lock', file);
  }
};

export interface LockOptions {
  /** Shared (readers) or exclusive (writers); exclusive by default. */
  exclusive?: boolean;
  /** How to take the lock; flock through the addon by default. */
  lock?: LockFn;
}

function sameInode(fd: number, file: string): boolean {
  const held = fs.fstatSync(fd);
  try {
    const named = fs.statSync(file);
    return named.ino === held.ino && named.dev === held.dev;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Runs `fn` while holding the lock on `file`; releases it however `fn` ends. `fn` gets the
 * lock file's fd (open for reading and writing), for state that belongs to whoever holds it.
 */
export async function withFileLock<T>(file: string, fn: (lockFd: number) => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = options.lock ?? flockLock;
  const exclusive = options.exclusive ?? true;
  return withMutex(path.resolve(file), async () => {
    for (;;) {
      const held = await lock(file, exclusive);
      try {
        if (lock !== flockLock && !sameInode(held.fd, file)) continue; // unlinked or replaced while we waited
        return await fn(held.fd);
      } finally {
        held.release();
      }
    }
  });
}

/** The lock file that guards `file` in readJsonLocked/updateJsonLocked. */
export const lockFileFor = (file: string): string => `${file}.lock`;

function parseJson<T>(file: string, data: Buffer | undefined): T | undefined {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    // writeFileAtomic never leaves a partial file, so unparsable JSON is real damage.
    throw new StateCorruptError(`${file} is not valid JSON`, file, err);
  }
}

/** Reads a JSON record under a shared lock; undefined if it does not exist. */
export async function readJsonLocked<T>(file: string, options: Omit<LockOptions, 'exclusive'> = {}): Promise<T | undefined> {
  return withFileLock(lockFileFor(file), async () => parseJson<T>(file, await readFileIfExists(file)), { ...options, exclusive: false });
}

/**
 * Read-modify-write of one JSON record under an exclusive lock: `fn` gets the current
 * value (undefined if none) and returns the new one (undefined: delete the file) and a
 * result. The write is atomic, so concurrent updaters never lose each other's changes and
 * a crash leaves the old or the new record.
 */
export async function updateJsonLocked<T, R>(
  file: string,
  fn: (current: T | undefined) => { value: T | undefined; result: R },
  options: Omit<LockOptions, 'exclusive'> = {},
): Promise<R> {
  return withFileLock(
    lockFileFor(file),
    async () => {
      const current = parseJson<T>(file, await readFileIfExists(file));
      const { value, result } = fn(current);
      if (value === undefined) await fs.promises.rm(file, { force: true });
      else await writeFileAtomic(file, `${JSON.stringify(value)}\n`);
      return result;
    },
    { ...options, exclusive: true },
  );
}
