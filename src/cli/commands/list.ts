/** `ramp list [--app NAME] [--limit N]`: the namespace's rollouts. */
import { CliUsageError } from '../../errors';
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, resolveNamespace, type ApiFlags } from '../config';
import { listText, printResult } from '../output/results';

interface ListFlags extends ApiFlags {
  app?: string;
  limit?: string;
}

/** Adds `ramp list` to the program. */
export function registerList(program: Command): void {
  addApiOptions(
    program
      .command('list')
      .description("list the namespace's rollouts")
      .option('--app <name>', "only this app's rollouts")
      .option('--limit <n>', 'at most this many'),
  ).action(async (flags: ListFlags) => {
    const io = processIO();
    const { client, format } = apiContext(flags, io);
    const limit = flags.limit === undefined ? undefined : Number(flags.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      throw new CliUsageError(`--limit: expected a positive integer, got "${flags.limit}"`);
    const items = await client.listRollouts(resolveNamespace(flags.namespace), { app: flags.app, limit });
    printResult(io.stdout, format, { items }, () => listText(items, Date.now()));
  });
}
