/** `ramp retry NAME`: starts the last rolled-back or failed rollout again, as a new attempt. */
import type { Command } from 'commander';
import { registerOperation } from './operation';

/** Adds `ramp retry` to the program. */
export function registerRetry(program: Command): void {
  registerOperation(
    program,
    'retry',
    'start the last rolled-back, aborted or failed rollout again as a new attempt',
    'started (retry)',
  );
}
