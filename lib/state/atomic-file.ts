/**
 * Crash-safe file replacement: after a crash at any instant the file holds either its old
 * or its new contents in full, never a mix and never a prefix.
 *
 * The sequence is the classic one: write a temp file in the same directory, fsync it (so
 * its data is on disk before its name is), rename it over the target (atomic within one
 * file system), then fsync the directory (so the rename itself survives a power loss).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';

const TEMP_MARK = '.tmp-';

/**
 * Unique per process: random once (a reused pid after a crash must not meet its
 * predecessor's leftovers), then a counter, which costs nothing per write.
 */
const WRITER = `${process.pid}-${randomBytes(4).toString('hex')}`;
let written = 0;

/** The temp name for `file`: hidden, unique per writer, recognisable by removeStaleTemps(). */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARK}${WRITER}-${(written++).toString(36)}`);
}

/**
 * fsync/fdatasync on a libuv pool thread: they wait for the device (milliseconds on a
 * disk), so they stay off the JS thread.
 */
const fsyncOnPool = promisify(fs.fsync);
const fdatasyncOnPool = promisify(fs.fdatasync);

/** statfs(2) f_type of the file systems that keep files in memory only (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
const inMemoryDirs = new Map<string, boolean>();
const MAX_KNOWN_DIRS = 1024;

/**
 * True if `dir` is on tmpfs or ramfs, where fsync and fdatasync do nothing (the kernel's
 * noop_fsync): there is no device to wait for. Runtimes keep state there (/run), and
 * skipping the call saves two thread hand-offs per sync. Asked once per directory.
 */
export function inMemoryFs(dir: string): boolean {
  let known = inMemoryDirs.get(dir);
  if (known === undefined) {
    let type: number | undefined;
    try {
      type = fs.statfsSync(dir).type;
    } catch {
      return false; // not knowing, sync as usual
    }
    known = type === TMPFS_MAGIC || type === RAMFS_MAGIC;
    if (inMemoryDirs.size >= MAX_KNOWN_DIRS) inMemoryDirs.clear(); // a long-lived host makes and drops networks
    inMemoryDirs.set(dir, known);
  }
  return known;
}

/** fsync(2) of `fd`, a file in `dir`; nothing to wait for on an in-memory file system. */
function fsyncFd(fd: number, dir: string): Promise<void> {
  return inMemoryFs(dir) ? Promise.resolve() : fsyncOnPool(fd);
}

/** fdatasync(2) of `fd`, a file in `dir`; nothing to wait for on an in-memory file system. */
export function fdatasyncFd(fd: number, dir: string): Promise<void> {
  return inMemoryFs(dir) ? Promise.resolve() : fdatasyncOnPool(fd);
}

/** fsync(2) a directory, making renames and creations inside it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  if (inMemoryFs(dir)) return;
  const fd = fs.openSync(dir, 'r');
  try {
    await fsyncOnPool(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes `data` to a new file and fsyncs it; fails if `file` exists.
 *
 * open, write and close are synchronous: on a local file system they only touch the page
 * cache (microseconds), where each thread-pool round trip costs more than the call itself
 * and a record write would take eight of them. Only the fsync waits for the device.
 */
export async function writeFileDurable(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const fd = fs.openSync(file, 'wx', mode);
  try {
    fs.writeFileSync(fd, data);
    await fsyncFd(fd, path.dirname(file));
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `file` with `data` atomically and durably (temp, fsync, rename, fsync dir). */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const temp = tempName(file);
  try {
    await writeFileDurable(temp, data, mode);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * unlink(2), with a missing file counting as done. One syscall: fs.rmSync first lstat()s
 * and, recursive, walks in JS, which showed up at a quarter of a bulk removal.
 */
export function unlinkIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** The file's contents, or undefined if it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Deletes temp files that writers killed mid-write left in `dir`. Call it only while
 * holding the lock that every writer of `dir` takes: then no temp file can be live.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await fs.promises.readdir(dir)) {
    if (name.startsWith('.') && name.includes(TEMP_MARK)) {
      await fs.promises.rm(path.join(dir, name), { force: true });
      removed += 1;
    }
  }
  return removed;
}
