/**
 * Golden fixtures captured by scripts/capture-netlink-fixtures: the exact bytes iproute2
 * sent and the kernel answered, plus the `ip -j` output of the same invocation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodeLink, DecodedLink, NetlinkMessage, RTM_NEWLINK, splitMessages } from '../../../lib/netlink';

export interface CapturedMessage {
  dir: 'send' | 'recv';
  syscall: string;
  fd: number;
  hex: string;
  strace?: string;
}

export interface Fixture {
  name: string;
  command: string;
  note: string;
  before: string[];
  iproute2: string;
  kernel: string;
  messages: CapturedMessage[];
  stdout?: unknown;
}

function fixtureDir(): string {
  // Works from test/unit/netlink (ts) and dist/test/unit/netlink (compiled).
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'netlink');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('test/fixtures/netlink not found');
}

export const FIXTURE_DIR = fixtureDir();

export function fixtureNames(): string[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as Fixture;
}

/**
 * The messages of one sent buffer. iproute2 sends dump requests from a larger zeroed
 * struct (sendto of 152 bytes for a 24-byte RTM_GETADDR); the kernel stops at the first
 * header with nlmsg_len 0, and so does this.
 */
export function sentBuffers(hex: string): Buffer[] {
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

/** Every request iproute2 sent, each a complete message Buffer. */
export function sent(fx: Fixture): Buffer[] {
  return fx.messages.filter((m) => m.dir === 'send').flatMap((m) => sentBuffers(m.hex));
}

/** Every message the kernel sent back, split strictly. */
export function received(fx: Fixture): NetlinkMessage[] {
  return fx.messages.filter((m) => m.dir === 'recv').flatMap((m) => splitMessages(Buffer.from(m.hex, 'hex')));
}

/** The last request of a type (iproute2's lookups come first, the request last). */
export function lastSent(fx: Fixture, type: number): Buffer {
  const found = sent(fx).filter((b) => b.readUInt16LE(4) === type);
  const last = found[found.length - 1];
  if (last === undefined) throw new Error(`${fx.name}: no message of type ${type} sent`);
  return last;
}

/** A copy with nlmsg_seq and nlmsg_pid zeroed: the transport stamps those. */
export function maskSeqPid(msg: Buffer): Buffer {
  const c = Buffer.from(msg);
  c.writeUInt32LE(0, 8);
  c.writeUInt32LE(0, 12);
  return c;
}

/** Links the kernel described in this capture (dump or lookup replies). */
export function linksIn(fx: Fixture): DecodedLink[] {
  return received(fx)
    .filter((m) => m.type === RTM_NEWLINK)
    .map((m) => decodeLink(m.payload));
}

/** The ifindex iproute2 resolved `name` to, read from the kernel's reply in the capture. */
export function indexOf(fx: Fixture, name: string): number {
  const link = linksIn(fx).find((l) => l.name === name);
  if (link === undefined) throw new Error(`${fx.name}: no RTM_NEWLINK reply for ${name}`);
  return link.index;
}

/** The payload of a message Buffer (after the 16-byte header). */
export function payloadOf(msg: Buffer): Buffer {
  return msg.subarray(16, msg.readUInt32LE(0));
}
