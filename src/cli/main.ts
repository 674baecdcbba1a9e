/** The `ramp` command line. */
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeFor, userMessage } from './exitCodes';
import { Command, CommanderError } from 'commander';

const VERSION = '0.1.0';

/**
 * Every command, with the one line `ramp --help` shows; a command's module (and what it imports: the
 * engine, the API client, zod schemas…) is loaded only when that command runs, so `ramp --version` and
 * `ramp status` start fast.
 */
const COMMANDS: { name: string; args?: string; summary: string; load: () => Promise<(program: Command) => void> }[] = [
  {
    name: 'sandbox',
    summary: 'a local Kubernetes (processes as pods), Prometheus and Redis for trying and testing Ramp',
    load: async () => (await import('./commands/sandbox')).registerSandbox,
  },
  {
    name: 'demo',
    summary: 'the whole story on the sandbox: a healthy version promoted, a bad one rolled back, through the CLI',
    load: async () => (await import('./commands/demo')).registerDemo,
  },
  {
    name: 'worker',
    summary: 'run rollout reconciles from the queue (run as many as you like)',
    load: async () => (await import('./commands/worker')).registerWorker,
  },
  {
    name: 'server',
    summary: 'serve the rollout API (with --worker, also run reconciles in this process)',
    load: async () => (await import('./commands/server')).registerServer,
  },
  {
    name: 'rollout',
    summary:
      'start a rollout of a plan; with --wait, follow it and exit 0 promoted, 1 rolled back/failed/aborted, 3 timeout',
    load: async () => (await import('./commands/rollout')).registerRollout,
  },
  {
    name: 'status',
    args: '<name>',
    summary: "show an app's latest rollout: phase, steps, weight, verdicts and recent events",
    load: async () => (await import('./commands/status')).registerStatus,
  },
  {
    name: 'watch',
    args: '<name>',
    summary: "follow an app's rollout until it ends; exit 0 promoted, 1 rolled back/failed/aborted, 3 timeout",
    load: async () => (await import('./commands/watch')).registerWatch,
  },
  {
    name: 'promote',
    args: '<name>',
    summary: 'promote the rollout one step (past a pause or analysis); --full promotes it now',
    load: async () => (await import('./commands/promote')).registerPromote,
  },
  {
    name: 'abort',
    args: '<name>',
    summary: 'roll the active rollout back now (outcome: aborted)',
    load: async () => (await import('./commands/abort')).registerAbort,
  },
  {
    name: 'retry',
    args: '<name>',
    summary: 'start the last rolled-back, aborted or failed rollout again as a new attempt',
    load: async () => (await import('./commands/retry')).registerRetry,
  },
  {
    name: 'pause',
    args: '<name>',
    summary: 'hold the rollout at its current step until resumed',
    load: async () => (await import('./commands/pause')).registerPause,
  },
  {
    name: 'resume',
    args: '<name>',
    summary: 'continue a paused rollout',
    load: async () => (await import('./commands/resume')).registerResume,
  },
  {
    name: 'history',
    args: '<name>',
    summary: "an app's rollouts, newest first: revision, images, outcome, when, who",
    load: async () => (await import('./commands/history')).registerHistory,
  },
  {
    name: 'undo',
    args: '<name>',
    summary: 'roll an app back to the revision promoted before the running one (or --to-revision)',
    load: async () => (await import('./commands/undo')).registerUndo,
  },
  {
    name: 'release',
    args: '<name>',
    summary: 'hand an adopted app back to its Deployment (scaled back up, then Ramp’s ReplicaSets to 0)',
    load: async () => (await import('./commands/release')).registerRelease,
  },
  {
    name: 'list',
    summary: "list the namespace's rollouts",
    load: async () => (await import('./commands/list')).registerList,
  },
  {
    name: 'lint',
    summary:
      'check a plan offline against the schema the API uses; exit 0 valid, 2 with every problem and its field path',
    load: async () => (await import('./commands/lint')).registerLint,
  },
];

/** The program for `argv`: the command it names fully registered, every other one by its name and summary. */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('ramp')
    .description('Ramp: safe, metric-judged deployments for Kubernetes')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText('after', `\nExit codes:\n${EXIT_CODE_HELP.map((l) => `  ${l}`).join('\n')}`);
  const named = argv.slice(2).find((a) => !a.startsWith('-'));
  const wanted = COMMANDS.find((c) => c.name === named);
  for (const c of COMMANDS) {
    if (c === wanted) (await c.load())(program);
    else
      program
        .command(c.args ? `${c.name} ${c.args}` : c.name)
        .description(c.summary)
        .allowUnknownOption();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
