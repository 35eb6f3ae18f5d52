/**
 * The runtime's records in the state directory: one JSON file per network and per
 * container, each written atomically (temp, fsync, rename, fsync dir). Every change to
 * the host happens under one cross-process lock (flock on <stateDir>/runtime.lock), so
 * two processes sharing a state directory never plan against a stale view.
 */
import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps, StateCorruptError, unlinkIfExists, withFileLock, writeFileAtomic } from '../state';
import type { ContainerRecord, NetworkConfig } from './records';

type Kind = 'networks' | 'containers';

/** The lock holder's token (see RuntimeStore.listings): random bytes, as hex in the lock file. */
const TOKEN_BYTES = 16;

/** Freezes a parsed record all the way down: cached records are shared, never copied. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A parsed record and the file identity it was read from. */
interface Cached {
  ino: bigint;
  mtimeNs: bigint;
  size: bigint;
  value: unknown;
}

export class RuntimeStore {
  /**
   * Parsed records by file, re-read only when the file changed. Every write is a rename
   * of a new file, so a changed inode (or mtime/size) means "read again"; listing N
   * containers then costs N stat calls, not N reads and parses. Records handed out are
   * frozen: callers build changed copies, never edit in place.
   */
  private readonly cache = new Map<string, Cached>();

  /**
   * While this process holds the lock: every record by id, per kind, so a change does
   * not stat the whole directory. Trusted only if nobody else held the lock since we last
   * did, which the token tells: a holder that does not find its own random token in the
   * lock file (read and written through the fd it locked: one syscall, no open) writes a
   * fresh one; finding someone else's there means "scan again". (No fsync: after a crash
   * a stale token only costs one scan, and a restarted process starts empty.)
   */
  private readonly listings = new Map<Kind, Map<string, unknown>>();
  private token: string | undefined;
  private holding = false;
  /** Container name → id, for the containers listing it was built from (namesOf). */
  private names: Map<string, string> | undefined;
  private namesOf: Map<string, unknown> | undefined;

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    for (const kind of ['networks', 'containers'] as const) {
      await fs.mkdir(path.join(this.dir, kind), { recursive: true, mode: 0o700 });
      await removeStaleTemps(path.join(this.dir, kind));
    }
  }

  /** Runs `fn` holding the host-wide lock. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.dir, 'runtime.lock'), async (lockFd) => {
      // Our own token still there: nobody held the lock since, the listings stand.
      const found = Buffer.alloc(TOKEN_BYTES * 2);
      const length = fsSync.readSync(lockFd, found, 0, found.length, 0);
      if (this.token === undefined || length !== found.length || found.toString('latin1') !== this.token) {
        this.listings.clear();
        this.token = randomBytes(TOKEN_BYTES).toString('hex');
        fsSync.writeSync(lockFd, this.token, 0, 'latin1');
      }
      this.holding = true;
      try {
        return await fn();
      } finally {
        this.holding = false;
      }
    });
  }

  private file(kind: Kind, id: string): string {
    return path.join(this.dir, kind, `${id}.json`);
  }

  // Synchronous on purpose: small local files read under the host lock, where one
  // thread-pool round trip per file cost more than the reads themselves.
  private async readAll<T>(kind: Kind): Promise<T[]> {
    const listing = this.holding ? this.listings.get(kind) : undefined;
    if (listing) return [...listing.values()] as T[];
    const scanned = this.readAllSync<T>(kind);
    if (this.holding) this.listings.set(kind, new Map(scanned.map((r) => [(r as { id: string }).id, r])));
    return scanned;
  }

  /** Every record of a kind from the files, re-parsing only files that changed. */
  private readAllSync<T>(kind: Kind): T[] {
    const dir = path.join(this.dir, kind);
    const names = fsSync.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    const out: T[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      const st = fsSync.statSync(file, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      const hit = this.cache.get(file);
      if (hit && hit.ino === st.ino && hit.mtimeNs === st.mtimeNs && hit.size === st.size) {
        out.push(hit.value as T);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(fsSync.readFileSync(file, 'utf8'));
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new StateCorruptError(`${kind}/${name} is not valid JSON`, file, cause);
      }
      this.cache.set(file, { ino: st.ino, mtimeNs: st.mtimeNs, size: st.size, value: deepFreeze(value) });
      out.push(value as T);
    }
    return out;
  }

  networks(): Promise<NetworkConfig[]> {
    return this.readAll<NetworkConfig>('networks');
  }

  containers(): Promise<ContainerRecord[]> {
    return this.readAll<ContainerRecord>('containers');
  }

  /**
   * The container named `name`, if any. While the lock is held, from an index kept beside
   * the listing: a create checks its name without walking (or copying) every record.
   */
  async containerNamed(name: string): Promise<ContainerRecord | undefined> {
    if (!this.holding) return (await this.containers()).find((c) => c.name === name);
    let listing = this.listings.get('containers') as Map<string, ContainerRecord> | undefined;
    if (!listing) {
      await this.readAll('containers');
      listing = this.listings.get('containers') as Map<string, ContainerRecord>;
    }
    if (this.names === undefined || this.namesOf !== listing) {
      this.names = new Map([...listing.values()].map((c) => [c.name, c.id]));
      this.namesOf = listing;
    }
    const id = this.names.get(name);
    const found = id === undefined ? undefined : listing.get(id);
    return found?.name === name ? found : undefined;
  }

  /** The same reads without a Promise (exec and the resolver's per-query view need them synchronously). */
  containersSync(): ContainerRecord[] {
    return this.readAllSync<ContainerRecord>('containers');
  }

  networksSync(): NetworkConfig[] {
    return this.readAllSync<NetworkConfig>('networks');
  }

  saveNetwork(n: NetworkConfig): Promise<void> {
    return this.save('networks', n.id, n);
  }

  saveContainer(c: ContainerRecord): Promise<void> {
    return this.save('containers', c.id, c);
  }

  /** Idempotent. */
  deleteNetwork(id: string): Promise<void> {
    return this.delete('networks', id);
  }

  /** Idempotent. */
  deleteContainer(id: string): Promise<void> {
    return this.delete('containers', id);
  }

  private async save(kind: Kind, id: string, record: { id: string }): Promise<void> {
    const json = `${JSON.stringify(record, null, 2)}\n`;
    try {
      await writeFileAtomic(this.file(kind, id), json);
    } catch (err) {
      this.listings.delete(kind); // the file may or may not have been replaced
      throw err;
    }
    this.listings.get(kind)?.set(id, deepFreeze(JSON.parse(json)));
    if (kind === 'containers' && this.namesOf === this.listings.get(kind)) this.names?.set((record as ContainerRecord).name, id);
  }

  private async delete(kind: Kind, id: string): Promise<void> {
    const file = this.file(kind, id);
    this.cache.delete(file);
    try {
      unlinkIfExists(file);
    } catch (err) {
      this.listings.delete(kind);
      throw err;
    }
    this.listings.get(kind)?.delete(id);
  }
}
