/** `ramp watch NAME [--rollout ID] [--timeout 30m]`: follows the app's latest rollout to its end; exits by outcome like `rollout --wait`. */
import type { Command } from 'commander';
import { exitCodeForOutcome } from '../../errors/mapping';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, parseTimeout, resolveNamespace, type ApiFlags } from '../config';
import { finalLine, printResult } from '../output/results';
import { rolloutProgress } from '../progress';
import { waitForRollout } from '../waitForRollout';

interface WatchFlags extends ApiFlags {
  rollout?: string;
  timeout?: string;
}

/** Adds `ramp watch` to the program. */
export function registerWatch(program: Command): void {
  addApiOptions(
    program
      .command('watch')
      .description("follow an app's rollout until it ends; exit 0 promoted, 1 rolled back/failed/aborted, 3 timeout")
      .argument('<name>', 'the app (the plan’s metadata.name)')
      .option('--rollout <id>', 'a particular rollout of the app (default: the latest)')
      .option('--timeout <duration>', 'stop waiting after this long (exit 3; the rollout keeps going)'),
  ).action(async (name: string, flags: WatchFlags) => {
    const io = processIO();
    const { client, format } = apiContext(flags, io);
    const timeoutMs = parseTimeout(flags.timeout);
    const { history: _history, ...view } = await client.getRollout(resolveNamespace(flags.namespace), name, { rollout: flags.rollout });
    const final = await waitForRollout(client, view, {
      progress: rolloutProgress(io.stderr),
      timeoutMs,
      timeoutText: flags.timeout,
      summaryFile: io.env.GITHUB_STEP_SUMMARY || undefined,
      warn: (m) => io.stderr.write(`ramp: warning: ${m}\n`),
    });
    printResult(io.stdout, format, final, () => finalLine(final, Date.now()));
    process.exitCode = exitCodeForOutcome(final.outcome);
  });
}
