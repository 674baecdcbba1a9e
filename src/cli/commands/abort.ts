/** `ramp abort NAME`: rolls the active rollout back (traffic to stable first); its outcome is `aborted`. */
import type { Command } from 'commander';
import { registerOperation } from './operation';

/** Adds `ramp abort` to the program. */
export function registerAbort(program: Command): void {
  registerOperation(program, 'abort', 'roll the active rollout back now (outcome: aborted)', 'aborting');
}
