/**
 * The rollout record: everything Ramp knows about one rollout, stored as one JSON value in Redis and
 * changed only by compare-and-set on `version`. The cluster holds what runs; this holds progress.
 */
import { z } from 'zod';
import { outcomeSchema, PAUSE_KINDS, phaseSchema } from './phase';
import { baselineSchema } from '../analysis/baseline';
import { measurementSchema, verdictSchema } from '../analysis/types';
import { planSchema, podTemplateSchema } from '../plan/schema';
import { podSummarySchema } from '../kube/pods';

export { PHASES, phaseSchema, type Phase, TERMINAL_PHASES, isTerminal, outcomeSchema, type Outcome } from './phase';

/** Why the rollout is paused: a pause step (until a time, or until `promote`), the user, or inconclusive analysis. */
export const pauseSchema = z.object({
  kind: z.enum(PAUSE_KINDS),
  since: z.number(),
  until: z.number().optional(),
});

export const metricStateSchema = z.object({
  measurements: z.array(measurementSchema),
  /** Provider-specific memory between measurements (last cumulative counter values per pod). */
  cursor: z.unknown().optional(),
  /** The judge's fold of measurements no longer kept (Judge.fold); opaque here. */
  carry: z.unknown().optional(),
  /** Set after a switch (analysis/baseline.ts): the stable revision's pre-switch windows the next measurements are judged against. */
  baseline: baselineSchema.optional(),
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

/** The part of the record every strategy's state has; the rest is the strategy's own (validated by its stateSchema). */
export const strategyStateBaseSchema = z.looseObject({ kind: z.string() });
export type StrategyStateBase = z.infer<typeof strategyStateBaseSchema>;

/** What the worker last saw of the app's revisions, so the API (which never reads the cluster) can show the truth. */
export const clusterSnapshotSchema = z.object({
  revisions: z.array(
    z.object({
      revision: z.string(),
      role: z.string().optional(),
      replicas: z.number().int(),
      ready: z.number().int(),
      pods: z.array(podSummarySchema).optional(),
    }),
  ),
  /** The router's answer to verify(the target traffic): true, false, or absent when it cannot tell. */
  trafficVerified: z.boolean().optional(),
  /**
   * The last traffic (strategies/traffic.ts trafficKey) the router confirmed it is at. When the router
   * stops confirming it while the rollout still asks for it, someone else changed the routing.
   */
  verifiedTraffic: z.string().optional(),
  /** The routing differs from what Ramp wrote and confirmed, by someone else's hand (see verifiedTraffic). */
  routeEdited: z.boolean().optional(),
});
export type ClusterSnapshot = z.infer<typeof clusterSnapshotSchema>;

/**
 * Adoption (DESIGN §4): the Deployment the app ran as is taken over before the strategy starts. Its
 * stages: `scaleUp` (Ramp's stable ReplicaSet from the Deployment's template, at its size, until every
 * pod is ready), `switch` (the strategy's Services pointed at it), `handover` (the Deployment scaled to 0
 * and annotated), `done` (the strategy has the rollout); `cancelled`: it failed or was aborted before the
 * switch, and Ramp's pods went away again, the Deployment untouched.
 */
export const ADOPTION_STAGES = ['scaleUp', 'switch', 'handover', 'done', 'cancelled'] as const;
export const adoptionSchema = z.object({
  deployment: z.string(),
  /** The Deployment's spec.replicas when adopted: the stable ReplicaSet's size, and what a release gives back. */
  replicas: z.number().int().min(1),
  stage: z.enum(ADOPTION_STAGES),
});
export type Adoption = z.infer<typeof adoptionSchema>;

/**
 * A release (`ramp release`): an adopted app handed back to its Deployment. Its stages: `scaleUp` (the
 * Deployment back at its size with the stable revision's template, Ramp's other revisions at 0, until its
 * pods are ready), `narrow` (the stable Service on the Deployment's pods alone: the plan's selector and
 * their pod-template-hash), `scaleDown` (Ramp's ReplicaSets to 0, their pods already out of the Service),
 * `widen` (the Service on the plan's selector, which the Deployment's pods carry; Ramp's annotations off
 * the Deployment), `done`; `undo`: its pods were not ready in time and it goes back to 0, then `failed`.
 */
export const RELEASE_STAGES = ['scaleUp', 'narrow', 'scaleDown', 'widen', 'done', 'undo', 'failed'] as const;
export const releaseSchema = z.object({
  deployment: z.string(),
  /** The size to hand back (the Deployment's `ramp.dev/adopted-replicas`); 0 until a worker read it. */
  replicas: z.number().int().min(0),
  stage: z.enum(RELEASE_STAGES),
});
export type Release = z.infer<typeof releaseSchema>;

/** The record's format; records of an older one are upgraded when read (recordCodec.ts). */
export const RECORD_SCHEMA_VERSION = 2;

export const recordSchema = z.object({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  id: z.string(),
  namespace: z.string(),
  app: z.string(),
  seq: z.number().int(),
  version: z.number().int(),
  createdAt: z.number(),
  /** Who started it (the API caller's subject), when known. */
  createdBy: z.string().optional(),
  /** The rollout whose plan it repeats, when started by `undo`. */
  undoOf: z.string().optional(),
  updatedAt: z.number(),
  attempt: z.number().int().min(1),
  /** The validated plan as submitted (schema output), validated again whenever the record is read. */
  plan: planSchema,
  /** The new version's pod template (the plan's, or the stable one with `image:` applied); null until resolved. */
  template: podTemplateSchema.nullable(),
  /** The stable revision's template, when there is one (what `image:` plans build on). */
  stableTemplate: podTemplateSchema.optional(),
  /** `new`: the revision being rolled out ('' until resolved); `previousStable`: the stable one before its promotion. */
  revisions: z.object({ stable: z.string().optional(), new: z.string(), previousStable: z.string().optional() }),
  /** True when the app had no stable revision: the new one is deployed directly, without analysis. */
  firstDeploy: z.boolean(),
  phase: phaseSchema,
  /** One human sentence: why the rollout is where it is. */
  message: z.string(),
  outcome: outcomeSchema.optional(),
  pause: pauseSchema.optional(),
  /** When the new revision's pods must be ready by (progressDeadline after they were asked for). */
  progressDeadlineAt: z.number().optional(),
  /** Why the rollout rolls back; `failed`: Ramp could not carry it on (it ends Failed once the cluster is safe). */
  rollback: z
    .object({ since: z.number(), reason: z.string(), aborted: z.boolean(), failed: z.boolean().optional() })
    .optional(),
  /** After promotion: the previous stable revision keeps its pods until then. */
  scaleDownAt: z.number().optional(),
  analysis: analysisStateSchema,
  cluster: clusterSnapshotSchema.optional(),
  /** Set when this rollout adopts a plain Deployment before its strategy starts. */
  adoption: adoptionSchema.optional(),
  /** Set when this "rollout" is a release: handing the app back to the Deployment it adopted. */
  release: releaseSchema.optional(),
  /** The strategy's own state (canary: step, weight, promotion stage; …), `kind` naming the strategy. */
  strategy: strategyStateBaseSchema,
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
    'Adopted',
    'Released',
  ]),
  message: z.string(),
  phase: phaseSchema.optional(),
  step: z.number().int().optional(),
  weight: z.number().optional(),
  verdicts: z.array(verdictSchema).optional(),
});
export type RolloutEvent = z.infer<typeof eventSchema>;
