/**
 * What the kernel holds of nsnet's ruleset, read back into the firewall's own types:
 * networks from their chains' comments, publications from the dnat maps' elements (each
 * carries `ep=<endpoint> nw=<network>` as its comment) and the icc drop set, plus what is
 * missing of the base. Reads only; several dumps, repeated if the ruleset changed between
 * them (the generation id moved).
 */
import { isNotFound } from '../errors';
import { nft } from '../netlink';
import type { NftHandle } from '../nft';
import {
  baseObjectNames,
  BR,
  BRIDGE,
  CHAIN,
  decodeDnatElement,
  decodeLinkAddrElement,
  decodeLinkElement,
  parseLinkComment,
  INET,
  networkIdOfChain,
  parseEndpointComment,
  parseNetworkComment,
  SET,
  staticRuleCounts,
  TABLE,
} from './ruleset';
import type { FirewallSnapshot, Publication, ResolvedNetwork } from './types';

const ELEM_COMMENT = 0;
const DNAT_MAPS = [SET.dnat4, SET.dnat4Any, SET.dnat6, SET.dnat6Any] as const;

/** Whether nsnet's table of `family` exists (one doit request). */
export async function tableExists(h: NftHandle, family: nft.NftFamily): Promise<boolean> {
  try {
    await h.getTable({ family, name: TABLE });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function elementsOf(h: NftHandle, family: nft.NftFamily, set: string): Promise<nft.NftSetElem[]> {
  try {
    return await h.listElements({ family, name: TABLE }, set);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

function countByChain(rules: readonly nft.NftRule[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rules) out.set(r.chain ?? '', (out.get(r.chain ?? '') ?? 0) + 1);
  return out;
}

async function readOnce(h: NftHandle, generation: number): Promise<FirewallSnapshot> {
  const names = baseObjectNames();
  const counts = staticRuleCounts();
  const missing: string[] = [];
  const inet = await tableExists(h, INET);
  const bridge = await tableExists(h, BRIDGE);
  const T = { family: INET, name: TABLE };
  const B = { family: BRIDGE, name: TABLE };

  const chains = inet ? await h.listChains(T) : [];
  const sets = inet ? await h.listSets(T) : [];
  const rules = inet ? countByChain(await h.listRules(T)) : new Map<string, number>();
  const chainNames = new Set(chains.map((c) => c.name));
  const setNames = new Set(sets.map((s) => s.name));
  if (!inet) missing.push(`inet ${TABLE}`);
  for (const c of names.inetChains) if (inet && !chainNames.has(c)) missing.push(`inet ${TABLE} chain ${c}`);
  for (const s of names.inetSets) if (inet && !setNames.has(s)) missing.push(`inet ${TABLE} set ${s}`);
  for (const [c, want] of counts.inet) {
    const have = rules.get(c) ?? 0;
    if (chainNames.has(c) && have !== want) missing.push(`inet ${TABLE} chain ${c}: ${have} of ${want} rules`);
  }

  const bchains = bridge ? await h.listChains(B) : [];
  const bsets = bridge ? await h.listSets(B) : [];
  const brules = bridge ? countByChain(await h.listRules(B)) : new Map<string, number>();
  if (!bridge) missing.push(`bridge ${TABLE}`);
  for (const c of names.bridgeChains) if (bridge && !bchains.some((x) => x.name === c)) missing.push(`bridge ${TABLE} chain ${c}`);
  for (const s of names.bridgeSets) if (bridge && !bsets.some((x) => x.name === s)) missing.push(`bridge ${TABLE} set ${s}`);
  if (bchains.some((x) => x.name === BR.chain) && (brules.get(BR.chain) ?? 0) !== counts.bridge) {
    missing.push(`bridge ${TABLE} chain ${BR.chain}: ${brules.get(BR.chain) ?? 0} of ${counts.bridge} rules`);
  }

  const networks: ResolvedNetwork[] = [];
  for (const c of chains) {
    if (c.name === undefined || networkIdOfChain(c.name) === undefined) continue;
    const n = parseNetworkComment(nft.udataComment(c.userdata, nft.NFTNL_UDATA_CHAIN_COMMENT));
    if (n !== undefined && n.id === networkIdOfChain(c.name)) networks.push(n);
  }

  const pubs = new Map<string, Publication>();
  const pubOf = (ep: { id: string; network: string }): Publication => {
    let p = pubs.get(ep.id);
    if (p === undefined) {
      p = { endpoint: { id: ep.id, network: ep.network }, mappings: [] };
      pubs.set(ep.id, p);
    }
    return p;
  };
  for (const map of DNAT_MAPS) {
    if (!setNames.has(map)) continue;
    for (const e of await elementsOf(h, INET, map)) {
      const ep = parseEndpointComment(nft.udataComment(e.userdata, ELEM_COMMENT));
      const m = decodeDnatElement(map, e);
      if (ep === undefined || m === undefined) continue;
      const p = pubOf(ep);
      p.mappings.push(m);
      if (m.family === 4) p.endpoint.ipv4 ??= m.containerIp;
      else p.endpoint.ipv6 ??= m.containerIp;
    }
  }
  if (bsets.some((x) => x.name === BR.iccOff)) {
    for (const e of await elementsOf(h, BRIDGE, BR.iccOff)) {
      const ep = parseEndpointComment(nft.udataComment(e.userdata, ELEM_COMMENT));
      if (ep === undefined || e.key === undefined) continue;
      const nul = e.key.indexOf(0);
      pubOf(ep).endpoint.port = e.key.toString('utf8', 0, nul === -1 ? e.key.length : nul);
    }
  }
  if (bsets.some((x) => x.name === BR.linkFwd)) {
    for (const e of await elementsOf(h, BRIDGE, BR.linkFwd)) {
      const ep = parseEndpointComment(nft.udataComment(e.userdata, ELEM_COMMENT));
      const d = decodeLinkElement(e);
      if (ep === undefined || d === undefined) continue;
      const p = pubOf(ep);
      p.endpoint.port ??= d.port;
      (p.endpoint.links ??= []).push(d.link);
    }
  }
  for (const name of [SET.link4, SET.link6]) {
    if (!setNames.has(name)) continue;
    for (const e of await elementsOf(h, INET, name)) {
      const c = parseLinkComment(nft.udataComment(e.userdata, ELEM_COMMENT));
      const d = decodeLinkAddrElement(name, e);
      if (c === undefined || d === undefined) continue;
      const links = (pubOf(c).endpoint.links ??= []);
      let l = links.find((x) => x.peer === c.peer && x.proto === d.proto && x.port === d.port);
      if (!l) links.push((l = { peer: c.peer, proto: d.proto, port: d.port }));
      if (d.family === 4) l.ipv4 = d.peerIp;
      else l.ipv6 = d.peerIp;
    }
  }

  return {
    installed: inet,
    complete: missing.length === 0,
    missing,
    networks,
    publications: [...pubs.values()],
    userChain: { present: chainNames.has(CHAIN.user), rules: rules.get(CHAIN.user) ?? 0 },
    generation,
  };
}

/** Reads nsnet's ruleset from the kernel (see the file comment). */
export async function readSnapshot(h: NftHandle): Promise<FirewallSnapshot> {
  for (let attempt = 0; ; attempt++) {
    const before = await h.generation();
    const snap = await readOnce(h, before);
    if ((await h.generation()) === before || attempt >= 4) return snap;
  }
}
