/**
 * The runtime's records in the state directory: one JSON file per network and per
 * container, each written atomically (temp, fsync, rename, fsync dir). Every change to
 * the host happens under one cross-process lock (flock on <stateDir>/runtime.lock), so
 * two processes sharing a state directory never plan against a stale view.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readFileIfExists, removeStaleTemps, StateCorruptError, withFileLock, writeFileAtomic } from '../state';
import type { ContainerRecord, NetworkConfig } from './records';

type Kind = 'networks' | 'containers';

export class RuntimeStore {
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

  private async readAll<T>(kind: Kind): Promise<T[]> {
    const dir = path.join(this.dir, kind);
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    const out: T[] = [];
    for (const name of names) {
      const bytes = await readFileIfExists(path.join(dir, name));
      if (!bytes) continue;
      try {
        out.push(JSON.parse(bytes.toString('utf8')) as T);
      } catch (cause) {
        throw new StateCorruptError(`${kind}/${name} is not valid JSON`, path.join(dir, name), cause);
      }
    }
    return out;
  }

  networks(): Promise<NetworkConfig[]> {
    return this.readAll<NetworkConfig>('networks');
  }

  containers(): Promise<ContainerRecord[]> {
    return this.readAll<ContainerRecord>('containers');
  }

  saveNetwork(n: NetworkConfig): Promise<void> {
    return writeFileAtomic(this.file('networks', n.id), `${JSON.stringify(n, null, 2)}\n`);
  }

  saveContainer(c: ContainerRecord): Promise<void> {
    return writeFileAtomic(this.file('containers', c.id), `${JSON.stringify(c, null, 2)}\n`);
  }

  /** Idempotent. */
  async deleteNetwork(id: string): Promise<void> {
    await fs.rm(this.file('networks', id), { force: true });
  }

  /** Idempotent. */
  async deleteContainer(id: string): Promise<void> {
    await fs.rm(this.file('containers', id), { force: true });
  }
}
