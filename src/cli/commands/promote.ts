/** `ramp promote NAME [--full]`: past the current pause or analysis to the next step; `--full` skips the remaining steps and analysis. */
import type { Command } from 'commander';
import { registerOperation } from './operation';

/** Adds `ramp promote` to the program. */
export function registerPromote(program: Command): void {
  registerOperation(
    program,
    'promote',
    'promote the rollout one step (past a pause or analysis); --full promotes it now',
    'promoted',
    (cmd) => cmd.option('--full', 'skip the remaining steps and analysis and promote now'),
  );
}
