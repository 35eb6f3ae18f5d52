/**
 * What a link-kind module provides: encode/decode of the kind's IFLA_INFO_DATA (or
 * IFLA_INFO_SLAVE_DATA) nest. Kinds that embed a whole link (veth's peer) get the link
 * codec through `ctx`, so kind modules never import link.ts at load time.
 */
import type { AttrWriter } from '../attr';
import type { DecodedLink, Link } from '../link';

export interface LinkCodecContext {
  /** Writes struct ifinfomsg + IFLA_* attributes of `link`. */
  writeLink(w: AttrWriter, link: Link): void;
  /** Reads struct ifinfomsg + IFLA_* attributes. */
  decodeLink(payload: Buffer): DecodedLink;
}

export interface KindCodec<D> {
  /** Writes the whole data attribute (IFLA_INFO_DATA or IFLA_INFO_SLAVE_DATA = `type`). */
  encode(w: AttrWriter, type: number, data: D, ctx: LinkCodecContext): void;
  /** Reads the payload of the data nest. */
  decode(payload: Buffer, ctx: LinkCodecContext): D;
}

/**
 * IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA of a kind nsnet has no module for, kept as the
 * bytes the kernel sent (and sent back verbatim when encoded).
 */
export interface RawKindData {
  kind: 'raw';
  bytes: Buffer;
}
