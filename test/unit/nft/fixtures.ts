/**
 * Golden fixtures captured by scripts/capture-nft-fixtures: the batches nft 1.0.6 sent
 * for a rule text, the kernel's replies to `nft -j list ruleset` dumps, and the JSON nft
 * printed from them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NetlinkMessage, NFNL_MSG_BATCH_BEGIN, splitMessages } from '../../../lib/netlink';

export interface CapturedMessage {
  dir: 'send' | 'recv';
  syscall: string;
  fd: number;
  hex: string;
}

export interface NftFixture {
  name: string;
  note: string;
  before: string[];
  nftables: string;
  kernel: string;
  nft?: string;
  argv?: string[];
  stderr?: string;
  messages: CapturedMessage[];
  stdout?: { nftables: Record<string, any>[] };
}

function fixtureDir(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'nft');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('test/fixtures/nft not found');
}

export const FIXTURE_DIR = fixtureDir();

export function fixtureNames(): string[] {
  return fs
    .readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(name: string): NftFixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as NftFixture;
}

/** The messages of one sent buffer, each a complete message Buffer. */
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

/** The batch nft sent (the sendmsg that starts with NFNL_MSG_BATCH_BEGIN), whole. */
export function batchBuffer(fx: NftFixture): Buffer {
  const m = fx.messages.find((x) => x.dir === 'send' && Buffer.from(x.hex.slice(8, 12), 'hex').readUInt16LE(0) === NFNL_MSG_BATCH_BEGIN);
  if (m === undefined) throw new Error(`${fx.name}: no batch sent`);
  return Buffer.from(m.hex, 'hex');
}

/** The messages inside the batch, BEGIN and END excluded. */
export function batchMessages(fx: NftFixture): Buffer[] {
  const all = messagesOf(batchBuffer(fx).toString('hex'));
  return all.slice(1, -1);
}

/** Every message the kernel sent back. */
export function received(fx: NftFixture): NetlinkMessage[] {
  return fx.messages.filter((m) => m.dir === 'recv').flatMap((m) => splitMessages(Buffer.from(m.hex, 'hex')));
}

/** Every request nft sent, each a complete message. */
export function sent(fx: NftFixture): Buffer[] {
  return fx.messages.filter((m) => m.dir === 'send').flatMap((m) => messagesOf(m.hex));
}

/** A copy with nlmsg_seq and nlmsg_pid zeroed: the transport stamps those. */
export function maskSeqPid(msg: Buffer): Buffer {
  const c = Buffer.from(msg);
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
