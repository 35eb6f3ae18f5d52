/**
 * The processes the CLI started for containers, kept beside the runtime's records in
 * <state-dir>/cli/<container id>.json (and the detached command's output in <id>.log).
 * The runtime records networks; which program runs in a container is the CLI's business.
 *
 * A process is named by its PID *and* its start time (field 22 of /proc/PID/stat), so a
 * PID the kernel has since given to another program is never mistaken for ours, and
 * `rm -f` signals only the process it recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../state';

export interface ProcessRef {
  pid: number;
  /** Clock ticks since boot at which the process started (/proc/PID/stat field 22). */
  startTime: string;
}

export interface ProcessRecord {
  id: string;
  name: string;
  /** CMD and its arguments. */
  command: string[];
  /** `run -d`: the command outlives the `nsnet run` that started it. */
  detached: boolean;
  /** ISO 8601. */
  started: string;
  /** The command, once started. */
  process?: ProcessRef;
  /** Foreground `run`: the nsnet process that tears the container down when the command exits. */
  supervisor?: ProcessRef;
  /** `run -d`: where the command's stdout and stderr go. */
  log?: string;
}

/** The process's identity if it is running (a zombie counts as exited), else undefined. */
export function processRef(pid: number): ProcessRef | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses; fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return undefined;
  const startTime = fields[19];
  return startTime === undefined ? undefined : { pid, startTime };
}

/** Is the process that `ref` recorded still running (the same process, not a reused PID)? */
export function isRunning(ref: ProcessRef | undefined): boolean {
  return ref !== undefined && processRef(ref.pid)?.startTime === ref.startTime;
}

/** The container's state as `ps` shows it. */
export function processStatus(rec: ProcessRecord | undefined): { status: 'created' | 'starting' | 'running' | 'exited'; pid?: number } {
  if (!rec) return { status: 'created' };
  if (rec.process) return isRunning(rec.process) ? { status: 'running', pid: rec.process.pid } : { status: 'exited' };
  return isRunning(rec.supervisor) ? { status: 'starting' } : { status: 'exited' };
}

/** Does anything the record names still run (the command, or the `run` supervising it)? */
export function isLive(rec: ProcessRecord): boolean {
  return isRunning(rec.process) || isRunning(rec.supervisor);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `signal` to the recorded process, only if it is still that process, and waits
 * until it has exited. Resolves false if it was not running.
 */
export async function killProcess(ref: ProcessRef, signal: NodeJS.Signals = 'SIGKILL', waitMs = 10_000): Promise<boolean> {
  if (!isRunning(ref)) return false;
  try {
    process.kill(ref.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
  for (let waited = 0, delay = 1; isRunning(ref); waited += delay, delay = Math.min(delay * 2, 20)) {
    if (waited > waitMs) throw new Error(`process ${ref.pid} did not exit after ${signal}`);
    await sleep(delay);
  }
  return true;
}

export class ProcessStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'cli');
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  logFile(id: string): string {
    return path.join(this.dir, `${id}.log`);
  }

  async save(rec: ProcessRecord): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file(rec.id), `${JSON.stringify(rec, null, 2)}\n`);
  }

  get(id: string): ProcessRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as ProcessRecord;
    } catch {
      return undefined;
    }
  }

  list(): ProcessRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    return names.map((n) => this.get(n.slice(0, -'.json'.length))).filter((r): r is ProcessRecord => r !== undefined);
  }

  /** Forgets a container's process (and its log). Idempotent. */
  delete(id: string): void {
    fs.rmSync(this.file(id), { force: true });
    fs.rmSync(this.logFile(id), { force: true });
  }
}
