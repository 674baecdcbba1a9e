/**
 * The rollout record: everything Ramp knows about one rollout, stored as one JSON value in Redis and
 * changed only by compare-and-set on `version`. The cluster holds what runs; this holds progress.
 */
import { z } from 'zod';
import { measurementSchema, verdictSchema } from '../analysis/types';

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

export const outcomeSchema = z.enum(['promoted', 'rolledBack', 'aborted', 'failed']);
export type Outcome = z.infer<typeof outcomeSchema>;

/** Why the rollout is paused: a pause step (until a time, or until `promote`), the user, or inconclusive analysis. */
export const pauseSchema = z.object({
  kind: z.enum(['step', 'user', 'inconclusive']),
  since: z.number(),
  until: z.number().optional(),
});

export const metricStateSchema = z.object({
  measurements: z.array(measurementSchema),
  /** Provider-specific memory between measurements (last cumulative counter values per pod). */
  cursor: z.unknown().optional(),
  /** The judge's fold of measurements no longer kept (Judge.fold); opaque here. */
  carry: z.unknown().optional(),
  verdict: verdictSchema.optional(),
});
export type MetricState = z.infer<typeof metricStateSchema>;

export const analysisStateSchema = z.object({
  startedAt: z.number().optional(),
  lastAt: z.number().optional(),
  /** How traffic was split at the last look (trafficAt in analysisRun.ts): a measurement across a change is marked `shifted`. */
  trafficAtLastLook: z.string().optional(),
  /** Since when the combined verdict has been inconclusive without a break. */
  inconclusiveSince: z.number().optional(),
  metrics: z.record(z.string(), metricStateSchema),
});
export type AnalysisState = z.infer<typeof analysisStateSchema>;

export const recordSchema = z.object({
  id: z.string(),
  namespace: z.string(),
  app: z.string(),
  seq: z.number().int(),
  version: z.number().int(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** The validated plan as submitted (schema output). */
  plan: z.unknown(),
  /** The new version's pod template (after `image:` substitution) and its revision. */
  template: z.unknown(),
  revisions: z.object({ stable: z.string().optional(), canary: z.string() }),
  /** The stable revision's template, when there is one (what `image:` plans build on). */
  stableTemplate: z.unknown().optional(),
  /** True when the app had no stable revision: the new one is deployed directly, without analysis. */
  firstDeploy: z.boolean(),
  phase: phaseSchema,
  /** One human sentence: why the rollout is where it is. */
  message: z.string(),
  stepIndex: z.number().int().min(0),
  stepStartedAt: z.number(),
  /** The canary weight the steps so far allow (the last setWeight). */
  weight: z.number().int().min(0).max(100),
  /** A setCanaryScale override of the canary's replica count. */
  canaryScale: z
    .object({
      replicas: z.number().int().optional(),
      weight: z.number().int().optional(),
      matchTrafficWeight: z.boolean().optional(),
    })
    .optional(),
  pause: pauseSchema.optional(),
  analysis: analysisStateSchema,
  /** When the canary's pods must be ready by (progressDeadline after they were asked for). */
  progressDeadlineAt: z.number().optional(),
  /** Promotion moves through stages: canary to full size, all traffic to it, stable Service to it, traffic back to the stable Service. */
  promotion: z
    .object({ since: z.number(), full: z.boolean(), stage: z.enum(['scaleUp', 'shift', 'switch', 'reset']) })
    .optional(),
  rollback: z.object({ since: z.number(), reason: z.string(), aborted: z.boolean() }).optional(),
  /** After promotion: the previous stable revision keeps its pods until then. */
  scaleDownAt: z.number().optional(),
  previousStable: z.string().optional(),
  outcome: outcomeSchema.optional(),
  attempt: z.number().int().min(1),
});
export type RolloutRecord = z.infer<typeof recordSchema>;

/** Event kinds appended to a rollout's stream (what the CLI, SSE and dashboards read). */
export const eventSchema = z.object({
  at: z.number(),
  type: z.enum([
    'Created',
    'StepStarted',
    'WeightChanged',
    'Analysis',
    'Paused',
    'Resumed',
    'Promoting',
    'Promoted',
    'RollingBack',
    'RolledBack',
    'Failed',
    'Warning',
    'Operation',
  ]),
  message: z.string(),
  phase: phaseSchema.optional(),
  step: z.number().int().optional(),
  weight: z.number().optional(),
  verdicts: z.array(verdictSchema).optional(),
});
export type RolloutEvent = z.infer<typeof eventSchema>;
