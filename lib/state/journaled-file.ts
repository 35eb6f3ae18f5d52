/**
 * A state kept as a snapshot plus an append-only journal of changes, in one directory,
 * shared by any number of processes.
 *
 * Why not rewrite one JSON file per change: with 60,000 entries every change would cost
 * a 60,000-entry write. Here a change costs one appended record (plus an fdatasync), and a
 * process that already holds the state in memory only reads the records other processes
 * appended since its last visit. The journal is folded into a new snapshot once it has as
 * many records as the last snapshot had entries (at least `compactMin`): a compaction
 * costs O(n), n ≤ snapshot entries + records × ops per record, and comes once per that many
 * records, so it is amortised O(1) per change; and the journal never outweighs the snapshot
 * by much, which bounds what a fresh process must replay.
 *
 * Files: snapshot.json `{seq, state}` — written atomically; journal.log — a header record
 * `{journal: id, base: seq}` then `{seq, ops}` records numbered base+1, base+2, …; lock —
 * the flock that serialises writers (shared for readers).
 *
 * Crash safety: an append is one record; a torn one is ignored and truncated by the next
 * writer, so the state is always the old or the new one. Compaction writes the snapshot
 * first, then a fresh journal (new random id); a crash between the two leaves the old
 * journal, whose records up to the snapshot's seq are skipped on replay.
 * Cache validity: the journal id changes whenever the journal is replaced, and while it is
 * unchanged the journal only grows, so (id, offset) says exactly what a cache has seen.
 *
 * I/O under the lock is synchronous except fdatasync. Those calls touch only the page
 * cache and take microseconds, less than a libuv pool round trip each, and every round
 * trip would stretch the time the cross-process lock is held by the event loop's latency.
 * fdatasync waits for the device (milliseconds on a disk), so it stays off the JS thread.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fdatasyncFd, fsyncDir, removeStaleTemps, writeFileAtomic, writeFileDurable } from './atomic-file';
import { StateCorruptError } from './errors';
import { encodeRecord, parseRecords } from './journal';
import { type LockFn, withFileLock } from './locked';

export interface JournalCodec<S, Op> {
  /** Rebuilds the state from a snapshot's `state` value. */
  restore(snapshot: unknown): S;
  /** Applies one change in place. */
  apply(state: S, op: Op): void;
  /** A JSON-serialisable picture of the state. */
  snapshot(state: S): unknown;
  /** Entries in the state (sets the compaction threshold). */
  entries(state: S): number;
}

export interface JournaledFileOptions {
  /** Never compact before this many journal records (default 1000). */
  compactMin?: number;
  lock?: LockFn;
}

export const SNAPSHOT_FILE = 'snapshot.json';
export const JOURNAL_FILE = 'journal.log';
export const LOCK_FILE = 'lock';
const HEADER_PEEK = 256;

interface Header {
  journal: string;
  base: number;
}
interface JournalRecord<Op> {
  seq: number;
  ops: Op[];
}
interface Cache<S> {
  id: string;
  base: number;
  /** Offset just past the last record applied. */
  offset: number;
  seq: number;
  /** Entries the snapshot held: the journal may grow to as many records before compaction. */
  baseEntries: number;
  state: S;
}

const newJournalId = (): string => randomBytes(8).toString('hex');

function isHeader(v: unknown): v is Header {
  const h = v as Header;
  return typeof h === 'object' && h !== null && typeof h.journal === 'string' && Number.isSafeInteger(h.base);
}

function isRecord<Op>(v: unknown): v is JournalRecord<Op> {
  const r = v as JournalRecord<Op>;
  return typeof r === 'object' && r !== null && Number.isSafeInteger(r.seq) && Array.isArray(r.ops);
}

/** pread until `end` or EOF. */
function readAt(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, end - start));
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

function writeAt(fd: number, data: Buffer, position: number): void {
  for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

export class JournaledFile<S, Op> {
  private cache: Cache<S> | undefined;
  private readonly compactMin: number;

  constructor(
    readonly dir: string,
    private readonly codec: JournalCodec<S, Op>,
    private readonly options: JournaledFileOptions = {},
  ) {
    this.compactMin = options.compactMin ?? 1000;
  }

  /** Writes the files of a new, empty-journal state into `dir` (which must be new and private). */
  static async create(dir: string, state: unknown): Promise<void> {
    await writeFileDurable(path.join(dir, SNAPSHOT_FILE), `${JSON.stringify({ seq: 0, state })}\n`);
    await writeFileDurable(path.join(dir, JOURNAL_FILE), encodeRecord({ journal: newJournalId(), base: 0 }));
    await writeFileDurable(path.join(dir, LOCK_FILE), ''); // made here, not on first use: the directory is complete from the start
    await fsyncDir(dir);
  }

  get lockFile(): string {
    return path.join(this.dir, LOCK_FILE);
  }

  /** Runs `fn` on the current state under a shared lock. `fn` must not change the state. */
  async read<T>(fn: (state: S) => T): Promise<T> {
    return this.withJournal(false, async (fd) => {
      this.refresh(fd);
      return fn(this.cache!.state);
    });
  }

  /**
   * Read-modify-write under the exclusive lock. `fn` returns the changes as ops without
   * applying them; they are appended as one record (all or nothing) and then applied.
   */
  async update<T>(fn: (state: S) => { ops: Op[]; result: T }): Promise<T> {
    const { result, synced } = await this.write(fn, false);
    await synced;
    return result;
  }

  /**
   * update() that resolves once the record is written (to the page cache) and the lock
   * released, with `synced` for its fdatasync: a caller with other slow work to do (a
   * kernel plan) waits for the disk at the same time, and must await `synced` before it
   * reports the change as done. Another process already sees the record (the page cache
   * is shared), and a later writer's fdatasync makes it durable with its own.
   */
  updateDeferred<T>(fn: (state: S) => { ops: Op[]; result: T }): Promise<{ result: T; synced: Promise<void> }> {
    return this.write(fn, true);
  }

  private async write<T>(fn: (state: S) => { ops: Op[]; result: T }, defer: boolean): Promise<{ result: T; synced: Promise<void> }> {
    return this.withJournal(true, async (fd, keepOpenUntil) => {
      const { tornAt } = this.refresh(fd);
      const cache = this.cache!;
      const { ops, result } = fn(cache.state);
      if (ops.length === 0) return { result, synced: Promise.resolve() };
      if (tornAt !== undefined) fs.ftruncateSync(fd, tornAt);
      const record = encodeRecord({ seq: cache.seq + 1, ops });
      writeAt(fd, record, cache.offset);
      const synced = fdatasyncFd(fd, this.dir);
      if (defer) {
        keepOpenUntil(synced); // the fd stays open until its fdatasync is done
        synced.catch(() => this.forget()); // not durable: reread rather than trust the cache
      } else {
        await synced;
      }
      for (const op of ops) this.codec.apply(cache.state, op);
      cache.seq += 1;
      cache.offset += record.length;
      if (cache.seq - cache.base >= Math.max(this.compactMin, cache.baseEntries)) {
        // The change is committed: a failed compaction must not report it as failed (the
        // caller would think it never happened). The journal just grows until the next try.
        await this.compact().catch((err: unknown) => process.emitWarning(`nsnet: compaction of ${this.dir} failed: ${String(err)}`));
      }
      return { result, synced };
    });
  }

  /** Runs `fn` on the current state while holding the exclusive lock (for removal of the directory). */
  async locked<T>(fn: (state: S) => Promise<T>): Promise<T> {
    return this.withJournal(true, async (fd) => {
      this.refresh(fd);
      return fn(this.cache!.state);
    });
  }

  /** Drops the in-memory copy; the next call reads everything from disk. */
  forget(): void {
    this.cache = undefined;
  }

  /** Runs `fn` with the journal open under the lock; `keepOpenUntil` delays the close past the lock. */
  private async withJournal<T>(exclusive: boolean, fn: (fd: number, keepOpenUntil: (p: Promise<unknown>) => void) => Promise<T>): Promise<T> {
    return withFileLock(
      this.lockFile,
      async () => {
        const fd = fs.openSync(path.join(this.dir, JOURNAL_FILE), exclusive ? 'r+' : 'r');
        let pending: Promise<unknown> | undefined;
        try {
          return await fn(fd, (p) => (pending = p));
        } finally {
          if (pending) void pending.catch(() => undefined).finally(() => fs.closeSync(fd));
          else fs.closeSync(fd);
        }
      },
      { exclusive, lock: this.options.lock },
    );
  }

  /** Brings the cache up to date with the journal; reports a torn tail a writer must cut. */
  private refresh(fd: number): { tornAt: number | undefined } {
    const file = path.join(this.dir, JOURNAL_FILE);
    const { size } = fs.fstatSync(fd);
    const head = parseRecords(readAt(fd, 0, Math.min(size, HEADER_PEEK)), 0, file).records[0];
    if (!isHeader(head)) throw new StateCorruptError(`${file}: missing journal header`, file);
    const cache = this.cache;
    if (cache && cache.id === head.journal && size >= cache.offset) {
      return this.replay(cache, readAt(fd, cache.offset, size), cache.offset, file, -1);
    }
    this.cache = undefined;
    const snapFile = path.join(this.dir, SNAPSHOT_FILE);
    let snap: { seq: number; state: unknown };
    try {
      snap = JSON.parse(fs.readFileSync(snapFile, 'utf8')) as { seq: number; state: unknown };
    } catch (err) {
      throw new StateCorruptError(`${snapFile}: unreadable snapshot`, snapFile, err);
    }
    if (!Number.isSafeInteger(snap.seq) || snap.seq < head.base) {
      throw new StateCorruptError(`${snapFile}: snapshot seq ${snap.seq} is older than the journal's base ${head.base}`, snapFile);
    }
    const state = this.codec.restore(snap.state);
    const fresh: Cache<S> = { id: head.journal, base: head.base, offset: 0, seq: head.base, baseEntries: this.codec.entries(state), state };
    const out = this.replay(fresh, readAt(fd, 0, size), 0, file, snap.seq);
    if (fresh.seq < snap.seq) throw new StateCorruptError(`${file}: journal ends at ${fresh.seq}, before the snapshot (${snap.seq})`, file);
    this.cache = fresh;
    return out;
  }

  /** Applies the records in `buf` (at `start`) to `cache`; those with seq ≤ `skipThrough` only advance it. */
  private replay(cache: Cache<S>, buf: Buffer, start: number, file: string, skipThrough: number): { tornAt: number | undefined } {
    const parsed = parseRecords(buf, start, file);
    // Read from the start, the first record is the header, checked by refresh().
    for (const rec of start === 0 ? parsed.records.slice(1) : parsed.records) {
      if (!isRecord<Op>(rec) || rec.seq !== cache.seq + 1) {
        throw new StateCorruptError(`${file}: expected record ${cache.seq + 1}, found ${JSON.stringify(rec).slice(0, 80)}`, file);
      }
      if (rec.seq > skipThrough) for (const op of rec.ops) this.codec.apply(cache.state, op);
      cache.seq = rec.seq;
    }
    cache.offset = parsed.end;
    return { tornAt: parsed.torn ? parsed.end : undefined };
  }

  /** Folds the journal into a new snapshot and starts a new journal. Caller holds the lock. */
  private async compact(): Promise<void> {
    const cache = this.cache!;
    const snapshot = JSON.stringify({ seq: cache.seq, state: this.codec.snapshot(cache.state) });
    await writeFileAtomic(path.join(this.dir, SNAPSHOT_FILE), `${snapshot}\n`);
    const id = newJournalId();
    const header = encodeRecord({ journal: id, base: cache.seq });
    await writeFileAtomic(path.join(this.dir, JOURNAL_FILE), header);
    await removeStaleTemps(this.dir);
    Object.assign(cache, { id, base: cache.seq, offset: header.length, baseEntries: this.codec.entries(cache.state) });
  }
}
