/**
 * Every bad input the CLI can be given, run as a user would: each gives its exit code
 * (ExitCode, exported by the library) and one line on standard error, prints nothing on
 * standard output, and none changes anything (the host ends exactly as it was).
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode, Netns } from '../../lib';
import { nsnet, nsnetOk, residue, type CliOptions, type CliResult, type CliWorld } from '../support/cli';
import { requireSandbox, uniqueName } from '../support/sandbox';

interface Case {
  args: string[];
  code: number;
  stderr: RegExp;
  /** Standard output; nothing unless said (inspect prints the objects it found, here none: []). */
  stdout?: string;
  options?: CliOptions;
}

const { USAGE, NOT_FOUND, CONFLICT, PERMISSION } = ExitCode;
// Without CAP_NET_ADMIN (root, but the capability dropped for nsnet's process).
const noNetAdmin: CliOptions = { wrap: ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin', '--'] };

const CASES: Case[] = [
  // Usage: the parser's own errors.
  { args: ['frobnicate'], code: USAGE, stderr: /^nsnet: error: unknown command 'frobnicate'$/ },
  { args: ['network', 'ls', '--bogus'], code: USAGE, stderr: /^nsnet: error: unknown option '--bogus'$/ },
  { args: ['network', 'create'], code: USAGE, stderr: /^nsnet: error: missing required argument 'name'$/ },
  { args: ['run', '--network', 'app'], code: USAGE, stderr: /^nsnet: error: missing required argument 'command'$/ },
  { args: ['rm'], code: USAGE, stderr: /^nsnet: error: missing required argument 'container'$/ },
  { args: ['exec', 'busy', '--'], code: USAGE, stderr: /^nsnet: error: exec: missing command after '--'$/ },
  { args: ['network', 'create', '--subnet'], code: USAGE, stderr: /^nsnet: error: option '--subnet <cidr>' argument missing$/ },
  // Usage: values the CLI or the library reject before any kernel call.
  { args: ['network', 'ls', '--format', 'xml'], code: USAGE, stderr: /^nsnet: error: --format: expected 'table' or 'json', got 'xml'$/ },
  { args: ['network', 'create', '--driver', 'overlay', 'n1'], code: USAGE, stderr: /^nsnet: error: driver: only 'bridge' is supported, got 'overlay'$/ },
  { args: ['network', 'create', '--subnet', '198.18.0.0/33', 'n1'], code: USAGE, stderr: /^nsnet: error: subnets\[0\]\.subnet: .*33/ },
  { args: ['network', 'create', '--subnet', '10.1.0.0/24', '--subnet', '10.2.0.0/24', 'n1'], code: USAGE, stderr: /^nsnet: error: --subnet: at most one IPv4 value/ },
  { args: ['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=maybe', 'n1'], code: USAGE, stderr: /^nsnet: error: com\.docker\.network\.bridge\.enable_icc: expected 'true' or 'false', got 'maybe'$/ },
  { args: ['network', 'create', '-o', 'enable_icc', 'n1'], code: USAGE, stderr: /^nsnet: error: --opt: expected KEY=VALUE, got 'enable_icc'$/ },
  { args: ['network', 'create', 'bad name'], code: USAGE, stderr: /^nsnet: error: .*name/ },
  { args: ['run', '--network', 'app', '-p', '99999:80', '--', 'true'], code: USAGE, stderr: /^nsnet: error: .*99999/ },
  { args: ['run', '--network', 'none', '--ip', '198.51.100.9', '--', 'true'], code: USAGE, stderr: /^nsnet: error: ip: not allowed with network mode none$/ },
  { args: ['run', '--network', 'app', '--ip', '192.0.2.9', '--', 'true'], code: USAGE, stderr: /^nsnet: error: .*192\.0\.2\.9/ },
  { args: ['network', 'connect', 'app', 'loner', '--ip', 'not-an-ip'], code: USAGE, stderr: /^nsnet: error: .*not-an-ip/ },
  // Not found.
  { args: ['network', 'inspect', 'nosuch'], code: NOT_FOUND, stderr: /^nsnet: error: no such network: nosuch$/, stdout: '[]\n' },
  { args: ['network', 'rm', 'nosuch'], code: NOT_FOUND, stderr: /^nsnet: error: no such network: nosuch$/ },
  { args: ['run', '--network', 'nosuch', '--', 'true'], code: NOT_FOUND, stderr: /^nsnet: error: no such network: nosuch$/ },
  { args: ['run', '--network', 'container:nosuch', '--', 'true'], code: NOT_FOUND, stderr: /^nsnet: error: no such container: nosuch$/ },
  { args: ['rm', 'nosuch'], code: NOT_FOUND, stderr: /^nsnet: error: no such container: nosuch$/ },
  { args: ['exec', 'nosuch', '--', 'true'], code: NOT_FOUND, stderr: /^nsnet: error: no such container: nosuch$/ },
  { args: ['inspect', 'nosuch'], code: NOT_FOUND, stderr: /^nsnet: error: no such container: nosuch$/, stdout: '[]\n' },
  { args: ['network', 'connect', 'app', 'nosuch'], code: NOT_FOUND, stderr: /^nsnet: error: no such container: nosuch$/ },
  { args: ['network', 'disconnect', 'app', 'loner'], code: NOT_FOUND, stderr: /^nsnet: error: no such network: app \(not connected to loner\)$/ },
  // Conflict.
  { args: ['network', 'create', 'app'], code: CONFLICT, stderr: /^nsnet: error: network app already exists$/ },
  { args: ['network', 'create', '--subnet', '198.51.100.128/25', 'n2'], code: CONFLICT, stderr: /^nsnet: error: subnet 198\.51\.100\.128\/25 overlaps 198\.51\.100\.0\/24/ },
  { args: ['network', 'rm', 'app'], code: CONFLICT, stderr: /^nsnet: error: network app has active endpoints \(busy\)$/ },
  { args: ['run', '--name', 'busy', '--network', 'app', '--', 'true'], code: CONFLICT, stderr: /^nsnet: error: container name busy is already in use$/ },
  { args: ['run', '--network', 'app', '-p', '8085:80', '--', 'true'], code: CONFLICT, stderr: /^nsnet: error: host port tcp\/8085 is already published/ },
  { args: ['run', '--network', 'app', '--ip', '198.51.100.10', '--', 'true'], code: CONFLICT, stderr: /^nsnet: error: 198\.51\.100\.10 .* in use/ },
  { args: ['rm', 'busy'], code: CONFLICT, stderr: /^nsnet: error: container busy is running \(its command runs as pid \d+\): stop it first or use 'rm -f'$/ },
  { args: ['network', 'connect', 'app', 'busy'], code: CONFLICT, stderr: /^nsnet: error: container busy is already connected to app$/ },
  // Permission: root without CAP_NET_ADMIN.
  { args: ['network', 'create', 'n3'], code: PERMISSION, stderr: /^nsnet: error: .*EPERM.*permission denied/, options: noNetAdmin },
  // The command's own code once nsnet has done its part: 127, the exec helper could not find it.
  { args: ['exec', 'busy', '--', 'nosuchcmd'], code: 127, stderr: /^nsnet-exec: exec nosuchcmd: No such file or directory$/ },
];

describe('cli: bad input gives its exit code and one line (integration)', function () {
  requireSandbox();
  this.timeout(120_000);
  let w: CliWorld;
  let baseline: Record<string, unknown>;
  let withFixtures: Record<string, unknown>;
  const results: CliResult[] = [];

  before(async () => {
    const host = await Netns.create(uniqueName('clie'));
    await (await host.handle()).linkSet(1, { up: true });
    w = { host, stateDir: fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'clie-')) };
    await nsnetOk(w, ['network', 'create', 'warmup']);
    await nsnetOk(w, ['network', 'rm', 'warmup']);
    baseline = residue(w);
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    await nsnetOk(w, ['run', '-d', '--name', 'busy', '--network', 'app', '--ip', '198.51.100.10', '-p', '8085:80', '--', 'sleep', '600']);
    await nsnetOk(w, ['run', '-d', '--name', 'loner', '--network', 'none', '--', 'sleep', '600']);
    withFixtures = residue(w);
    // None of the cases changes anything, so they can run side by side (a few at a time).
    const queue = CASES.map((c, i) => ({ c, i }));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) results[next.i] = await nsnet(w, next.c.args, next.c.options);
    };
    await Promise.all([worker(), worker(), worker()]);
  });

  after(async () => {
    await nsnet(w, ['rm', '-f', 'busy', 'loner']);
    await nsnet(w, ['network', 'rm', 'app']);
    try {
      expect(residue(w)).to.deep.equal(baseline);
    } finally {
      await w.host.delete();
      fs.rmSync(w.stateDir, { recursive: true, force: true });
    }
  });

  CASES.forEach((c, i) => {
    it(`nsnet ${c.args.join(' ')}${c.options ? ' (without CAP_NET_ADMIN)' : ''} → ${c.code}`, () => {
      const r = results[i]!;
      expect(r.code, r.stderr).to.equal(c.code);
      const lines = r.stderr.split('\n').filter(Boolean);
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(c.stderr);
      expect(r.stdout).to.equal(c.stdout ?? '');
    });
  });

  it('none of the bad inputs above changed anything', () => {
    expect(residue(w)).to.deep.equal(withFixtures);
  });

  it('--state-dir on the command line wins over NSNET_STATE_DIR', async () => {
    const other = fs.mkdtempSync(path.join(w.stateDir, '..', 'clie-other-'));
    try {
      expect(await nsnetOk(w, ['network', 'ls', '-q'])).to.not.equal('');
      expect(await nsnetOk(w, ['network', 'ls', '-q', '--state-dir', other])).to.equal('');
      expect(await nsnetOk(w, ['--state-dir', other, 'ps', '-q'])).to.equal('');
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
