/** `ramp history NAME`: an app's rollouts, newest first — the revision, its images, how it ended, when, who. */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, resolveNamespace, type ApiFlags } from '../config';
import { historyText, printResult } from '../output/results';

/** Adds `ramp history` to the program. */
export function registerHistory(program: Command): void {
  addApiOptions(
    program
      .command('history')
      .description("an app's rollouts, newest first: revision, images, outcome, when, who")
      .argument('<name>', 'the app (the plan’s metadata.name)'),
  ).action(async (name: string, flags: ApiFlags) => {
    const io = processIO();
    const { client, format } = apiContext(flags, io);
    const items = await client.listRollouts(resolveNamespace(flags.namespace), { app: name, limit: 100 });
    printResult(io.stdout, format, { items }, () => historyText(items));
  });
}
