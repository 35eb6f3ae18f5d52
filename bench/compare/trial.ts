/**
 * One trial of bench/compare: one tool, N containers, in the network namespace this
 * process was started in — a fresh one the harness made to play the host (and a private
 * mount namespace with its own /sys, as `ip netns exec` gives). Untimed: the client
 * namespace and its link, the N container namespaces, the tool's prepare. Timed: setup,
 * then (after verification) teardown. Prints one JSON line, a TrialResult.
 *
 * Usage (the harness runs it): node dist/bench/compare/trial.js TOOL N
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns } from '../../lib';
import { requireSandbox } from '../support/floor';
import { makeTool } from './tools';
import { leftoversAfterTeardown, verifySetup } from './verify';
import { CLIENT, netnsName, TOOL_NAMES, type ToolName, type TrialContext, type TrialResult } from './workload';

/** The client namespace, linked to this (host) namespace: 192.0.2.2/24 ↔ 192.0.2.1/24. */
async function makeClient(host: Netns): Promise<Netns> {
  const h = await host.handle();
  const client = await Netns.create(CLIENT.netns);
  await h.linkAdd({ kind: 'veth', name: CLIENT.hostIf, peer: { name: 'eth0', netns: client } });
  await h.addrAdd(CLIENT.hostIf, `${CLIENT.host}/${CLIENT.prefixLength}`);
  await h.linkSet(CLIENT.hostIf, { up: true });
  const c = await client.handle();
  await c.linkSet(1, { up: true });
  await c.addrAdd('eth0', `${CLIENT.client}/${CLIENT.prefixLength}`);
  await c.linkSet('eth0', { up: true });
  // For the floor, which publishes nothing: the client reaches containers directly.
  await c.routeAdd({ dst: 'default', gateway: CLIENT.host });
  return client;
}

export async function runTrial(toolName: ToolName, n: number): Promise<TrialResult> {
  const tool = makeTool(toolName);
  const missing = tool.missing();
  if (missing) throw new Error(`${toolName}: ${missing}`);
  const dir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), `cmp-${toolName}-`));
  const ctx: TrialContext = { n, dir };
  const host = await Netns.current();
  await (await host.handle()).linkSet(1, { up: true });
  const client = await makeClient(host);
  let made = 0;
  try {
    for (; made < n; made++) (await Netns.create(netnsName(made))).close();
    await tool.prepare(ctx);
    const setup = await tool.setup(ctx);
    const afterSetup = await verifySetup(tool, n);
    const teardown = await tool.teardown(ctx);
    const leftovers = await leftoversAfterTeardown(tool, ctx);
    return {
      tool: toolName,
      n,
      setupMs: setup.totalMs,
      teardownMs: teardown.totalMs,
      ...(setup.eachMs ? { setupEachMs: setup.eachMs } : {}),
      ...(teardown.eachMs ? { teardownEachMs: teardown.eachMs } : {}),
      afterSetup,
      leftovers,
    };
  } finally {
    await tool.dispose(ctx).catch((err: unknown) => console.error(`${toolName}: dispose: ${String(err)}`));
    for (let i = 0; i < made; i++) await Netns.deleteByName(netnsName(i)).catch(() => undefined);
    await client.delete().catch(() => undefined);
    host.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  requireSandbox();
  const [tool, count] = process.argv.slice(2);
  const n = Number(count);
  if (!TOOL_NAMES.includes(tool as ToolName) || !Number.isInteger(n) || n < 1) {
    console.error(`usage: trial.js ${TOOL_NAMES.join('|')} N`);
    process.exit(2);
  }
  runTrial(tool as ToolName, n).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
