/**
 * `ramp release NAME [--wait]`: hands an app Ramp adopted back to its Deployment — the Deployment back
 * at its size with the stable revision's template, its pods ready before the Service moves to them, then
 * Ramp's ReplicaSets at 0. A release is followed like a rollout: `--wait` exits 0 once it is released.
 */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, parseTimeout, resolveNamespace, type ApiFlags } from '../config';
import { followRollout } from '../followRollout';
import { printResult, rolloutText } from '../output/results';

interface ReleaseFlags extends ApiFlags {
  wait?: boolean;
  timeout?: string;
}

/** Adds `ramp release` to the program. */
export function registerRelease(program: Command): void {
  addApiOptions(
    program
      .command('release')
      .description(
        'hand an app Ramp adopted (spec.adopt) back to its Deployment: scaled back to its size, then Ramp’s ReplicaSets to 0',
      )
      .argument('<name>', 'the app (the plan’s metadata.name)')
      .option('--wait', 'follow the release until it ends; the exit code says how it ended')
      .option('--timeout <duration>', 'with --wait: stop waiting after this long (exit 3); implies --wait'),
  ).action(async (name: string, flags: ReleaseFlags) => {
    const ctx = apiContext(flags, processIO());
    const { client, format, io } = ctx;
    const timeoutMs = parseTimeout(flags.timeout);
    const view = await client.release(resolveNamespace(flags.namespace), name);
    if (!flags.wait && timeoutMs === undefined) {
      printResult(io.stdout, format, view, () => rolloutText(view, 'started (release)'));
      return;
    }
    process.exitCode = await followRollout(ctx, view, { ms: timeoutMs, text: flags.timeout });
  });
}
