/**
 * The runtime's records in the state directory: one JSON file per network and per
 * container, each written atomically (temp, fsync, rename, fsync dir). Every change to
 * the host happens under one cross-process lock (flock on <stateDir>/runtime.lock), so
 * two processes sharing a state directory never plan against a stale view.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { removeStaleTemps, StateCorruptError, withFileLock, writeFileAtomic } from '../state';
import type { ContainerRecord, NetworkConfig } from './records';

type Kind = 'networks' | 'containers';

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

  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    for (const kind of ['networks', 'containers'] as const) {
      await fs.mkdir(path.join(this.dir, kind), { recursive: true, mode: 0o700 });
      await removeStaleTemps(path.join(this.dir, kind));
    }
  }

  /** Runs `fn` holding the host-wide lock. */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.dir, 'runtime.lock'), fn);
  }

  private file(kind: Kind, id: string): string {
    return path.join(this.dir, kind, `${id}.json`);
  }

  // Synchronous on purpose: small local files read under the host lock, where one
  // thread-pool round trip per file cost more than the reads themselves.
  private async readAll<T>(kind: Kind): Promise<T[]> {
    return this.readAllSync<T>(kind);
  }

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

  /** The same reads without a Promise (exec and the resolver's per-query view need them synchronously). */
  containersSync(): ContainerRecord[] {
    return this.readAllSync<ContainerRecord>('containers');
  }

  networksSync(): NetworkConfig[] {
    return this.readAllSync<NetworkConfig>('networks');
  }

  saveNetwork(n: NetworkConfig): Promise<void> {
    return writeFileAtomic(this.file('networks', n.id), `${JSON.stringify(n, null, 2)}\n`);
  }

  saveContainer(c: ContainerRecord): Promise<void> {
    return writeFileAtomic(this.file('containers', c.id), `${JSON.stringify(c, null, 2)}\n`);
  }

  /** Idempotent. */
  async deleteNetwork(id: string): Promise<void> {
    this.cache.delete(this.file('networks', id));
    await fs.rm(this.file('networks', id), { force: true });
  }

  /** Idempotent. */
  async deleteContainer(id: string): Promise<void> {
    this.cache.delete(this.file('containers', id));
    await fs.rm(this.file('containers', id), { force: true });
  }
}
