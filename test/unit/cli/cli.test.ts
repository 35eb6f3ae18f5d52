/**
 * The CLI's pure parts: flag values into library options, tables, the exit-code map,
 * and --help for every command (in-process: parsing and help never reach the kernel).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { AlreadyExistsError, KernelError, NotFoundError, PermissionError, ValidationError } from '../../../lib/errors';
import { PortConflictError } from '../../../lib/firewall';
import { AddressInUseError, PoolExhaustedError, SubnetOverlapError } from '../../../lib/ipam';
import { ConflictError, NoSuchObjectError } from '../../../lib/runtime/errors';
import { formatCommand, formatPorts } from '../../../lib/cli/containers';
import { newContext } from '../../../lib/cli/context';
import { CliConflictError, errorLine, ExitCode, exitCodeFor, InterruptedError, signalExitCode, UsageError } from '../../../lib/cli/exit-codes';
import { buildProgram, main } from '../../../lib/cli/main';
import { createOptions } from '../../../lib/cli/network';
import { renderTable } from '../../../lib/cli/output';
import { byFamily, keyValues } from '../../../lib/cli/parse';
import { runOptions } from '../../../lib/cli/run';
import { ExitCode as PublicExitCode } from '../../../lib';

function capture(): { out: { stdout(t: string): void; stderr(t: string): void }; text: { stdout: string; stderr: string } } {
  const text = { stdout: '', stderr: '' };
  return { out: { stdout: (t) => (text.stdout += t), stderr: (t) => (text.stderr += t) }, text };
}

/** Every command path: ['network', 'create'], ['run'], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => {
    const p = [...prefix, c.name()];
    return [p, ...commandPaths(c, p)];
  });
}

describe('cli: flags into options', () => {
  it('network create: one subnet, gateway and range per family; -o and --label as records', () => {
    expect(
      createOptions('app', {
        subnet: ['10.1.0.0/24', 'fd00:1::/64'],
        gateway: ['fd00:1::1', '10.1.0.254'],
        ipRange: ['10.1.0.128/25'],
        ipv6: true,
        internal: true,
        opt: ['com.docker.network.bridge.enable_icc=false', 'x=a=b'],
        label: ['team=a', 'bare'],
        auxAddress: ['router=10.1.0.5'],
      }),
    ).to.deep.equal({
      name: 'app',
      subnet: '10.1.0.0/24',
      gateway: '10.1.0.254',
      ipRange: '10.1.0.128/25',
      auxAddresses: { router: '10.1.0.5' },
      ipv6: true,
      subnet6: 'fd00:1::/64',
      gateway6: 'fd00:1::1',
      internal: true,
      labels: { team: 'a', bare: '' },
      options: { 'com.docker.network.bridge.enable_icc': 'false', x: 'a=b' },
    });
    expect(createOptions('n', {})).to.deep.equal({ name: 'n' });
  });

  it('rejects what Docker rejects, as usage errors', () => {
    expect(() => byFamily(['10.0.0.0/24', '10.1.0.0/24'], '--subnet')).to.throw(UsageError, /at most one IPv4/);
    expect(() => keyValues(['novalue'], '--opt')).to.throw(UsageError, /expected KEY=VALUE/);
    expect(() => keyValues(['=v'], '--label', { allowBare: true })).to.throw(UsageError, /empty key/);
    expect(() => runOptions({ network: 'a', net: 'b' })).to.throw(UsageError, /disagree/);
  });

  it('run: -p, -P with --expose, aliases from --alias and --network-alias', () => {
    expect(runOptions({ network: 'app', publish: ['8080:80'], publishAll: true, expose: ['443'], alias: ['a'], networkAlias: ['b'], link: ['db:d'], ip: '10.0.0.2', macAddress: '02:42:00:00:00:01' })).to.deep.equal({
      network: 'app',
      ports: ['8080:80'],
      publishAll: ['443'],
      ip: '10.0.0.2',
      mac: '02:42:00:00:00:01',
      aliases: ['a', 'b'],
      links: ['db:d'],
    });
    // --expose without -P is metadata only, as in Docker.
    expect(runOptions({ net: 'host', expose: ['80'] })).to.deep.equal({ network: 'host' });
  });
});

describe('cli: output', () => {
  it('tables: columns padded to the widest cell, three spaces apart, no trailing spaces', () => {
    expect(renderTable(['ID', 'NAME', 'X'], [['1', 'alpha', ''], ['22', 'b', 'z']])).to.equal('ID   NAME    X\n1    alpha\n22   b       z\n');
  });

  it("ports and commands as docker ps shows them", () => {
    expect(
      formatPorts([
        { family: 4, proto: 'tcp', hostPort: 8080, containerIp: '172.18.0.2', containerPort: 80 },
        { family: 6, proto: 'tcp', hostPort: 8080, containerIp: 'fd00::2', containerPort: 80 },
        { family: 4, proto: 'udp', hostIp: '127.0.0.1', hostPort: 53, containerIp: '172.18.0.2', containerPort: 53 },
      ]),
    ).to.equal('0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 127.0.0.1:53->53/udp');
    expect(formatCommand(['sleep', '300'])).to.equal('"sleep 300"');
    expect(formatCommand(['node', '-e', 'a\n  b; c; d; e; f; g'])).to.equal('"node -e a b; c; d; …"');
    expect(formatCommand(['node', '-e', 'a\n  b; c; d; e; f; g'], true)).to.equal('"node -e a b; c; d; e; f; g"');
    expect(formatCommand(undefined)).to.equal('');
  });
});

describe('cli: exit codes', () => {
  const cases: Array<[string, unknown, number]> = [
    ['no such network', new NoSuchObjectError('network', 'x', 'networkGet'), ExitCode.NOT_FOUND],
    ['kernel ENOENT', new NotFoundError('gone', { code: 'ENODEV' }), ExitCode.ERROR],
    ['name taken', new ConflictError('taken', { op: 'networkCreate', target: 'x' }), ExitCode.CONFLICT],
    ['port published', new PortConflictError('port', { endpointId: 'e', family: 4, proto: 'tcp', hostPort: 80 }), ExitCode.CONFLICT],
    ['address in use', new AddressInUseError('10.0.0.2', { reserved: 'gateway' }, 'n'), ExitCode.CONFLICT],
    ['subnet overlap', new SubnetOverlapError('10.0.0.0/24', { networkId: 'n', subnet: '10.0.0.0/16' }), ExitCode.CONFLICT],
    ['kernel EEXIST', new AlreadyExistsError('exists', { code: 'EEXIST' }), ExitCode.CONFLICT],
    ['running container', new CliConflictError('running', 'x'), ExitCode.CONFLICT],
    ['validation', new ValidationError('bad', { field: 'x' }), ExitCode.USAGE],
    ['usage', new UsageError('bad'), ExitCode.USAGE],
    ['kernel EPERM', new PermissionError('no', { code: 'EPERM' }), ExitCode.PERMISSION],
    ['fs EACCES', Object.assign(new Error("EACCES: permission denied, mkdir '/x'"), { code: 'EACCES' }), ExitCode.PERMISSION],
    ['kernel EINVAL', new KernelError('bad', { code: 'EINVAL' }), ExitCode.ERROR],
    ['pool exhausted', new PoolExhaustedError('full', 4), ExitCode.ERROR],
    ['plain Error', new Error('x'), ExitCode.ERROR],
    ['SIGINT', new InterruptedError('SIGINT'), 130],
    ['SIGTERM', new InterruptedError('SIGTERM'), 143],
  ];
  for (const [what, err, code] of cases) {
    it(`${what} → ${code}`, () => expect(exitCodeFor(err)).to.equal(code));
  }

  it('are distinct, and exported by the library', () => {
    expect(new Set(Object.values(ExitCode)).size).to.equal(Object.values(ExitCode).length);
    expect(PublicExitCode).to.equal(ExitCode);
    expect(signalExitCode('SIGHUP')).to.equal(129);
  });

  it('error lines are one line, and say when an undo step failed', () => {
    expect(errorLine(new Error('a\n  b'))).to.equal('a b');
    expect(errorLine(Object.assign(new Error('x'), { rollbackErrors: [new Error('y')] }))).to.match(/^x; and 1 undo step\(s\) failed: run 'nsnet gc'$/);
  });
});

describe('cli: parsing and --help', () => {
  const paths = commandPaths(buildProgram(newContext(capture().out)));

  it('has the commands of the issue (and no dns until lib/dns lands)', () => {
    expect(paths.map((p) => p.join(' ')).filter((p) => !p.endsWith('help'))).to.deep.equal([
      'network',
      'network create',
      'network ls',
      'network inspect',
      'network rm',
      'network connect',
      'network disconnect',
      'network prune',
      'run',
      'ps',
      'rm',
      'exec',
      'inspect',
      'gc',
      'dns',
    ]);
  });

  for (const p of [[], ...commandPaths(buildProgram(newContext(capture().out)))].filter((x) => x.at(-1) !== 'help')) {
    it(`nsnet ${[...p, '--help'].join(' ')} exits 0 with its usage`, async () => {
      const { out, text } = capture();
      expect(await main([...p, '--help'], out)).to.equal(0);
      expect(text.stdout).to.match(new RegExp(`^Usage: nsnet${p.length ? ` ${p.join(' ')}` : ''}[ |]`));
      expect(text.stderr).to.equal('');
    });
  }

  it('parse errors are usage errors, on one line', async () => {
    for (const argv of [['nope'], ['network', 'ls', '--nope'], ['network', 'create'], ['run'], ['ps', 'extra'], ['network']]) {
      const { out, text } = capture();
      expect(await main(argv, out), argv.join(' ')).to.equal(ExitCode.USAGE);
      if (argv[0] !== 'network' || argv.length > 1) expect(text.stderr).to.match(/^nsnet: error: [^\n]+\n$/);
    }
  });

  it('bin/nsnet runs the CLI', () => {
    const bin = path.resolve(__dirname, '..', '..', '..', '..', 'bin', 'nsnet');
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()).to.match(/^\d+\.\d+\.\d+/);
  });
});
