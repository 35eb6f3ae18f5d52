/**
 * An in-process FIFO mutex per key (a lock file path).
 *
 * flock(2) already excludes two open file descriptions of one process, so this is not for
 * correctness across processes. It exists because a *waiting* native lock() occupies a
 * libuv pool thread (native/README.md): without a queue in JS, a handful of concurrent
 * callers in one process could fill the pool with waiters while the holder needs that same
 * pool for its file I/O — a deadlock. With it, at most one caller per key ever waits in
 * the pool.
 */
const tails = new Map<string, Promise<void>>();

export async function withMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    // Forget the key once nobody queued behind us, so the map does not grow per path.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
