/**
 * nsnet's command line: a thin face over the library and its state directory. One
 * command group per file; this file builds the program, runs it and turns what went
 * wrong into one line on standard error and an exit code (see exit-codes.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerContainers } from './containers';
import { newContext, withCommonOptions, type CliContext } from './context';
import { errorLine, ExitCode, exitCodeFor } from './exit-codes';
import { registerDns } from './dns';
import { registerGc } from './gc';
import { registerNetwork } from './network';
import { processOut, type Out } from './output';
import { registerRun } from './run';

function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const EXIT_CODES_HELP = `
Exit codes:
  0  ok                       3  not found
  1  error (kernel, state)    4  conflict (name, port, address taken; in use; running)
  2  usage or invalid input   5  permission (needs root / CAP_NET_ADMIN)
  128+N  interrupted by signal N (a setup is rolled back)
  run, exec: the command's own exit code once it has started`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('nsnet');
  program
    .description('Container networking over netlink: Docker-style networks and containers on this host')
    .version(version(), '-v, --version')
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({
      writeOut: (s) => ctx.out.stdout(s),
      writeErr: (s) => ctx.out.stderr(s),
      outputError: (s, write) => write(`nsnet: ${s.trimEnd().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  withCommonOptions(program);

  registerNetwork(program, ctx);
  registerRun(program, ctx);
  registerContainers(program, ctx);
  registerGc(program, ctx);
  registerDns(program, ctx);
  return program;
}

/** Runs the CLI on `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2), out: Out = processOut): Promise<number> {
  const ctx = newContext(out);
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; every parse error (and bare `nsnet network`) is usage.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    out.stderr(`nsnet: error: ${errorLine(err)}\n`);
    return exitCodeFor(err);
  }
}

if (require.main === module) {
  void main().then((code) => process.exit(code));
}
