/**
 * The rollout API's wire contract as zod schemas: what routes answer (rollout and event views, the
 * error body) and what they take beyond the plan (operation bodies, query strings). The OpenAPI
 * document is generated from these, the CLI parses answers with them, the routes are typed by them.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { OUTCOMES, PAUSE_KINDS, PHASES } from '../engine/phase';
import { progressViewSchema, stepViewSchema as progressStepSchema } from '../strategies/progress';

extendZodWithOpenApi(z);

export const errorBodySchema = z
  .object({
    error: z.object({
      /** Stable, machine-readable: INVALID_PLAN, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, ACTIVE_ROLLOUT_EXISTS, INVALID_OPERATION, … */
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const verdictViewSchema = z
  .object({
    name: z.string(),
    decision: z.enum(['continue', 'pass', 'fail', 'inconclusive']).optional(),
    reason: z.string().optional(),
    evidence: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  })
  .openapi('MetricVerdict');

/** The strategy's progress view's parts (made before zod was extended for OpenAPI: openapi.ts names them). */
export const stepViewSchema = progressStepSchema;
export const trafficViewSchema = progressViewSchema.shape.traffic;
export const podsViewSchema = progressViewSchema.shape.revisions.element;

export const rolloutViewSchema = z
  .object({
    id: z.string().openapi({ example: 'shop.checkout.3' }),
    namespace: z.string(),
    /** The app (the plan's metadata.name). */
    name: z.string(),
    attempt: z.number().int(),
    phase: z.enum(PHASES),
    outcome: z.enum(OUTCOMES).optional(),
    message: z.string(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    /** Who started it (the API caller), when known. */
    createdBy: z.string().optional(),
    /** The rollout whose plan it repeats, when started by `undo`. */
    undoOf: z.string().optional(),
    /** The plain Deployment this rollout adopted before its strategy started (spec.adopt), and how far that got. */
    adoption: z.object({ deployment: z.string(), replicas: z.number().int(), stage: z.string() }).optional(),
    /** Set when this is a release (`ramp release`): the app handed back to the Deployment, and how far that got. */
    release: z.object({ deployment: z.string(), replicas: z.number().int(), stage: z.string() }).optional(),
    /** The new revision's container images. */
    images: z.array(z.string()),
    /** `new`: the revision rolled out ('' until a worker resolves it); `previousStable`: the stable one before its promotion. */
    revisions: z.object({ stable: z.string().optional(), new: z.string(), previousStable: z.string().optional() }),
    /** The new revision's target share of requests (percent): traffic.target.weight. */
    weight: z.number().int(),
    /** The strategy's key (canary, blueGreen, …) and what it calls the new revision (canary, preview, …). */
    strategy: z.string(),
    newRole: z.string(),
    router: z.string(),
    steps: z.array(stepViewSchema),
    /** Index of the current step; equals steps.length once all are done. */
    stepIndex: z.number().int(),
    /** What the steps ask for, and what the cluster was last seen doing. */
    traffic: trafficViewSchema,
    /** Revisions by role with their pods as last observed. */
    pods: z.array(podsViewSchema),
    pause: z.object({ kind: z.enum(PAUSE_KINDS), since: z.string() }).optional(),
    /** When the current step's timed wait ends (a timed pause, an analyze step's min), while it runs. */
    waitUntil: z.string().openapi({ format: 'date-time' }).optional(),
    analysis: z.object({ metrics: z.array(verdictViewSchema) }),
    /** The record version: changes with every committed change. */
    version: z.number().int(),
  })
  .openapi('Rollout');
export type RolloutView = z.infer<typeof rolloutViewSchema>;

export const eventViewSchema = z
  .object({
    /** The Redis stream id: pass it as Last-Event-ID to resume after it. */
    id: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
    type: z.string(),
    message: z.string(),
    phase: z.string().optional(),
    step: z.number().int().optional(),
    weight: z.number().optional(),
    verdicts: z.array(verdictViewSchema).optional(),
  })
  .openapi('Event');
export type EventView = z.infer<typeof eventViewSchema>;

export const rolloutWithHistorySchema = rolloutViewSchema
  .extend({ history: z.array(eventViewSchema) })
  .openapi('RolloutWithHistory');
export type RolloutWithHistory = z.infer<typeof rolloutWithHistorySchema>;

export const rolloutListSchema = z.object({ items: z.array(rolloutViewSchema) }).openapi('RolloutList');

export const dryRunResultSchema = z
  .object({ dryRun: z.literal(true), rollout: rolloutViewSchema })
  .openapi('DryRunResult');

/** What an operation answers: the rollout, and why nothing changed when it was already where asked. */
export const operationResultSchema = rolloutViewSchema
  .extend({ unchanged: z.string().optional() })
  .openapi('OperationResult');
export type OperationResult = z.infer<typeof operationResultSchema>;

export const promoteBodySchema = z.strictObject({ full: z.boolean().optional() }).openapi('PromoteOptions');

export const OPERATIONS = ['promote', 'abort', 'retry', 'pause', 'resume'] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Verbs a token can be granted; each route needs one. */
export const VERBS = ['read', 'write', 'operate'] as const;
export type Verb = (typeof VERBS)[number];
