/**
 * Golden fixtures captured by scripts/capture-netlink-fixtures: the exact bytes iproute2
 * sent and the kernel answered, plus the `ip -j` output of the same invocation.
 */
import { decodeLink, DecodedLink, NetlinkMessage, RTM_NEWLINK } from '../../../lib/netlink';
import { CapturedMessage, fixtureStore, maskSeqPid, payloadOf, receivedIn, sentIn } from '../../support/captured';

export { maskSeqPid, payloadOf };
export type { CapturedMessage };

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

const store = fixtureStore<Fixture>('netlink');
export const FIXTURE_DIR = store.dir;
export const fixtureNames = (): string[] => store.names();
export const loadFixture = (name: string): Fixture => store.load(name);

/** Every request iproute2 sent, each a complete message Buffer. */
export function sent(fx: Fixture): Buffer[] {
  return sentIn(fx.messages);
}

/** Every message the kernel sent back, split strictly. */
export function received(fx: Fixture): NetlinkMessage[] {
  return receivedIn(fx.messages);
}

/** The last request of a type (iproute2's lookups come first, the request last). */
export function lastSent(fx: Fixture, type: number): Buffer {
  const found = sent(fx).filter((b) => b.readUInt16LE(4) === type);
  const last = found[found.length - 1];
  if (last === undefined) throw new Error(`${fx.name}: no message of type ${type} sent`);
  return last;
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

