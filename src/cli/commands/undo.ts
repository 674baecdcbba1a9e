/**
 * `ramp undo NAME [--to-revision R] [--wait]`: rolls the app back to an earlier promoted revision — the
 * plan of the rollout that promoted it, started again through the same strategy and judge.
 */
import type { Command } from 'commander';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, parseTimeout, resolveNamespace, type ApiFlags } from '../config';
import { followRollout } from '../followRollout';
import { printResult, rolloutText } from '../output/results';

interface UndoFlags extends ApiFlags {
  toRevision?: string;
  wait?: boolean;
  timeout?: string;
}

/** Adds `ramp undo` to the program. */
export function registerUndo(program: Command): void {
  addApiOptions(
    program
      .command('undo')
      .description('roll an app back to the revision promoted before the running one (or --to-revision)')
      .argument('<name>', 'the app (the plan’s metadata.name)')
      .option('--to-revision <revision>', 'go back to this revision (as ramp history shows it)')
      .option('--wait', 'follow the rollout until it ends; the exit code says how it ended')
      .option('--timeout <duration>', 'with --wait: stop waiting after this long (exit 3); implies --wait'),
  ).action(async (name: string, flags: UndoFlags) => {
    const ctx = apiContext(flags, processIO());
    const { client, format, io } = ctx;
    const timeoutMs = parseTimeout(flags.timeout);
    const view = await client.undo(resolveNamespace(flags.namespace), name, { toRevision: flags.toRevision });
    if (!flags.wait && timeoutMs === undefined) {
      printResult(io.stdout, format, view, () => rolloutText(view, `started (undo of ${view.undoOf ?? '?'})`));
      return;
    }
    process.exitCode = await followRollout(ctx, view, { ms: timeoutMs, text: flags.timeout });
  });
}
