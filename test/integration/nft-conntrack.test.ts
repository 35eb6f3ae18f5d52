/**
 * ConntrackHandle against the real kernel: a UDP flow between two namespaces, tracked
 * because the receiving namespace has an nf_tables rule that uses conntrack, is seen by
 * our dump and by `conntrack -L` (conntrack-tools, the independent oracle), flushed by
 * orig destination address/port + protocol, and then gone for both — while an entry of
 * another port survives.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { Netns, ValidationError } from '../../lib';
import { ConntrackHandle } from '../../lib/conntrack';
import { nft } from '../../lib/netlink';
import { NftHandle } from '../../lib/nft';
import { requireSandbox, uniqueName } from '../support/sandbox';

const A = '10.99.0.1';
const B = '10.99.0.2';

/** `conntrack -L -p udp --dport P` inside a namespace (stderr has the summary line). */
function oracle(ns: Netns, port: number): string[] {
  const out = execFileSync('ip', ['netns', 'exec', ns.name!, 'conntrack', '-L', '-p', 'udp', '--dport', String(port)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.startsWith('udp'));
}

/** Sends one UDP datagram from inside `ns` (a node child started by the exec helper). */
async function sendUdp(ns: Netns, dst: string, port: number, sport: number): Promise<void> {
  const script = `const s=require('dgram').createSocket('udp4');s.bind(${sport},()=>s.send('x',${port},'${dst}',()=>s.close()))`;
  await new Promise<void>((resolve, reject) => {
    const child = ns.exec(process.execPath, ['-e', script], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sender exited ${code}`))));
  });
}

describe('ConntrackHandle (integration)', function () {
  requireSandbox();
  let a: Netns;
  let b: Netns;

  beforeEach(async () => {
    a = await Netns.create(uniqueName('cta'));
    b = await Netns.create(uniqueName('ctb'));
    const ra = await a.handle();
    const va = uniqueName('va');
    const vb = uniqueName('vb');
    await ra.linkAdd({ kind: 'veth', name: va, peer: { name: vb, netns: b } });
    await ra.addrAdd(va, `${A}/24`);
    await ra.linkSet(va, { up: true });
    const rb = await b.handle();
    await rb.addrAdd(vb, `${B}/24`);
    await rb.linkSet(vb, { up: true });
    // Conntrack runs in a namespace only once something there needs it: a ct rule.
    const h = await NftHandle.open(b.fd);
    const T = 'ct';
    await h.apply(
      new nft.NftBatch()
        .addTable(nft.table('inet', T))
        .addChain(nft.baseChain({ family: 'inet', table: T, name: 'input', type: 'filter', hook: 'input', priority: 0, policy: 'accept' }))
        .addRule(nft.rule({ family: 'inet', table: T, chain: 'input', parts: [nft.match.ctState(['new']), nft.counter()] })),
    );
    h.close();
  });

  afterEach(async () => {
    await a.delete();
    await b.delete();
  });

  it('sees a UDP flow, flushes it by orig dst + port + proto, and leaves others', async () => {
    await sendUdp(a, B, 5353, 40001);
    await sendUdp(a, B, 6000, 40002);
    const ct = await ConntrackHandle.open(b.fd);
    try {
      const ours = await ct.list({ proto: 'udp', origDst: B, origDstPort: 5353 });
      expect(ours).to.have.length(1);
      expect(ours[0]!.orig).to.include({ src: A, dst: B, proto: 17, sport: 40001, dport: 5353 });
      expect(ours[0]!.reply).to.include({ src: B, dst: A, sport: 5353, dport: 40001 });
      expect(oracle(b, 5353)).to.have.length(1);
      expect(oracle(b, 6000)).to.have.length(1);

      expect(await ct.flush({ proto: 'udp', origDst: B, origDstPort: 5353 })).to.equal(1);
      expect(await ct.list({ proto: 'udp', origDstPort: 5353 })).to.deep.equal([]);
      expect(oracle(b, 5353)).to.deep.equal([]);
      // The other flow is untouched.
      expect(await ct.list({ proto: 'udp', origDstPort: 6000 })).to.have.length(1);
      expect(oracle(b, 6000)).to.have.length(1);
      // Nothing left to flush: idempotent.
      expect(await ct.flush({ proto: 'udp', origDst: B, origDstPort: 5353 })).to.equal(0);
    } finally {
      ct.close();
    }
  });

  it('rejects a bad filter before any syscall', async () => {
    const ct = await ConntrackHandle.open(b.fd);
    try {
      await ct.flush({ proto: 'udp', origDstPort: 70000 }).then(
        () => expect.fail('resolved'),
        (e: unknown) => expect(e).to.be.instanceOf(ValidationError),
      );
      await ct.flush({ proto: 'nosuch' as 'udp' }).then(
        () => expect.fail('resolved'),
        (e: unknown) => expect(e).to.be.instanceOf(ValidationError),
      );
    } finally {
      ct.close();
    }
  });
});
