/**
 * Golden fixtures captured by scripts/capture-nft-fixtures: the batches nft 1.0.6 sent
 * for a rule text, the kernel's replies to `nft -j list ruleset` dumps, and the JSON nft
 * printed from them.
 */
import { NetlinkMessage, NFNL_MSG_BATCH_BEGIN } from '../../../lib/netlink';
import { CapturedMessage, fixtureStore, maskSeqPid, messagesOf, payloadOf, receivedIn, sentIn } from '../../support/captured';

export { maskSeqPid, messagesOf, payloadOf };
export type { CapturedMessage };

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

const store = fixtureStore<NftFixture>('nft');
export const FIXTURE_DIR = store.dir;
export const fixtureNames = (): string[] => store.names();
export const loadFixture = (name: string): NftFixture => store.load(name);

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
  return receivedIn(fx.messages);
}

/** Every request nft sent, each a complete message. */
export function sent(fx: NftFixture): Buffer[] {
  return sentIn(fx.messages);
}

