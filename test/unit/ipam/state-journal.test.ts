/**
 * lib/state: record framing, atomic replacement, and the journaled state (snapshot +
 * journal) — torn tails, crashes between the steps of a compaction, several readers.
 * The lock is testLock (no addon in unit tests); cross-process locking is exercised by
 * the integration tests.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { inMemoryFs, writeFileAtomic, removeStaleTemps } from '../../../lib/state/atomic-file';
import { StateCorruptError } from '../../../lib/state/errors';
import { encodeRecord, parseRecords } from '../../../lib/state/journal';
import { JOURNAL_FILE, type JournalCodec, JournaledFile, SNAPSHOT_FILE } from '../../../lib/state/journaled-file';
import { readJsonLocked, updateJsonLocked } from '../../../lib/state/locked';
import { testLock } from './helpers';

type Counter = Map<string, number>;
type Op = [string, number];
const codec: JournalCodec<Counter, Op> = {
  restore: (s) => new Map(Object.entries((s ?? {}) as Record<string, number>)),
  apply: (state, [k, v]) => void state.set(k, v),
  snapshot: (state) => Object.fromEntries(state),
  entries: (state) => state.size,
};

describe('lib/state', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-state-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('journal framing', () => {
    const three = Buffer.concat([encodeRecord({ a: 1 }), encodeRecord({ b: 'x\ny' }), encodeRecord([3])]);

    it('reads back what it wrote, one checksummed line per record', () => {
      expect(encodeRecord({ a: 1 }).toString()).to.match(/^[0-9a-f]{8} \{"a":1\}\n$/);
      expect(parseRecords(three, 0, 'j')).to.deep.equal({ records: [{ a: 1 }, { b: 'x\ny' }, [3]], end: three.length, torn: false });
    });

    it('treats every prefix of a final record as torn, never as a record', () => {
      const last = encodeRecord([3]).length;
      for (let cut = three.length - last; cut < three.length; cut++) {
        const parsed = parseRecords(three.subarray(0, cut), 0, 'j');
        expect(parsed.records, `cut ${cut}`).to.have.length(2);
        expect(parsed.end).to.equal(three.length - last);
        expect(parsed.torn).to.equal(cut > three.length - last);
      }
      const garbage = Buffer.concat([three.subarray(0, three.length - last), Buffer.alloc(40)]);
      expect(parseRecords(garbage, 0, 'j')).to.include({ torn: true, end: three.length - last });
    });

    it('refuses a damaged record in the middle', () => {
      const damaged = Buffer.from(three);
      damaged[12] ^= 1;
      expect(() => parseRecords(damaged, 100, 'j')).to.throw(StateCorruptError);
    });
  });

  describe('atomic files', () => {
    it('replaces a file whole and leaves no temp file behind', async () => {
      const file = path.join(dir, 'f.json');
      await writeFileAtomic(file, 'old');
      await writeFileAtomic(file, 'new');
      expect(fs.readFileSync(file, 'utf8')).to.equal('new');
      expect(fs.readdirSync(dir)).to.deep.equal(['f.json']);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      fs.writeFileSync(path.join(dir, '.f.json.tmp-1-dead'), 'half');
      expect(await removeStaleTemps(dir)).to.equal(1);
      expect(fs.readdirSync(dir)).to.deep.equal(['f.json']);
    });

    it('knows tmpfs (fsync is a no-op there) from a disk-backed file system, as stat -f reports them', () => {
      // /dev/shm is tmpfs on Debian; the repository sits on a disk.
      const dirs = ['/dev/shm', dir, __dirname].filter((d) => fs.existsSync(d));
      const witness = (d: string): boolean => ['tmpfs', 'ramfs'].includes(execFileSync('stat', ['-f', '-c', '%T', d], { encoding: 'utf8' }).trim());
      for (const d of dirs) expect(inMemoryFs(d), d).to.equal(witness(d));
      expect(dirs.map(witness), 'one of each kind').to.include.members([true, false]);
    });

    it('read-modify-writes a JSON record under its lock without losing concurrent updates', async () => {
      const file = path.join(dir, 'rec.json');
      await Promise.all(
        Array.from({ length: 20 }, () => updateJsonLocked<{ n: number }, void>(file, (cur) => ({ value: { n: (cur?.n ?? 0) + 1 }, result: undefined }), { lock: testLock })),
      );
      expect(await readJsonLocked(file, { lock: testLock })).to.deep.equal({ n: 20 });
      await updateJsonLocked(file, () => ({ value: undefined, result: 0 }), { lock: testLock });
      expect(fs.existsSync(file)).to.equal(false);
    });
  });

  describe('JournaledFile', () => {
    const open = (compactMin = 1000): JournaledFile<Counter, Op> => new JournaledFile(dir, codec, { compactMin, lock: testLock });
    const set = (j: JournaledFile<Counter, Op>, k: string, v: number): Promise<void> => j.update(() => ({ ops: [[k, v]], result: undefined }));
    const dump = (j: JournaledFile<Counter, Op>): Promise<Record<string, number>> => j.read((s) => Object.fromEntries(s));

    beforeEach(async () => JournaledFile.create(dir, {}));

    it('appends one record per update and sees other writers’ records', async () => {
      const a = open();
      const b = open();
      await set(a, 'x', 1);
      await set(b, 'y', 2);
      await set(a, 'x', 3);
      expect(await dump(b)).to.deep.equal({ x: 3, y: 2 });
      expect(await dump(open())).to.deep.equal({ x: 3, y: 2 });
      expect(fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).to.have.length(4);
    });

    it('changes nothing when the update function throws', async () => {
      const a = open();
      await set(a, 'x', 1);
      const before = fs.readFileSync(path.join(dir, JOURNAL_FILE));
      const err = await a.update(() => {
        throw new Error('no');
      }).catch((e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect(fs.readFileSync(path.join(dir, JOURNAL_FILE))).to.deep.equal(before);
      expect(await dump(a)).to.deep.equal({ x: 1 });
    });

    it('compacts into a snapshot once the journal outgrows the state', async () => {
      const a = open(4);
      const b = open(4);
      for (let i = 0; i < 10; i++) await set(i % 2 ? a : b, 'k', i);
      const snap = JSON.parse(fs.readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8'));
      expect(snap.seq).to.equal(8);
      expect(fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8').trim().split('\n')).to.have.length(3);
      expect(await dump(a)).to.deep.equal({ k: 9 });
      expect(await dump(b)).to.deep.equal({ k: 9 });
      expect(await dump(open())).to.deep.equal({ k: 9 });
    });

    it('ignores a torn final record and cuts it before the next append', async () => {
      const a = open();
      await set(a, 'x', 1);
      const journal = path.join(dir, JOURNAL_FILE);
      const torn = encodeRecord({ seq: 2, ops: [['x', 99]] });
      fs.appendFileSync(journal, torn.subarray(0, torn.length - 3));
      expect(await dump(open())).to.deep.equal({ x: 1 });
      expect(await dump(a)).to.deep.equal({ x: 1 });
      await set(open(), 'y', 2);
      expect(await dump(a)).to.deep.equal({ x: 1, y: 2 });
      expect(fs.readFileSync(journal, 'utf8')).not.to.contain('["x",99]');
    });

    it('recovers from a crash between writing the snapshot and replacing the journal', async () => {
      const a = open();
      for (let i = 1; i <= 3; i++) await set(a, `k${i}`, i);
      // What compaction's first step leaves when the process dies before the second.
      await writeFileAtomic(path.join(dir, SNAPSHOT_FILE), JSON.stringify({ seq: 3, state: { k1: 1, k2: 2, k3: 3 } }));
      expect(await dump(open())).to.deep.equal({ k1: 1, k2: 2, k3: 3 });
      await set(open(), 'k4', 4);
      expect(await dump(a)).to.deep.equal({ k1: 1, k2: 2, k3: 3, k4: 4 });
      expect(await dump(open())).to.deep.equal({ k1: 1, k2: 2, k3: 3, k4: 4 });
    });

    it('refuses a journal that does not follow its snapshot', async () => {
      await set(open(), 'x', 1);
      await writeFileAtomic(path.join(dir, SNAPSHOT_FILE), JSON.stringify({ seq: 5, state: {} }));
      expect(await open().read(() => 0).catch((e: unknown) => e)).to.be.instanceOf(StateCorruptError);
    });
  });
});
