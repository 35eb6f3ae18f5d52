/**
 * Plumbing shared by the golden-fixture readers of test/unit/netlink and test/unit/nft:
 * locating a fixture directory, loading fixtures, and cutting captured sendmsg/recvmsg
 * buffers into messages. What each capture means stays in its own fixtures.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NetlinkMessage, splitMessages } from '../../lib/netlink';

/** One captured syscall's bytes. */
export interface CapturedMessage {
  dir: 'send' | 'recv';
  syscall: string;
  fd: number;
  hex: string;
  strace?: string;
}

export interface FixtureStore<T> {
  readonly dir: string;
  names(): string[];
  load(name: string): T;
}

/** test/fixtures/<kind>, found from the sources (ts) and from dist/ (compiled) alike. */
export function fixtureStore<T>(kind: string): FixtureStore<T> {
  let dir: string | undefined;
  for (let d = __dirname; d !== path.dirname(d) && dir === undefined; d = path.dirname(d)) {
    const candidate = path.join(d, 'test', 'fixtures', kind);
    if (fs.existsSync(candidate)) dir = candidate;
  }
  if (dir === undefined) throw new Error(`test/fixtures/${kind} not found`);
  const root = dir;
  return {
    dir: root,
    names: () =>
      fs
        .readdirSync(root)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length))
        .sort(),
    load: (name) => JSON.parse(fs.readFileSync(path.join(root, `${name}.json`), 'utf8')) as T,
  };
}

/**
 * The messages of one sent buffer. Tools send requests from larger zeroed structs
 * (iproute2: a 152-byte sendto for a 24-byte RTM_GETADDR); the kernel stops at the first
 * header with nlmsg_len 0, and so does this.
 */
export function messagesOf(hex: string): Buffer[] {
  const buf = Buffer.from(hex, 'hex');
  const out: Buffer[] = [];
  let off = 0;
  while (buf.length - off >= 16) {
    const len = buf.readUInt32LE(off);
    if (len === 0) break;
    out.push(buf.subarray(off, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

/** Every request sent, each a complete message Buffer. */
export function sentIn(messages: readonly CapturedMessage[]): Buffer[] {
  return messages.filter((m) => m.dir === 'send').flatMap((m) => messagesOf(m.hex));
}

/** Every message the kernel sent back, split strictly. */
export function receivedIn(messages: readonly CapturedMessage[]): NetlinkMessage[] {
  return messages.filter((m) => m.dir === 'recv').flatMap((m) => splitMessages(Buffer.from(m.hex, 'hex')));
}

/** A copy with nlmsg_seq and nlmsg_pid zeroed in every message: the transport stamps those. */
export function maskSeqPid(msgs: Buffer): Buffer {
  const c = Buffer.from(msgs);
  for (let off = 0; off + 16 <= c.length; ) {
    const len = c.readUInt32LE(off);
    c.writeUInt32LE(0, off + 8);
    c.writeUInt32LE(0, off + 12);
    if (len < 16) break;
    off += (len + 3) & ~3;
  }
  return c;
}

/** The payload of a message Buffer (after the 16-byte header). */
export function payloadOf(msg: Buffer): Buffer {
  return msg.subarray(16, msg.readUInt32LE(0));
}
