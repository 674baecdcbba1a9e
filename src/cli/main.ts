/** The `ramp` command line. */
import { EXIT_CODES, exitCodeFor, userMessage } from './exitCodes';
import { Command, CommanderError } from 'commander';
import { registerSandbox } from './commands/sandbox';
import { registerDemo } from './commands/demo';
import { registerWorker } from './commands/worker';
import { registerServer } from './commands/server';
import { registerRollout } from './commands/rollout';
import { registerStatus } from './commands/status';
import { registerWatch } from './commands/watch';
import { registerPromote } from './commands/promote';
import { registerAbort } from './commands/abort';
import { registerRetry } from './commands/retry';
import { registerPause } from './commands/pause';
import { registerResume } from './commands/resume';
import { registerList } from './commands/list';
import { registerLint } from './commands/lint';

export function buildProgram(): Command {
  const program = new Command('ramp')
    .description('Ramp: safe, metric-judged deployments for Kubernetes')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerSandbox(program);
  registerDemo(program);
  registerWorker(program);
  registerServer(program);
  registerRollout(program);
  registerStatus(program);
  registerWatch(program);
  registerPromote(program);
  registerAbort(program);
  registerRetry(program);
  registerPause(program);
  registerResume(program);
  registerList(program);
  registerLint(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_CODES.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; unknown options and missing arguments are bad input.
      return e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.badInput;
    }
    process.stderr.write(`ramp: ${userMessage(e)}\n`);
    return exitCodeFor(e);
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
