/** What promote, abort, retry, pause and resume share: one POST on the app's active rollout, the answer shown. */
import type { Command } from 'commander';
import type { OperationName } from '../../api/schemas';
import { apiContext, processIO } from '../commandContext';
import { addApiOptions, resolveNamespace, type ApiFlags } from '../config';
import { printResult, rolloutText } from '../output/results';

/** The flags of an operation command (`--full` only for promote). */
export interface OperationFlags extends ApiFlags {
  full?: boolean;
}

/** Declares `ramp <op> NAME` with the API options; `configure` adds the command's own flags. */
export function registerOperation(
  program: Command,
  op: OperationName,
  description: string,
  done: string,
  configure: (cmd: Command) => Command = (c) => c,
): void {
  const cmd = program.command(op).description(description).argument('<name>', 'the app (the plan’s metadata.name)');
  addApiOptions(configure(cmd)).action(async (name: string, flags: OperationFlags) => {
    const io = processIO();
    const { client, format } = apiContext(flags, io);
    const view = await client.operate(resolveNamespace(flags.namespace), name, op, { full: flags.full });
    // Already where it was asked to go: nothing changed, and that is no failure (exit 0).
    const text = () =>
      view.unchanged ? `${op}: nothing to do, ${view.unchanged} (rollout ${view.id})` : rolloutText(view, done);
    printResult(io.stdout, format, view, text);
  });
}
