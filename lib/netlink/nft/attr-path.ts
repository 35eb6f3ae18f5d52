/**
 * Names the attribute an extended ACK points at. nf_tables rarely sends extack text; it
 * marks the offending attribute with NLMSGERR_ATTR_OFFS (an offset from the start of the
 * failed message) instead. This turns that offset into a readable path such as
 * "NFTA_RULE_EXPRESSIONS > #2 meta > NFTA_META_DREG" using the kernel's names.
 */
import { parseAttrs } from '../attr';
import { NFGENMSG_LEN } from '../constants/nfnetlink';
import * as K from '../constants/nftables';
import { NLA_HDRLEN, NLMSG_HDRLEN } from '../constants/netlink';

const PREFIX: Record<number, string> = {
  [K.NFT_MSG_NEWTABLE]: 'NFTA_TABLE_',
  [K.NFT_MSG_DELTABLE]: 'NFTA_TABLE_',
  [K.NFT_MSG_NEWCHAIN]: 'NFTA_CHAIN_',
  [K.NFT_MSG_DELCHAIN]: 'NFTA_CHAIN_',
  [K.NFT_MSG_NEWRULE]: 'NFTA_RULE_',
  [K.NFT_MSG_DELRULE]: 'NFTA_RULE_',
  [K.NFT_MSG_NEWSET]: 'NFTA_SET_',
  [K.NFT_MSG_DELSET]: 'NFTA_SET_',
  [K.NFT_MSG_NEWSETELEM]: 'NFTA_SET_ELEM_LIST_',
  [K.NFT_MSG_DELSETELEM]: 'NFTA_SET_ELEM_LIST_',
};

function nameOf(prefix: string | undefined, type: number): string {
  if (prefix !== undefined) {
    for (const [k, v] of Object.entries(K)) {
      if (v === type && k.startsWith(prefix) && !k.slice(prefix.length).includes('_')) return k;
    }
  }
  return `attr ${type}`;
}

/** "NFTA_RULE_EXPRESSIONS > #0 meta > data > NFTA_META_DREG", or undefined if `offset` is outside. */
export function attrPath(message: Buffer, offset: number): string | undefined {
  if (message.length < NLMSG_HDRLEN + NFGENMSG_LEN || offset < NLMSG_HDRLEN + NFGENMSG_LEN) return undefined;
  const len = Math.min(message.length, message.readUInt32LE(0));
  const msgType = message.readUInt16LE(4) & 0xff;
  const path: string[] = [];
  let base = NLMSG_HDRLEN + NFGENMSG_LEN;
  let body = message.subarray(base, len);
  let prefix: string | undefined = PREFIX[msgType];
  try {
    for (let depth = 0; depth < 8; depth++) {
      let found = false;
      let off = 0;
      for (const [i, a] of parseAttrs(body).entries()) {
        const start = base + off;
        const end = start + NLA_HDRLEN + a.data.length;
        off += (NLA_HDRLEN + a.data.length + 3) & ~3;
        if (offset < start || offset >= end) continue;
        found = true;
        const inner = parseAttrs(a.data);
        if (prefix === 'NFTA_LIST_ELEM' || prefix === undefined) {
          // An expression list element: name it by NFTA_EXPR_NAME.
          const name = inner.find((x) => x.type === K.NFTA_EXPR_NAME);
          path.push(name ? `#${i} ${name.data.toString('utf8').replace(/\0.*$/, '')}` : `#${i}`);
          prefix = name ? `expr:${name.data.toString('utf8').replace(/\0.*$/, '').toUpperCase()}` : undefined;
        } else if (prefix.startsWith('expr:')) {
          const exprPrefix = `NFTA_${prefix.slice(5)}_`;
          path.push(a.type === K.NFTA_EXPR_DATA ? 'data' : nameOf('NFTA_EXPR_', a.type));
          prefix = a.type === K.NFTA_EXPR_DATA ? exprPrefix : undefined;
        } else {
          const n = nameOf(prefix, a.type);
          path.push(n);
          prefix = n === 'NFTA_RULE_EXPRESSIONS' ? 'NFTA_LIST_ELEM' : undefined;
        }
        if (offset === start || a.data.length === 0) return path.join(' > ');
        base = start + NLA_HDRLEN;
        body = a.data;
        break;
      }
      if (!found) break;
    }
  } catch {
    // Not attributes further down (a value): the path so far is the answer.
  }
  return path.length ? path.join(' > ') : undefined;
}
