/** `ramp status NAME [--rollout ID]`: the app's latest rollout — phase, steps, verdicts, recent events. */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, resolveNamespace, type ApiFlags } from '../config';
import { printResult, statusText } from '../output/results';

interface StatusFlags extends ApiFlags {
  rollout?: string;
}

/** Adds `ramp status` to the program. */
export function registerStatus(program: Command): void {
  addApiOptions(
    program
      .command('status')
      .description("show an app's latest rollout: phase, steps, weight, verdicts and recent events")
      .argument('<name>', 'the app (the plan’s metadata.name)')
      .option('--rollout <id>', 'a particular rollout of the app (default: the latest)'),
  ).action(async (name: string, flags: StatusFlags) => {
    const io = processIO();
    const { client, format } = apiContext(flags, io);
    const r = await client.getRollout(resolveNamespace(flags.namespace), name, { rollout: flags.rollout });
    printResult(io.stdout, format, r, () => statusText(r, Date.now()));
  });
}
