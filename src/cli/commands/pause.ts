/** `ramp pause NAME`: holds the rollout where it is until `ramp resume`. */
import type { Command } from 'commander';
import { registerOperation } from './operation';

/** Adds `ramp pause` to the program. */
export function registerPause(program: Command): void {
  registerOperation(program, 'pause', 'hold the rollout at its current step until resumed', 'paused');
}
