/**
 * The C++ addon against the real kernel, checked by independent witnesses: `ip netns`,
 * `ip -j`, `flock(1)`, `nft -j` when installed, and /proc. Runs inside scripts/sandbox
 * (private network + mount namespace, tmpfs on /run/netns).
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { native, NetlinkSocket, NsFd } from '../../lib/native';

const NETNS_DIR = '/run/netns';
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_DUMP = 0x300;
const NETLINK_ROUTE = 0;
const NETLINK_NETFILTER = 12;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;

// ---- hand-built netlink messages (the codec in lib/netlink is not under test here) ----

function nlmsg(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + payload.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  // seq and pid stay 0: the addon stamps them.
  return Buffer.concat([header, payload]);
}

function nlattr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  data.copy(out, 4);
  return out;
}

function ifinfomsg(index = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  return b;
}

const getLinkDump = (): Buffer => nlmsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg());
const delLink = (index: number, flags = NLM_F_REQUEST | NLM_F_ACK): Buffer => nlmsg(RTM_DELLINK, flags, ifinfomsg(index));

interface RawMessage { type: number; flags: number; seq: number; pid: number; payload: Buffer }

function splitMessages(data: Buffer): RawMessage[] {
  const out: RawMessage[] = [];
  for (let off = 0; off + 16 <= data.length;) {
    const len = data.readUInt32LE(off);
    expect(len).to.be.at.least(16);
    out.push({
      type: data.readUInt16LE(off + 4),
      flags: data.readUInt16LE(off + 6),
      seq: data.readUInt32LE(off + 8),
      pid: data.readUInt32LE(off + 12),
      payload: data.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** Top-level attributes of a message payload, after its fixed header of `skip` bytes. */
function attributes(payload: Buffer, skip: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = skip; off + 4 <= payload.length;) {
    const len = payload.readUInt16LE(off);
    if (len < 4) break;
    out.set(payload.readUInt16LE(off + 2) & 0x3fff, payload.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

const cString = (b: Buffer | undefined): string => (b ?? Buffer.alloc(0)).toString('utf8').replace(/\0+$/, '');

/** Interface names in RTM_NEWLINK replies. */
function linkNames(data: Buffer): string[] {
  return splitMessages(data).map((m) => {
    expect(m.type).to.equal(RTM_NEWLINK);
    return cString(attributes(m.payload, 16).get(IFLA_IFNAME));
  }).sort();
}

// ---- witnesses ----

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
const ipNetnsList = (): string[] => run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const ipLinkNames = (netns?: string): string[] =>
  (JSON.parse(run('ip', [...(netns ? ['-n', netns] : []), '-j', 'link'])) as { ifname: string }[])
    .map((l) => l.ifname).sort();
/** "net:[4026531840]" → 4026531840 */
const nsInode = (link: string): number => Number(/^net:\[(\d+)\]$/.exec(link.trim())![1]);
const taskNetns = (): string[] =>
  fs.readdirSync('/proc/self/task').map((t) => {
    try { return fs.readlinkSync(`/proc/self/task/${t}/ns/net`); } catch { return 'gone'; }
  }).filter((l) => l !== 'gone');
const openFdCount = (): number => fs.readdirSync('/proc/self/fd').length;
// A bridge rather than a dummy: test kernels often lack the dummy module.
const addBridge = (netns: string, link: string): void => { run('ip', ['-n', netns, 'link', 'add', link, 'type', 'bridge']); };

/** Runs the garbage collector, then lets the finalizers it queued run. */
async function collectGarbage(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function rejection(promise: Promise<unknown>): Promise<NodeJS.ErrnoException & Record<string, unknown>> {
  try {
    await promise;
  } catch (e) {
    return e as NodeJS.ErrnoException & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject');
}

function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected a throw');
}

let counter = 0;
const uniqueName = (what: string): string => `nsnet-${what}-${process.pid}-${++counter}`;

describe('native addon (integration)', function () {
  const created: string[] = [];
  const closers: Array<{ close(): void }> = [];

  before(function () {
    if (process.getuid?.() !== 0 || process.env.NSNET_SANDBOXED !== '1') {
      if (process.env.CI === 'true') throw new Error('integration tests need root inside scripts/sandbox');
      this.skip();
    }
  });

  /** A named namespace made by us, with a bridge so its link list is recognisable. */
  async function makeNetns(what: string, marker?: string): Promise<{ name: string; file: string; ns: NsFd }> {
    const name = uniqueName(what);
    const ns = (await native().netnsCreate(NETNS_DIR, name)).ns;
    created.push(name);
    closers.push(ns);
    if (marker) addBridge(name, marker);
    return { name, file: path.join(NETNS_DIR, name), ns };
  }

  async function openSocket(protocol: number, ns: NsFd | null): Promise<NetlinkSocket> {
    const sock = await native().netlinkOpen(protocol, ns);
    closers.push(sock);
    return sock;
  }

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    for (const name of created.splice(0)) await native().netnsDelete(path.join(NETNS_DIR, name));
  });

  describe('named namespaces', () => {
    it('netnsCreate makes a namespace `ip netns` sees; netnsDelete removes it, idempotently', async () => {
      const name = uniqueName('create');
      const file = path.join(NETNS_DIR, name);
      const ns = (await native().netnsCreate(NETNS_DIR, name)).ns;
      try {
        expect(ns.closed).to.equal(false);
        expect(ns.fd).to.be.a('number').and.at.least(0);
        expect(ipNetnsList()).to.include(name);
        // The process that `ip netns exec` starts lives in the namespace we resolved with.
        const inside = nsInode(run('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net']));
        expect(ns.identity().ino).to.equal(inside);
        const current = native().nsCurrent();
        expect(ns.identity()).to.not.deep.equal(current.identity());
        current.close();

        const again = await rejection(native().netnsCreate(NETNS_DIR, name));
        expect(again).to.include({ code: 'EEXIST', errno: -17 });
        expect(ipNetnsList().filter((n) => n === name)).to.have.length(1);

        expect(await native().netnsDelete(file)).to.equal(true);
        expect(ipNetnsList()).to.not.include(name);
        expect(fs.existsSync(file)).to.equal(false);
        expect(await native().netnsDelete(file)).to.equal(false);
        // Our fd keeps the namespace alive after its name is gone.
        expect(ns.identity().ino).to.equal(inside);
      } finally {
        ns.close();
        await native().netnsDelete(file);
      }
      expect(ns.closed).to.equal(true);
      expect(ns.fd).to.equal(-1);
      ns.close(); // idempotent
      expect(thrown(() => ns.identity())).to.include({ code: 'EBADF', errno: -9 });
    });

    it('creates a missing directory and makes it a shared mount point, as `ip netns add` does', async () => {
      const dir = path.join(NETNS_DIR, uniqueName('dir'), 'nested');
      const name = 'n1';
      const ns = (await native().netnsCreate(dir, name)).ns;
      try {
        expect(fs.statSync(dir).isDirectory()).to.equal(true);
        expect(run('findmnt', ['-n', '-o', 'PROPAGATION', '--mountpoint', dir]).trim()).to.match(/^shared/);
        const inside = nsInode(run(native().execHelperPath, ['--netns', path.join(dir, name), '--', 'readlink', '/proc/self/ns/net']));
        expect(ns.identity().ino).to.equal(inside);
        // A second name in the same directory reuses the mount point (no stacked binds).
        const ns2 = (await native().netnsCreate(dir, 'n2')).ns;
        ns2.close();
        expect(run('findmnt', ['-n', '-o', 'TARGET', '--mountpoint', dir]).trim().split('\n')).to.have.length(1);
        expect(await native().netnsDelete(path.join(dir, 'n2'))).to.equal(true);
      } finally {
        ns.close();
        await native().netnsDelete(path.join(dir, name));
        execFileSync('umount', [dir]);
        fs.rmSync(path.dirname(dir), { recursive: true });
      }
    });

    it('refuses names that are not plain file names before touching anything', async () => {
      for (const bad of ['', '.', '..', 'a/b', '../escape']) {
        const err = await rejection(native().netnsCreate(NETNS_DIR, bad));
        expect(err).to.be.instanceOf(TypeError);
        expect(err.code).to.equal('ERR_INVALID_ARG_VALUE');
      }
      expect(fs.existsSync('/run/escape')).to.equal(false);
      expect((await rejection(native().netnsCreate('relative', 'x'))).code).to.equal('ERR_INVALID_ARG_VALUE');
    });

    it('opens a namespace made by `ip netns add`', () => {
      const name = uniqueName('ipadd');
      run('ip', ['netns', 'add', name]);
      try {
        const ns = native().nsOpen(path.join(NETNS_DIR, name));
        const inside = nsInode(run('ip', ['netns', 'exec', name, 'readlink', '/proc/self/ns/net']));
        expect(ns.identity().ino).to.equal(inside);
        const again = native().nsOpen(path.join(NETNS_DIR, name));
        expect(again.identity()).to.deep.equal(ns.identity());
        again.close();
        ns.close();
      } finally {
        run('ip', ['netns', 'del', name]);
      }
    });

    it('grows the fd table ahead of the namespace fds it hands out (no open waits out the resize)', async () => {
      // FDSize: the slots of this process's fd table. The kernel doubles it only when an
      // open needs a slot past it; these opens stop short of that, so only the addon's
      // grow-ahead (at three quarters) can double it.
      const slots = (): number => Number(/^FDSize:\s*(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
      const { file } = await makeNetns('fdtable');
      const before = slots();
      const held: NsFd[] = [];
      try {
        while (slots() === before) {
          const ns = native().nsOpen(file);
          held.push(ns);
          // Room for the few fds reading FDSize and timers take: the kernel must not need to grow it.
          if (ns.fd >= before - 8) break;
          if (ns.fd >= (before / 4) * 3) await new Promise((r) => setTimeout(r, 5)); // the grower is a thread
        }
        for (let i = 0; i < 200 && slots() === before; i++) await new Promise((r) => setTimeout(r, 5));
        expect(slots(), `FDSize with ${held.length} more fds open, the highest ${held[held.length - 1]!.fd}`).to.equal(before * 2);
        expect(Math.max(...held.map((ns) => ns.fd))).to.be.below(before - 7);
      } finally {
        for (const ns of held) ns.close();
      }
    });

    it('nsCurrent and nsOpenPid open the namespace this process runs in', () => {
      const own = nsInode(fs.readlinkSync('/proc/self/ns/net'));
      const current = native().nsCurrent();
      const byPid = native().nsOpenPid(process.pid);
      expect(current.identity().ino).to.equal(own);
      expect(byPid.identity()).to.deep.equal(current.identity());
      expect(current.identity().dev).to.equal(fs.statSync('/proc/self/ns/net').dev);
      current.close();
      byPid.close();
    });

    it('throws SystemError-shaped errors from the synchronous opens', () => {
      expect(thrown(() => native().nsOpen('/nonexistent/ns'))).to.include({
        code: 'ENOENT', errno: -2, syscall: 'open', path: '/nonexistent/ns',
      });
      expect(thrown(() => native().nsOpenPid(0x3fffffff))).to.include({ code: 'ENOENT', errno: -2 });
      expect(thrown(() => native().nsOpenPid(-1))).to.be.instanceOf(TypeError);
    });
  });

  describe('netlink', () => {
    it('dumps the links of the namespace the socket was opened in (RTM_GETLINK)', async () => {
      const { name, ns } = await makeNetns('dump', 'nsd0');
      const sock = await openSocket(NETLINK_ROUTE, ns);
      expect(sock.protocol).to.equal(NETLINK_ROUTE);
      expect(sock.portId).to.be.a('number').and.above(0);

      const res = await sock.transact(getLinkDump());
      expect(res.errors).to.deep.equal([]);
      expect(linkNames(res.data)).to.deep.equal(ipLinkNames(name)).and.include.members(['lo', 'nsd0']);
      for (const m of splitMessages(res.data)) expect(m).to.include({ seq: res.seq, pid: sock.portId });

      // The sandbox's own socket sees the sandbox's links, not the namespace's.
      const here = await openSocket(NETLINK_ROUTE, null);
      const own = linkNames((await here.transact(getLinkDump())).data);
      expect(own).to.deep.equal(ipLinkNames()).and.not.include('nsd0');

      // Each request gets fresh sequence numbers.
      const next = await sock.transact(getLinkDump());
      expect(next.seq).to.equal(res.seq + 1);
    });

    it('rejects a failed request with errno, code, index and msgType; collectErrors resolves', async () => {
      const { ns } = await makeNetns('err');
      const sock = await openSocket(NETLINK_ROUTE, ns);
      const err = await rejection(sock.transact(delLink(9999)));
      expect(err).to.be.instanceOf(Error);
      expect(err).to.include({ code: 'ENODEV', errno: -19, syscall: 'netlink', index: 0, msgType: RTM_DELLINK });

      const res = await sock.transact(delLink(9999), { collectErrors: true });
      expect(res.data.length).to.equal(0);
      expect(res.errors).to.have.length(1);
      expect(res.errors[0]).to.include({ index: 0, errno: -19, msgType: RTM_DELLINK });
    });

    it('reports the kernel extack text and attribute offset', async () => {
      const { ns } = await makeNetns('extack');
      const sock = await openSocket(NETLINK_ROUTE, ns);
      const unknownKind = nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([
        ifinfomsg(), nlattr(IFLA_IFNAME, Buffer.from('x0\0')),
        nlattr(IFLA_LINKINFO, nlattr(IFLA_INFO_KIND, Buffer.from('no-such-kind\0'))),
      ]));
      const err = await rejection(sock.transact(unknownKind));
      expect(err).to.include({ code: 'EOPNOTSUPP', errno: -95, index: 0, msgType: RTM_NEWLINK });
      expect(err.extack).to.be.a('string').and.not.empty;
      expect(err.message).to.include(err.extack as string);

      // IFLA_MTU must be a u32: a 2-byte one fails policy validation, and the kernel points
      // at it: header (16) + ifinfomsg (16) + IFLA_IFNAME (8) = offset 40.
      const badMtu = nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([
        ifinfomsg(), nlattr(IFLA_IFNAME, Buffer.from('x0\0')), nlattr(IFLA_MTU, Buffer.from([1, 2])),
      ]));
      const res = await sock.transact(badMtu, { collectErrors: true });
      expect(res.errors).to.have.length(1);
      expect(res.errors[0].extackOffset).to.equal(40);
      expect(res.errors[0].extack).to.be.a('string').and.not.empty;
      expect(ipLinkNames()).to.not.include('x0');
    });

    it('reports a dump that fails in NLMSG_DONE or NLMSG_ERROR (strict checking is on)', async () => {
      const sock = await openSocket(NETLINK_ROUTE, null);
      // NETLINK_GET_STRICT_CHK: link dumps cannot filter by ifi_index → EINVAL + extack.
      const err = await rejection(sock.transact(nlmsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg(1))));
      expect(err).to.include({ code: 'EINVAL', errno: -22, index: 0, msgType: RTM_GETLINK });
      expect(err.extack).to.be.a('string').and.not.empty;
    });

    it('matches replies of a multi-message request and drains errors nobody asked an ACK for', async () => {
      const { name, ns } = await makeNetns('multi', 'nsd1');
      const sock = await openSocket(NETLINK_ROUTE, ns);
      // Message 0 fails without NLM_F_ACK (the kernel reports errors regardless), 1 is a dump.
      const res = await sock.transact(
        Buffer.concat([delLink(9999, NLM_F_REQUEST), getLinkDump()]), { collectErrors: true });
      expect(res.errors.map((e) => [e.index, e.errno])).to.deep.equal([[0, -19]]);
      expect(linkNames(res.data)).to.deep.equal(ipLinkNames(name));
      for (const m of splitMessages(res.data)) expect(m.seq).to.equal(res.seq + 1);

      // Only a failing message without ACK: nothing to wait for, the error is still drained
      // and reported rather than left for the next request.
      const lone = await sock.transact(delLink(9999, NLM_F_REQUEST), { collectErrors: true });
      expect(lone.errors).to.have.length(1);
      const clean = await sock.transact(getLinkDump());
      expect(clean.errors).to.deep.equal([]);
      expect(linkNames(clean.data)).to.deep.equal(ipLinkNames(name));

      // Several ACKed messages: all succeed or fail individually.
      addBridge(name, 'nsd2');
      const index = (JSON.parse(run('ip', ['-n', name, '-j', 'link', 'show', 'nsd2'])) as { ifindex: number }[])[0].ifindex;
      const both = await sock.transact(Buffer.concat([delLink(9999), delLink(index), delLink(9998)]), { collectErrors: true });
      expect(both.errors.map((e) => e.index)).to.deep.equal([0, 2]);
      expect(ipLinkNames(name)).to.not.include('nsd2');
    });

    it('serialises concurrent transacts on one socket', async () => {
      const { name, ns } = await makeNetns('conc', 'nsd3');
      const sock = await openSocket(NETLINK_ROUTE, ns);
      const expected = ipLinkNames(name);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
        i % 2 ? sock.transact(getLinkDump()) : sock.transact(delLink(9999), { collectErrors: true })));
      expect(new Set(results.map((r) => r.seq)).size).to.equal(200);
      results.forEach((r, i) => {
        if (i % 2) {
          expect(linkNames(r.data)).to.deep.equal(expected);
          for (const m of splitMessages(r.data)) expect(m.seq).to.equal(r.seq);
        } else {
          expect(r.errors).to.have.length(1);
        }
      });
    });

    it('sends an nfnetlink batch in one sendmsg; a failing message aborts it without hanging', async () => {
      const { name, ns } = await makeNetns('nft');
      const sock = await openSocket(NETLINK_NETFILTER, ns);
      const nfgenmsg = (family: number, resId: number): Buffer => {
        const b = Buffer.alloc(4);
        b[0] = family;
        b.writeUInt16BE(resId, 2);
        return b;
      };
      const NFNL_SUBSYS_NFTABLES = 10;
      const NFT_MSG_NEWTABLE = (NFNL_SUBSYS_NFTABLES << 8) | 0;
      const NFT_MSG_GETTABLE = (NFNL_SUBSYS_NFTABLES << 8) | 1;
      const begin = nlmsg(0x10, NLM_F_REQUEST, nfgenmsg(0, NFNL_SUBSYS_NFTABLES));
      const end = nlmsg(0x11, NLM_F_REQUEST, nfgenmsg(0, NFNL_SUBSYS_NFTABLES));
      const newTable = (tableName?: string): Buffer => nlmsg(NFT_MSG_NEWTABLE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        Buffer.concat([nfgenmsg(1 /* inet */, 0), tableName ? nlattr(1 /* NFTA_TABLE_NAME */, Buffer.from(`${tableName}\0`)) : Buffer.alloc(0)]));
      // Witness: nft when installed (CI installs it); else the kernel's own table dump.
      const tables = async (): Promise<string[]> => {
        if (spawnSync('nft', ['--version']).status === 0) {
          const out = JSON.parse(run('ip', ['netns', 'exec', name, 'nft', '-j', 'list', 'tables'])) as
            { nftables: Array<{ table?: { name: string } }> };
          return out.nftables.flatMap((o) => (o.table ? [o.table.name] : []));
        }
        const res = await sock.transact(nlmsg(NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP, nfgenmsg(0, 0)));
        return splitMessages(res.data).map((m) => cString(attributes(m.payload, 4).get(1 /* NFTA_TABLE_NAME */)));
      };

      // Without NFTA_TABLE_NAME the kernel refuses message 1 and aborts the batch: message
      // 2 gets no ACK, and we must not wait for one.
      const err = await rejection(sock.transact(Buffer.concat([begin, newTable(), newTable('nsnet_t'), end])));
      expect(err).to.include({ code: 'EINVAL', errno: -22, index: 1, msgType: NFT_MSG_NEWTABLE });
      expect(await tables()).to.not.include('nsnet_t');

      const ok = await sock.transact(Buffer.concat([begin, newTable('nsnet_t'), end]));
      expect(ok.errors).to.deep.equal([]);
      expect(await tables()).to.include('nsnet_t');
    });

    it('validates the request buffer and refuses closed sockets', async () => {
      const sock = await openSocket(NETLINK_ROUTE, null);
      const short = getLinkDump().subarray(0, 20);
      expect((await rejection(sock.transact(short))).code).to.equal('ERR_INVALID_ARG_VALUE');
      expect((await rejection(sock.transact(Buffer.alloc(0)))).code).to.equal('ERR_INVALID_ARG_VALUE');
      const lying = getLinkDump();
      lying.writeUInt32LE(64, 0);
      expect((await rejection(sock.transact(lying))).code).to.equal('ERR_INVALID_ARG_VALUE');
      const inFlight = sock.transact(getLinkDump());
      sock.close();
      expect(sock.closed).to.equal(true);
      // Already queued: may finish or see the close; either way it settles.
      await inFlight.catch((e: NodeJS.ErrnoException) => expect(e.code).to.equal('EBADF'));
      expect(await rejection(sock.transact(getLinkDump()))).to.include({ code: 'EBADF', errno: -9 });
      sock.close(); // idempotent
    });
  });

  describe('netlinkPlan', () => {
    const IFLA_NET_NS_FD = 28;
    const IFLA_INFO_DATA = 2;
    const VETH_INFO_PEER = 1;
    const IFF_UP = 1;
    /** A veth `host`–`peer` whose peer's IFLA_NET_NS_FD is a placeholder; returns the message and the placeholder's offset. */
    function vethIntoNs(host: string, peer: string): { message: Buffer; nsFdAt: number } {
      const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
      const peerInfo = Buffer.concat([ifinfomsg(), nlattr(IFLA_IFNAME, cstr(peer)), nlattr(IFLA_NET_NS_FD, Buffer.alloc(4, 0xff))]);
      const linkinfo = nlattr(IFLA_LINKINFO, Buffer.concat([nlattr(IFLA_INFO_KIND, cstr('veth')), nlattr(IFLA_INFO_DATA, nlattr(VETH_INFO_PEER, peerInfo))]));
      const message = nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([ifinfomsg(), nlattr(IFLA_IFNAME, cstr(host)), linkinfo]));
      // The placeholder is the last 4 bytes of the message (peer info ends the nests).
      return { message, nsFdAt: message.length - 4 };
    }
    const getLinkByName = (name: string): Buffer => nlmsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([ifinfomsg(), nlattr(IFLA_IFNAME, Buffer.from(`${name}\0`))]));
    const setUp = (index: number): Buffer => {
      const b = ifinfomsg(index);
      b.writeUInt32LE(IFF_UP, 8); // ifi_flags
      b.writeUInt32LE(IFF_UP, 12); // ifi_change
      return nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, b);
    };
    const ipLink = (netns: string | undefined, dev: string): { ifindex: number; ifname: string; flags: string[] } =>
      (JSON.parse(run('ip', [...(netns ? ['-n', netns] : []), '-j', 'link', 'show', 'dev', dev])) as Array<{ ifindex: number; ifname: string; flags: string[] }>)[0]!;

    it('makes a namespace, then runs steps on the host socket and on one inside it, patching in the namespace fd and a chosen ifindex', async () => {
      const name = uniqueName('plan');
      const host = await openSocket(NETLINK_ROUTE, null);
      const veth = vethIntoNs('planh0', 'planp0');
      const up = setUp(0);
      const result = await native().netlinkPlan(
        [
          { socket: host, messages: veth.message, patch: [{ from: 'ns', to: [veth.nsFdAt] }] },
          { messages: getLinkByName('planp0') },
          // ifi_index sits at byte 20 of a link message, in the request and in the reply.
          { messages: up, patch: [{ from: 1, at: 20, to: [20] }] },
        ],
        { create: { dir: NETNS_DIR, name } },
      );
      created.push(name);
      closers.push(result.ns!);
      try {
        expect(ipNetnsList()).to.include(name);
        expect(result.replies).to.have.length(3);
        // The peer was born inside the new namespace, found by the lookup, and brought up by index.
        const inside = ipLink(name, 'planp0');
        expect(inside.ifindex).to.equal(result.replies[1]!.readInt32LE(20));
        expect(inside.flags).to.include('UP');
        expect(ipLinkNames()).to.include('planh0').and.not.include('planp0');
        // The fd handed back is that namespace.
        expect(result.ns!.identity().ino).to.equal(fs.statSync(path.join(NETNS_DIR, name)).ino);
      } finally {
        run('ip', ['link', 'del', 'planh0']); // deletes the pair
      }
    });

    it('enters an existing namespace the same way', async () => {
      const { name, ns } = await makeNetns('planin');
      const host = await openSocket(NETLINK_ROUTE, null);
      const veth = vethIntoNs('planh1', 'planp1');
      const { replies, ns: made } = await native().netlinkPlan(
        [
          { socket: host, messages: veth.message, patch: [{ from: 'ns', to: [veth.nsFdAt] }] },
          { messages: getLinkByName('planp1') },
          { messages: setUp(0), patch: [{ from: 1, at: 20, to: [20] }] },
        ],
        { enter: ns },
      );
      expect(made).to.equal(undefined); // entered, not made
      try {
        const inside = ipLink(name, 'planp1');
        expect(inside.ifindex).to.equal(replies[1]!.readInt32LE(20));
        expect(inside.flags).to.include('UP');
        expect(ipLinkNames()).to.include('planh1').and.not.include('planp1');
      } finally {
        run('ip', ['link', 'del', 'planh1']);
      }
    });

    it('stops at the first failed message: rejects with its error and step; the steps before it stay done', async () => {
      const { name, ns } = await makeNetns('planfail');
      const host = await openSocket(NETLINK_ROUTE, null);
      const veth = vethIntoNs('planh2', 'planp2');
      const err = await rejection(
        native().netlinkPlan(
          [
            { socket: host, messages: veth.message, patch: [{ from: 'ns', to: [veth.nsFdAt] }] },
            { messages: delLink(9999) },
            { messages: getLinkByName('planp2') },
          ],
          { enter: ns },
        ),
      );
      try {
        expect(err).to.include({ step: 1, code: 'ENODEV', errno: -19, index: 0, msgType: RTM_DELLINK });
        expect(ipLinkNames(name)).to.include('planp2');
      } finally {
        run('ip', ['link', 'del', 'planh2']);
      }
      // A namespace that cannot be made fails as step -1, leaving nothing.
      const taken = await rejection(native().netlinkPlan([{ messages: getLinkByName('lo') }], { create: { dir: NETNS_DIR, name } }));
      expect(taken).to.include({ step: -1, code: 'EEXIST' });
    });

    it('netlinkPlanOpen: the first steps run while more are pushed; patches reach across pushes; a push after a failure is refused', async () => {
      const { name, ns } = await makeNetns('planopen');
      const host = await openSocket(NETLINK_ROUTE, null);
      const veth = vethIntoNs('planh3', 'planp3');
      const open = native().netlinkPlanOpen(
        [
          { socket: host, messages: veth.message, patch: [{ from: 'ns', to: [veth.nsFdAt] }] },
          { messages: getLinkByName('planp3') },
        ],
        { enter: ns },
      );
      try {
        // The veth is made before the rest is pushed (the pool thread waits for it).
        for (let i = 0; i < 200 && !ipLinkNames().includes('planh3'); i++) await new Promise((r) => setTimeout(r, 5));
        expect(ipLinkNames()).to.include('planh3');
        expect(native().netlinkPlanPush(open.queue, [{ messages: setUp(0), patch: [{ from: 1, at: 20, to: [20] }] }], true)).to.equal(true);
        const { replies } = await open.done;
        expect(replies).to.have.length(3);
        expect(ipLink(name, 'planp3').flags).to.include('UP');
        expect(() => native().netlinkPlanPush(open.queue, [], true)).to.throw(/already ended/);
        expect(() => native().netlinkPlanPush({} as typeof open.queue, [], true)).to.throw(/queue/);
      } finally {
        run('ip', ['link', 'del', 'planh3']);
      }

      const failing = native().netlinkPlanOpen([{ messages: delLink(9999) }], { enter: ns });
      const err = await rejection(failing.done.finally(() => undefined).then(
        (v) => v,
        (e: unknown) => {
          // After the failure the worker stopped: more steps are dropped.
          expect(native().netlinkPlanPush(failing.queue, [{ messages: getLinkByName('lo') }], true)).to.equal(false);
          throw e;
        },
      ));
      expect(err).to.include({ step: 0, code: 'ENODEV' });
    });

    it('netlinkPlanOpen: a queue dropped without its last push ends the plan (its thread does not wait forever)', async () => {
      const { ns } = await makeNetns('plandrop');
      // Only `done` is kept: the queue becomes garbage at once.
      const done = native().netlinkPlanOpen([{ messages: getLinkByName('lo') }], { enter: ns }).done;
      let settled = false;
      void done.then(() => (settled = true));
      for (let i = 0; i < 50 && !settled; i++) await collectGarbage();
      expect(settled, 'the plan ended once its queue was collected').to.equal(true);
      expect((await done).replies).to.have.length(1);
    });

    it('netlinkPlanOpen with replies: false runs every step and settles without replies', async () => {
      const { name, ns } = await makeNetns('planquiet');
      const quiet = native().netlinkPlanOpen([{ messages: setUp(1) }], { enter: ns }, { replies: false });
      expect(native().netlinkPlanPush(quiet.queue, [{ messages: getLinkByName('lo') }], true)).to.equal(true);
      const done = await quiet.done;
      expect(done.replies).to.deep.equal([]);
      expect(ipLink(name, 'lo').flags).to.include('UP');
      // The default, and replies: true, keep them.
      const loud = native().netlinkPlanOpen([{ messages: getLinkByName('lo') }], { enter: ns }, { replies: true });
      native().netlinkPlanPush(loud.queue, [], true);
      expect((await loud.done).replies).to.have.length(1);
      expect(() => native().netlinkPlanOpen([], { enter: ns }, { replies: 1 as unknown as boolean })).to.throw(TypeError, /options.replies must be a boolean/);
    });

    it('netlinkPlanOpen with apart: a lone plan’s thread may run on every allowed CPU but the caller’s', async () => {
      const { ns } = await makeNetns('planapart');
      /** A task's Cpus_allowed_list from /proc, as CPU numbers ("0-2,4" → [0, 1, 2, 4]). */
      const allowedOf = (task: string): number[] => {
        const list = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(`/proc/self/task/${task}/status`, 'utf8'))![1]!;
        return list.split(',').flatMap((r) => {
          const [a, b = a] = r.split('-').map(Number) as [number, number?];
          return Array.from({ length: b! - a + 1 }, (_, i) => a + i);
        });
      };
      const ours = allowedOf(String(process.pid));
      // Threads allowed fewer CPUs than the JS thread (only an apart plan's narrows its own).
      const narrowed = (): number[][] =>
        fs
          .readdirSync('/proc/self/task')
          .map((task) => {
            try {
              return allowedOf(task);
            } catch {
              return ours; // exited between the listing and the read
            }
          })
          .filter((cpus) => cpus.length < ours.length);
      // A plan's thread exits just after it reports: wait (bounded) until the last one is gone.
      const settled = async (): Promise<number[][]> => {
        for (let i = 0; i < 200 && narrowed().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
        return narrowed();
      };
      const during = async (apart: boolean | undefined): Promise<number[][]> => {
        expect(await settled(), 'no narrowed thread before the plan').to.deep.equal([]);
        const open = native().netlinkPlanOpen([{ messages: getLinkByName('lo') }], { enter: ns }, apart === undefined ? undefined : { apart });
        const seen = narrowed(); // its thread now waits for the last push
        native().netlinkPlanPush(open.queue, [], true);
        expect((await open.done).replies).to.have.length(1);
        return seen;
      };
      expect(narrowed()).to.deep.equal([]);
      const apart = await during(true);
      if (ours.length > 1) {
        expect(apart, `one thread narrowed from [${ours.join(',')}]`).to.have.length(1);
        expect(apart[0]).to.have.length(ours.length - 1);
        for (const cpu of apart[0]!) expect(ours).to.include(cpu);
      } else {
        expect(apart, 'a single allowed CPU: nowhere else to go').to.deep.equal([]);
      }
      expect(await during(false)).to.deep.equal([]);
      expect(await during(undefined)).to.deep.equal([]);
      // A second plan while one runs is left to the kernel: the CPUs are busy then, and
      // pinning every plan off one CPU only slowed concurrent work down.
      const first = native().netlinkPlanOpen([{ messages: getLinkByName('lo') }], { enter: ns }, { apart: true });
      const second = native().netlinkPlanOpen([{ messages: getLinkByName('lo') }], { enter: ns }, { apart: true });
      expect(narrowed()).to.have.length(ours.length > 1 ? 1 : 0);
      for (const open of [first, second]) native().netlinkPlanPush(open.queue, [], true);
      await Promise.all([first.done, second.done]);
      expect(() => native().netlinkPlanOpen([], { enter: ns }, { apart: 'yes' } as unknown as { apart: boolean })).to.throw(/apart must be a boolean/);
      expect(await settled()).to.deep.equal([]);
    });

    it('refuses bad arguments before any syscall', async () => {
      const host = await openSocket(NETLINK_ROUTE, null);
      const bad: Array<[unknown, unknown]> = [
        ['not an array', undefined],
        [[{ messages: getLinkByName('lo') }], undefined], // a step without socket needs a namespace
        [[{ socket: host, messages: getLinkDump().subarray(0, 20) }], undefined],
        [[{ socket: host, messages: getLinkByName('lo'), patch: [{ from: 0, at: 20, to: [20] }] }], undefined], // not an earlier step
        [[{ socket: host, messages: getLinkByName('lo') }, { socket: host, messages: setUp(0), patch: [{ from: 0, at: 20, to: [64] }] }], undefined],
        [[{ socket: {}, messages: getLinkByName('lo') }], undefined],
        [[{ socket: host, messages: getLinkByName('lo') }], { create: { dir: NETNS_DIR, name: '../x' } }],
        [[{ socket: host, messages: getLinkByName('lo') }], { neither: true }],
      ];
      for (const [steps, ns] of bad) {
        const err = await rejection((native().netlinkPlan as (a: unknown, b: unknown) => Promise<unknown>)(steps, ns));
        expect(err.code, JSON.stringify(steps)).to.equal('ERR_INVALID_ARG_VALUE');
      }
      expect(ipNetnsList()).to.not.include('x');
    });
  });

  describe('sysctl', () => {
    it('writes and reads /proc/sys/net inside a namespace, leaving ours alone', async () => {
      const { name, ns } = await makeNetns('sysctl');
      const key = 'net/ipv4/ip_forward';
      const own = fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim();
      const other = own === '1' ? '0' : '1';
      await native().sysctlWrite(ns, key, other);
      expect(await native().sysctlRead(ns, key)).to.equal(other);
      expect(run('ip', ['netns', 'exec', name, 'cat', `/proc/sys/${key}`]).trim()).to.equal(other);
      expect(await native().sysctlRead(null, key)).to.equal(own);
      expect(fs.readFileSync(`/proc/sys/${key}`, 'utf8').trim()).to.equal(own);
      // Per-interface keys, with the interface name in the path.
      addBridge(name, 'nsd4.7');
      await native().sysctlWrite(ns, 'net/ipv6/conf/nsd4.7/disable_ipv6', '1');
      expect(run('ip', ['netns', 'exec', name, 'cat', '/proc/sys/net/ipv6/conf/nsd4.7/disable_ipv6']).trim()).to.equal('1');
    });

    it('refuses keys that could leave /proc/sys, and reports kernel errors', async () => {
      for (const bad of ['', '/etc/passwd', '../../etc/passwd', 'net/../../etc/passwd', 'net/./ipv4', 'a b', 'net//x', 'x/']) {
        const err = await rejection(native().sysctlRead(null, bad));
        expect(err.code, bad).to.equal('ERR_INVALID_ARG_VALUE');
      }
      expect(await rejection(native().sysctlRead(null, 'net/ipv4/no_such_key'))).to.include({ code: 'ENOENT', errno: -2 });
      expect(await rejection(native().sysctlWrite(null, 'net/ipv4/ip_forward', 'banana'))).to.include({ code: 'EINVAL' });
      const closed = native().nsCurrent();
      closed.close();
      expect(await rejection(native().sysctlRead(closed, 'net/ipv4/ip_forward'))).to.include({ code: 'EBADF' });
      expect((await rejection(native().sysctlRead({} as NsFd, 'net/ipv4/ip_forward'))).code).to.equal('ERR_INVALID_ARG_VALUE');
    });
  });

  describe('lock', () => {
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-lock-')); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const flockHeld = (file: string, shared = false): boolean =>
      spawnSync('flock', ['-n', ...(shared ? ['-s'] : ['-x']), file, 'true']).status !== 0;

    it('creates the file 0600, excludes others, and releases idempotently', async () => {
      const file = path.join(dir, 'state.lock');
      const lock = await native().lock(file, true, false);
      expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
      expect(lock.closed).to.equal(false);
      expect(flockHeld(file)).to.equal(true);
      const err = await rejection(native().lock(file, true, false));
      expect(['EWOULDBLOCK', 'EAGAIN']).to.include(err.code);
      expect(err).to.include({ errno: -11, syscall: 'flock' });
      expect((await rejection(native().lock(file, false, false))).errno).to.equal(-11);
      lock.release();
      expect(lock.closed).to.equal(true);
      expect(lock.fd).to.equal(-1);
      lock.release();
      expect(flockHeld(file)).to.equal(false);
    });

    it('tryLock takes a free lock on the calling thread and returns null while another holds it', async () => {
      const file = path.join(dir, 'state.lock');
      const held = native().tryLock(file, true);
      expect(held).to.not.equal(null);
      expect(flockHeld(file)).to.equal(true);
      expect(native().tryLock(file, true)).to.equal(null);
      expect(native().tryLock(file, false)).to.equal(null);
      held!.release();
      expect(flockHeld(file)).to.equal(false);
      const shared = native().tryLock(file, false);
      expect(native().tryLock(file, false), 'shared locks share').to.not.equal(null);
      shared!.release();
      const err = (() => {
        try {
          native().tryLock(path.join(dir, 'missing', 'x.lock'), true);
        } catch (e) {
          return e as NodeJS.ErrnoException;
        }
        return undefined;
      })();
      expect(err).to.include({ code: 'ENOENT', syscall: 'open' });
    });

    it('shares shared locks and makes a waiting lock wait for the holder', async () => {
      const file = path.join(dir, 'state.lock');
      const a = await native().lock(file, false, false);
      const b = await native().lock(file, false, false);
      expect(flockHeld(file, true)).to.equal(false);
      expect(flockHeld(file)).to.equal(true);
      let acquired = false;
      const waiting = native().lock(file, true, true).then((l) => { acquired = true; return l; });
      await new Promise((r) => setTimeout(r, 100));
      expect(acquired).to.equal(false);
      a.release();
      b.release();
      const c = await waiting;
      expect(flockHeld(file, true)).to.equal(true);
      c.release();
    });

    it('a waiter whose lock file is unlinked meanwhile ends up holding the file the path names, not the orphan', async () => {
      const file = path.join(dir, 'net.lock');
      const first = await native().lock(file, true, false);
      const waiting = native().lock(file, true, true);
      await new Promise((r) => setTimeout(r, 100)); // the waiter is blocked in flock on the old inode
      fs.unlinkSync(file);
      first.release();
      const won = await waiting;
      // The waiter made the file again (the orphan's inode number may be reused).
      expect(fs.statSync(file).ino, 'the path names the inode held').to.equal(fs.fstatSync(won.fd).ino);
      expect(flockHeld(file), 'others are excluded (flock(1) on the path)').to.equal(true);
      expect(native().tryLock(file, true)).to.equal(null);
      won.release();
      expect(flockHeld(file)).to.equal(false);
    });
  });

  describe('exec helper', () => {
    const helper = (args: string[]) => spawnSync(native().execHelperPath, args, { encoding: 'utf8' });

    it('runs a command inside the namespace', async () => {
      const { name, file, ns } = await makeNetns('exec', 'nsd5');
      const r = helper(['--netns', file, '--', 'ip', '-j', 'link']);
      expect(r.status, r.stderr).to.equal(0);
      const names = (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname).sort();
      expect(names).to.deep.equal(ipLinkNames(name)).and.include('nsd5');
      expect(ipLinkNames()).to.not.include('nsd5');
      const inode = nsInode(helper(['--netns', file, '--', 'readlink', '/proc/self/ns/net']).stdout);
      expect(inode).to.equal(ns.identity().ino);
    });

    it('binds --etc-dir files over /etc and shows the namespace in /sys, privately', async () => {
      const { file } = await makeNetns('etc', 'nsd6');
      const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-etc-'));
      try {
        fs.writeFileSync(path.join(etc, 'hosts'), '10.9.8.7 nsnet-test-host\n');
        fs.mkdirSync(path.join(etc, 'not-a-file'));
        const before = fs.readFileSync('/etc/hosts', 'utf8');
        const r = helper(['--netns', file, '--etc-dir', etc, '--', 'sh', '-c', 'cat /etc/hosts; ls /sys/class/net']);
        expect(r.status, r.stderr).to.equal(0);
        expect(r.stdout).to.include('10.9.8.7 nsnet-test-host').and.include('nsd6');
        expect(fs.readFileSync('/etc/hosts', 'utf8')).to.equal(before);
      } finally {
        fs.rmSync(etc, { recursive: true });
      }
    });

    it('exits 127/126 with a plain message on failure', async () => {
      const { file } = await makeNetns('execfail');
      const missing = helper(['--netns', file, '--', 'nsnet-no-such-command']);
      expect(missing.status).to.equal(127);
      expect(missing.stderr).to.match(/^nsnet-exec: exec nsnet-no-such-command: /);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-noexec-'));
      try {
        const script = path.join(dir, 'script');
        fs.writeFileSync(script, '#!/bin/sh\n', { mode: 0o644 });
        expect(helper(['--', script]).status).to.equal(126);
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
      const badNs = helper(['--netns', '/nonexistent', '--', 'true']);
      expect(badNs.status).to.equal(127);
      expect(badNs.stderr).to.match(/^nsnet-exec: open \/nonexistent: /);
      expect(helper(['true']).status).to.equal(127); // no "--": usage
    });
  });

  describe('hygiene', () => {
    it('leaves every thread in its original namespace after 2,000 concurrent namespace calls', async () => {
      const { name, ns } = await makeNetns('threads', 'nsd7');
      const original = fs.readlinkSync('/proc/self/ns/net');
      expect(new Set(taskNetns())).to.deep.equal(new Set([original]));
      const ops = Array.from({ length: 2000 }, (_, i) => (i % 2
        ? native().netlinkOpen(NETLINK_ROUTE, ns)
        : native().sysctlRead(ns, 'net/ipv4/ip_forward')));
      const results = await Promise.all(ops);
      const sockets = results.filter((r): r is NetlinkSocket => typeof r === 'object');
      expect(sockets).to.have.length(1000);
      expect(new Set(sockets.map((s) => s.portId)).size).to.equal(1000);
      // The sockets live in the namespace…
      expect(linkNames((await sockets[999].transact(getLinkDump())).data)).to.deep.equal(ipLinkNames(name));
      sockets.forEach((s) => s.close());
      // …and no thread of ours does.
      expect(new Set(taskNetns())).to.deep.equal(new Set([original]));
      expect(nsInode(fs.readlinkSync('/proc/thread-self/ns/net'))).to.equal(nsInode(original));
    });

    it('leaks no fds over 1,024 open/close cycles', async () => {
      const { ns, file } = await makeNetns('fds');
      const lockFile = path.join(os.tmpdir(), `nsnet-fds-${process.pid}.lock`);
      const cycle = async (): Promise<void> => {
        native().nsOpen(file).close();
        native().nsCurrent().close();
        (await native().netlinkOpen(NETLINK_ROUTE, ns)).close();
        (await native().netlinkOpen(NETLINK_ROUTE, null)).close();
        (await native().lock(lockFile, true, false)).release();
        await native().sysctlRead(ns, 'net/ipv4/ip_forward');
        await rejection(native().sysctlRead(ns, 'net/ipv4/no_such_key'));
      };
      await cycle(); // warm up libuv's pool and the like
      await collectGarbage(); // fds of objects other tests dropped must not close mid-count
      const before = openFdCount();
      for (let i = 0; i < 1024; i++) await cycle();
      const sock = await native().netlinkOpen(NETLINK_ROUTE, ns);
      for (let i = 0; i < 64; i++) await sock.transact(getLinkDump());
      sock.close();
      for (let i = 0; i < 16; i++) {
        const n = uniqueName('fdcycle');
        (await native().netnsCreate(NETNS_DIR, n)).ns.close();
        await native().netnsDelete(path.join(NETNS_DIR, n));
      }
      expect(openFdCount()).to.equal(before);
      fs.rmSync(lockFile, { force: true });
    });

    it('closes fds of objects that were garbage-collected without close()', async () => {
      await collectGarbage();
      const before = openFdCount();
      (() => {
        for (let i = 0; i < 256; i++) native().nsCurrent();
      })();
      await Promise.all(Array.from({ length: 64 }, () => native().netlinkOpen(NETLINK_ROUTE, null)));
      expect(openFdCount()).to.be.at.least(before + 256 + 64);
      for (let i = 0; i < 5 && openFdCount() > before; i++) await collectGarbage();
      expect(openFdCount()).to.equal(before);
    });
  });
});
