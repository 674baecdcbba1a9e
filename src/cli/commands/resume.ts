/** `ramp resume NAME`: continues a rollout paused by `ramp pause` or by inconclusive analysis. */
import type { Command } from 'commander';
import { registerOperation } from './operation';

/** Adds `ramp resume` to the program. */
export function registerResume(program: Command): void {
  registerOperation(program, 'resume', 'continue a paused rollout', 'resumed');
}
