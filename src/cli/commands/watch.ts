/** `ramp watch NAME [--rollout ID] [--timeout 30m]`: follows the app's latest rollout to its end; exits by outcome like `rollout --wait`. */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, parseTimeout, resolveNamespace, type ApiFlags } from '../config';
import { followRollout } from '../followRollout';

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
    const ctx = apiContext(flags, processIO());
    const timeoutMs = parseTimeout(flags.timeout);
    const { history: _history, ...view } = await ctx.client.getRollout(resolveNamespace(flags.namespace), name, {
      rollout: flags.rollout,
    });
    process.exitCode = await followRollout(ctx, view, { ms: timeoutMs, text: flags.timeout });
  });
}
