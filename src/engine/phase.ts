/** A rollout's lifecycle: its phases and outcomes (DESIGN §6). */
import { z } from 'zod';

export const PHASES = [
  'Pending',
  'Progressing',
  'Paused',
  'Promoting',
  'Succeeded',
  'RollingBack',
  'RolledBack',
  'Failed',
] as const;
export const phaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof phaseSchema>;

/** Phases a rollout never leaves. */
export const TERMINAL_PHASES: readonly Phase[] = ['Succeeded', 'RolledBack', 'Failed'];

export function isTerminal(phase: Phase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** `released`: a release handed the app back to its Deployment (record.release). */
export const OUTCOMES = ['promoted', 'rolledBack', 'aborted', 'failed', 'released'] as const;
export const outcomeSchema = z.enum(OUTCOMES);
export type Outcome = z.infer<typeof outcomeSchema>;

/** Why a rollout is paused: a pause step, a person, analysis that cannot decide, or a new pod that cannot run. */
export const PAUSE_KINDS = ['step', 'user', 'inconclusive', 'podFailure', 'routeEdited'] as const;
