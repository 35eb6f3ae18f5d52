/**
 * The IpamStore of a state directory, shared safely by any number of processes.
 *
 *   <root>/lock                      store-wide flock: creating and deleting networks
 *   <root>/meta.json                 StoreMeta (the ULA global id)
 *   <root>/networks/<id>/network.json  the NetworkRecord (immutable, small: for listing)
 *   <root>/networks/<id>/{snapshot.json,journal.log,lock}  leases (lib/state/journaled-file.ts)
 *
 * Allocation takes only its network's lock, so networks never wait for each other, and
 * appends one journal record, so its cost does not depend on the number of leases.
 * A network appears and disappears with one rename of its directory: it is built under a
 * hidden name and renamed into place, and deleted by renaming it out of the way first, so
 * no process ever sees half a network.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, NsnetError } from '../errors';
import { fsyncDir, readFileIfExists, writeFileAtomic, writeFileDurable } from '../state/atomic-file';
import { StateCorruptError } from '../state/errors';
import { JournaledFile } from '../state/journaled-file';
import { type LockFn, withFileLock } from '../state/locked';
import { NetworkExistsError, NetworkNotFoundError } from './errors';
import { LEASE_CODEC, type LeaseOp, LeaseState } from './lease-state';
import { LeaseOverlay } from './lease-tx';
import { validateNetworkId } from './network-spec';
import type { IpamStore, LeaseTx, LeaseView, NetworkPlanner, StoreMeta } from './store';
import type { NetworkRecord } from './types';

export interface FileStoreOptions {
  /** Journal records before a compaction is considered (default 1000; tests lower it). */
  compactMin?: number;
  /** Lock implementation (flock through the addon by default). */
  lock?: LockFn;
}

const NETWORK_FILE = 'network.json';

function isMissing(err: unknown): boolean {
  return err instanceof NotFoundError || (!(err instanceof NsnetError) && (err as NodeJS.ErrnoException)?.code === 'ENOENT');
}

/** A lease transaction as the journal's ops: `fn` runs on an overlay that records its changes. */
function asOps<T>(fn: (tx: LeaseTx) => T): (state: LeaseState) => { ops: LeaseOp[]; result: T } {
  return (state) => {
    const tx = new LeaseOverlay(state);
    const result = fn(tx);
    return { ops: tx.ops(), result };
  };
}

export class FileStore implements IpamStore {
  private readonly journals = new Map<string, JournaledFile<LeaseState, LeaseOp>>();
  private readonly networksDir: string;

  constructor(
    readonly root: string,
    private readonly options: FileStoreOptions = {},
  ) {
    this.networksDir = path.join(root, 'networks');
  }

  async createNetwork(plan: NetworkPlanner): Promise<NetworkRecord> {
    await fs.mkdir(this.networksDir, { recursive: true, mode: 0o700 });
    return this.withStoreLock(async () => {
      await this.sweep();
      const networks = await this.listNetworks();
      const meta = await this.readMeta();
      const planned = plan({ networks, meta: { ...meta } });
      const { network } = planned;
      validateNetworkId(network.id);
      if (networks.some((n) => n.id === network.id)) throw new NetworkExistsError(network.id);
      if (planned.meta && JSON.stringify(planned.meta) !== JSON.stringify(meta)) {
        await writeFileAtomic(path.join(this.root, 'meta.json'), `${JSON.stringify(planned.meta)}\n`);
      }
      const temp = path.join(this.networksDir, `.new-${network.id}-${randomBytes(4).toString('hex')}`);
      await fs.mkdir(temp, { mode: 0o700 });
      try {
        await writeFileDurable(path.join(temp, NETWORK_FILE), `${JSON.stringify(network)}\n`);
        await JournaledFile.create(temp, new LeaseState(network).snapshot());
        await fs.rename(temp, this.dir(network.id)); // the commit point
      } catch (err) {
        await fs.rm(temp, { recursive: true, force: true });
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new NetworkExistsError(network.id);
        throw err;
      }
      await fsyncDir(this.networksDir);
      this.journals.delete(network.id);
      return network;
    });
  }

  async deleteNetwork(id: string, guard?: (leases: LeaseView) => void): Promise<boolean> {
    validateNetworkId(id);
    await fs.mkdir(this.networksDir, { recursive: true, mode: 0o700 });
    return this.withStoreLock(async () => {
      const trash = path.join(this.networksDir, `.trash-${id}-${randomBytes(4).toString('hex')}`);
      try {
        await this.journal(id).locked(async (state) => {
          guard?.(state);
          await fs.rename(this.dir(id), trash); // the commit point
          await fsyncDir(this.networksDir);
        });
      } catch (err) {
        if (isMissing(err)) return false;
        throw err;
      } finally {
        this.journals.delete(id);
      }
      await fs.rm(trash, { recursive: true, force: true });
      return true;
    });
  }

  async listNetworks(): Promise<NetworkRecord[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.networksDir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: NetworkRecord[] = [];
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue; // being built or being removed
      const file = path.join(this.dir(name), NETWORK_FILE);
      const data = await readFileIfExists(file);
      if (data === undefined) continue; // deleted since readdir
      try {
        out.push(JSON.parse(data.toString('utf8')) as NetworkRecord);
      } catch (err) {
        throw new StateCorruptError(`${file} is not valid JSON`, file, err);
      }
    }
    return out;
  }

  async updateLeases<T>(networkId: string, fn: (tx: LeaseTx) => T): Promise<T> {
    return this.onNetwork(networkId, (journal) => journal.update(asOps(fn)));
  }

  async updateLeasesDeferred<T>(networkId: string, fn: (tx: LeaseTx) => T): Promise<{ result: T; synced: Promise<void> }> {
    return this.onNetwork(networkId, (journal) => journal.updateDeferred(asOps(fn)));
  }

  async readLeases<T>(networkId: string, fn: (view: LeaseView) => T): Promise<T> {
    return this.onNetwork(networkId, (journal) => journal.read(fn));
  }

  private dir(id: string): string {
    return path.join(this.networksDir, id);
  }

  private journal(id: string): JournaledFile<LeaseState, LeaseOp> {
    let journal = this.journals.get(id);
    if (!journal) {
      journal = new JournaledFile(this.dir(id), LEASE_CODEC, this.options);
      this.journals.set(id, journal);
    }
    return journal;
  }

  private async onNetwork<T>(id: string, fn: (journal: JournaledFile<LeaseState, LeaseOp>) => Promise<T>): Promise<T> {
    validateNetworkId(id, 'networkId');
    try {
      return await fn(this.journal(id));
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.journals.delete(id);
      throw new NetworkNotFoundError(id, err);
    }
  }

  private async withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.root, 'lock'), fn, { lock: this.options.lock });
  }

  private async readMeta(): Promise<StoreMeta> {
    const file = path.join(this.root, 'meta.json');
    const data = await readFileIfExists(file);
    if (data === undefined) return {};
    try {
      return JSON.parse(data.toString('utf8')) as StoreMeta;
    } catch (err) {
      throw new StateCorruptError(`${file} is not valid JSON`, file, err);
    }
  }

  /** Removes half-built and half-removed network directories of dead processes. Caller holds the store lock. */
  private async sweep(): Promise<void> {
    for (const name of await fs.readdir(this.networksDir)) {
      if (name.startsWith('.new-') || name.startsWith('.trash-')) {
        await fs.rm(path.join(this.networksDir, name), { recursive: true, force: true });
      }
    }
  }
}
