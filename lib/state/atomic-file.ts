/**
 * Crash-safe file replacement: after a crash at any instant the file holds either its old
 * or its new contents in full, never a mix and never a prefix.
 *
 * The sequence is the classic one: write a temp file in the same directory, fsync it (so
 * its data is on disk before its name is), rename it over the target (atomic within one
 * file system), then fsync the directory (so the rename itself survives a power loss).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const TEMP_MARK = '.tmp-';

/** The temp name for `file`: hidden, unique per writer, recognisable by removeStaleTemps(). */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync(2) a directory, making renames and creations inside it durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to a new file and fsyncs it; fails if `file` exists. */
export async function writeFileDurable(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const fh = await fs.open(file, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` atomically and durably (temp, fsync, rename, fsync dir). */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const temp = tempName(file);
  try {
    await writeFileDurable(temp, data, mode);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}

/** The file's contents, or undefined if it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
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
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.') && name.includes(TEMP_MARK)) {
      await fs.rm(path.join(dir, name), { force: true });
      removed += 1;
    }
  }
  return removed;
}
