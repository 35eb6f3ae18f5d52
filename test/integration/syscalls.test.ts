/**
 * What the kernel boundary costs in system calls, counted by strace on a child process:
 * a batch of rtnetlink requests is one sendmsg and one recvmsg (only the last message asks
 * for an ACK; a failure comes back whether asked for or not), and a namespace created
 * after the first one in a process makes no mkdir. Counts, not timings: they are exact.
 * The outcome is checked with `ip -j`, so fewer calls cannot mean less work done.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ipJson, requireSandbox, run, uniqueName } from '../support/sandbox';

const LIB = path.resolve(__dirname, '..', '..', 'lib');
const MARK = '/nsnet-syscall-mark-';

/** The child: marks each phase with a stat of a path that does not exist. */
function childScript(first: string, second: string, failing: boolean): string {
  return `
const fs = require('fs');
const { Netns, RtnlBatch } = require(${JSON.stringify(LIB)});
const mark = (m) => fs.statSync(${JSON.stringify(MARK)} + m, { throwIfNoEntry: false });
(async () => {
  const ns = await Netns.create(${JSON.stringify(first)});
  const h = await ns.handle();
  const v = await h.linkAdd({ kind: 'veth', name: 'sc0', peer: { name: 'sc1' } });
  const batch = new RtnlBatch().linkSet(1, { up: true }).linkSet(v.index, { up: true }).addrAdd(v.index, '10.9.0.2/24');
  if (${failing}) batch.addrAdd(v.index, '10.9.0.2/24'); // exists: EEXIST in the middle
  batch.routeAdd({ dst: 'default', gateway: '10.9.0.1', dev: v.index });
  mark('batch');
  const err = await h.apply(batch).then(() => undefined, (e) => e);
  mark('create');
  (await Netns.create(${JSON.stringify(second)})).close();
  mark('end');
  // A request after the failed batch must see only its own replies.
  const links = (await h.linkList()).map((l) => l.name).sort();
  h.close();
  ns.close();
  console.log(JSON.stringify({ error: err && { code: err.code, op: err.op }, links }));
})().catch((e) => { console.error(e); process.exit(1); });
`;
}

/** System call names per phase, from `strace -f` output (one line per call started). */
function callsByPhase(trace: string): Map<string, string[]> {
  const phases = new Map<string, string[]>();
  let phase = 'start';
  for (const line of trace.split('\n')) {
    const at = line.indexOf(MARK);
    if (at >= 0) {
      phase = line.slice(at + MARK.length).split('"')[0]!;
      continue;
    }
    const call = /^\d+\s+([a-z_0-9]+)\(/.exec(line)?.[1];
    if (call) (phases.get(phase) ?? phases.set(phase, []).get(phase)!).push(call);
  }
  return phases;
}

const count = (calls: string[] | undefined, name: string): number => (calls ?? []).filter((c) => c === name).length;

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('system calls per operation (integration, strace)', function () {
  requireSandbox();
  this.timeout(60_000);

  before(function () {
    if (hasStrace()) return;
    if (process.env.CI === 'true') throw new Error('strace is missing (.ci/run installs it)');
    this.skip();
  });

  for (const failing of [false, true]) {
    it(`a batch of rtnetlink requests is one sendmsg and one recvmsg${failing ? ', also with a failure in the middle' : ''}; a second namespace needs no mkdir`, () => {
      const [first, second] = [uniqueName('sc'), uniqueName('sc')];
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-strace-'));
      const traceFile = path.join(dir, 'trace');
      try {
        const out = execFileSync('strace', ['-f', '-qq', '-o', traceFile, process.execPath, '-e', childScript(first, second, failing)], { encoding: 'utf8' });
        const result = JSON.parse(out) as { error?: { code: string; op: string }; links: string[] };
        const phases = callsByPhase(fs.readFileSync(traceFile, 'utf8'));

        const batch = phases.get('batch');
        expect(count(batch, 'sendmsg'), 'sendmsg during the batch').to.equal(1);
        expect(count(batch, 'recvmsg'), 'recvmsg during the batch').to.equal(failing ? 2 : 1);
        expect(count(phases.get('create'), 'mkdir'), 'mkdir during the second create').to.equal(0);

        // What the kernel did, seen by iproute2: every message ran, the failing one included.
        if (failing) expect(result.error).to.deep.equal({ code: 'EEXIST', op: 'addrAdd' });
        else expect(result.error).to.equal(undefined);
        expect(result.links).to.deep.equal(['lo', 'sc0', 'sc1']);
        const link = ipJson<Array<{ flags: string[]; addr_info: Array<{ local: string }> }>>('-n', first, 'addr', 'show', 'dev', 'sc0')[0]!;
        expect(link.flags).to.include('UP');
        expect(link.addr_info.map((a) => a.local)).to.include('10.9.0.2');
        expect(ipJson<Array<{ gateway: string }>>('-n', first, 'route', 'show', 'default')[0]).to.include({ gateway: '10.9.0.1' });
        expect(ipJson<Array<{ ifname: string; flags: string[] }>>('-n', first, 'link', 'show', 'dev', 'lo')[0]!.flags).to.include('UP');
        expect(run('ip', 'netns', 'list')).to.include(second);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        for (const name of [first, second]) {
          try {
            execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
          } catch {
            // never made: the child failed before it
          }
        }
      }
    });
  }
});
