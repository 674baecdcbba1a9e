/**
 * `spec.strategy.canary`: the plan block (steps setWeight, pause, analyze, setCanaryScale; a router; the
 * scale-down delay), its checks against the rest of the plan and the router's capabilities, and its
 * compiled form.
 */
import { type FieldProblem } from '../../errors';
import { z } from 'zod';
import { routerRefOf, routerSpecSchema, type RouterRef } from '../../kube/routers/registry';
import type { RouterCapabilities } from '../../kube/routers/trafficRouter';
import { durationSchema, formatDuration, parseDuration } from '../../plan/duration';
import { intRange } from '../../plan/fields';
import type { PlanFacts } from '../strategy';
import type { TrafficMatch } from '../traffic';
import { podsForWeight } from './pods';

const setWeightStep = z.strictObject({ setWeight: intRange(0, 100) });
export const pauseStep = z.strictObject({ pause: z.strictObject({ duration: durationSchema({ min: 0 }).optional() }) });
export const analyzeStep = z.strictObject({
  analyze: z
    .strictObject({ min: durationSchema().optional(), max: durationSchema().optional() })
    .refine((a) => !a.min || !a.max || (parseDuration(a.min) ?? 0) <= (parseDuration(a.max) ?? 0), {
      error: 'expected min to be at most max',
    }),
});
const setCanaryScaleStep = z.strictObject({
  setCanaryScale: z
    .strictObject({
      replicas: intRange(0, 10_000).optional(),
      weight: intRange(0, 100).optional(),
      matchTrafficWeight: z.literal(true).optional(),
    })
    .refine((s) => Object.keys(s).length === 1, {
      error: 'expected exactly one of replicas, weight or matchTrafficWeight',
    }),
});

export const STEP_KINDS = ['setWeight', 'pause', 'analyze', 'setCanaryScale'] as const;

/** What a step written as a scalar (`pause: 30s`) was most likely meant to be. */
const SHORTHAND: Partial<Record<(typeof STEP_KINDS)[number], (v: string) => string>> = {
  pause: (v) => `expected pause: { duration: ${v} } (or pause: {} to wait for ramp promote)`,
  analyze: (v) => `expected analyze: { min: ${v} } (an object with min and/or max)`,
  setCanaryScale: (v) => `expected setCanaryScale: { replicas: ${v} } (or weight, or matchTrafficWeight: true)`,
};

/** One canary step; exactly one key (anything else, a non-object included, gets one message naming them). */
export const stepSchema = z.union([setWeightStep, pauseStep, analyzeStep, setCanaryScaleStep], {
  error: (iss) => {
    const input: unknown = iss.input;
    if (!input || typeof input !== 'object' || Array.isArray(input))
      return `expected a step: one of ${STEP_KINDS.join(', ')}`;
    const keys = Object.keys(input);
    if (keys.length !== 1 || !STEP_KINDS.includes(keys[0] as never))
      return `expected exactly one of ${STEP_KINDS.join(', ')}`;
    const value: unknown = (input as Record<string, unknown>)[keys[0]];
    const hint = SHORTHAND[keys[0] as (typeof STEP_KINDS)[number]];
    if (hint && (typeof value === 'string' || typeof value === 'number')) return hint(String(value));
    return undefined;
  },
});
export type Step = z.output<typeof stepSchema>;

export const canarySpecSchema = z.strictObject({
  /** Default: replicaRatio (no router: traffic follows the share of ready pods). */
  router: routerSpecSchema.optional(),
  steps: z.array(stepSchema, { error: 'expected a list of steps' }).min(1, { error: 'expected at least one step' }),
  /** How long the old ReplicaSet keeps its pods after promotion, so undo is instant. */
  scaleDownDelay: durationSchema({ min: 0 }).default('30s'),
});
export type CanarySpec = z.output<typeof canarySpecSchema>;

/**
 * A slice of requests that goes to the new revision whatever the weight (gray release): its matches, the
 * share of users among them (for the canary's size), and how people read each match.
 */
export interface CompiledSlice {
  kind: 'setSlice';
  matches: TrafficMatch[];
  /** Per match, what it means (`5% of users by header x-user-id`), for displays. */
  labels: string[];
  /** The share of users the slice's user-id match covers, in percent (0 without one). */
  usersPercent: number;
}

export type CompiledStep =
  | { kind: 'setWeight'; weight: number; sticky?: string }
  | CompiledSlice
  | { kind: 'pause'; durationMs?: number }
  | { kind: 'analyze'; minMs: number; maxMs?: number }
  | { kind: 'setCanaryScale'; replicas?: number; weight?: number; matchTrafficWeight?: boolean };

/** The canary block compiled: steps with durations in milliseconds. */
export interface CanaryConfig {
  /** The strategy whose block this is: canary, or gray (which adds setSlice steps). */
  strategy?: 'canary' | 'gray';
  steps: CompiledStep[];
  scaleDownDelayMs: number;
}

function ms(d: string): number {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`not a duration: ${d} (the schema should have refused it)`);
  return v;
}

export function compileStep(s: Step): CompiledStep {
  if ('setWeight' in s) return { kind: 'setWeight', weight: s.setWeight };
  if ('pause' in s)
    return { kind: 'pause', durationMs: s.pause.duration !== undefined ? ms(s.pause.duration) : undefined };
  if ('analyze' in s)
    return {
      kind: 'analyze',
      minMs: s.analyze.min ? ms(s.analyze.min) : 0,
      maxMs: s.analyze.max ? ms(s.analyze.max) : undefined,
    };
  return { kind: 'setCanaryScale', ...s.setCanaryScale };
}

export function compileCanary(spec: CanarySpec): CanaryConfig {
  return { steps: spec.steps.map(compileStep), scaleDownDelayMs: ms(spec.scaleDownDelay) };
}

export function canaryRouter(spec: CanarySpec): RouterRef {
  return routerRefOf(spec.router);
}

/** A step as people read it: `setWeight 25`, `pause 30s`, `analyze (min 1m)`. */
export function describeStep(step: CompiledStep): string {
  switch (step.kind) {
    case 'setWeight':
      return step.sticky ? `setWeight ${step.weight} (sticky)` : `setWeight ${step.weight}`;
    case 'setSlice':
      return step.labels.length ? `slice: ${step.labels.join(' + ')}` : 'slice: none';
    case 'pause':
      return step.durationMs === undefined ? 'pause until promoted' : `pause ${formatDuration(step.durationMs)}`;
    case 'analyze':
      return `analyze (min ${formatDuration(step.minMs)}${step.maxMs !== undefined ? `, max ${formatDuration(step.maxMs)}` : ''})`;
    case 'setCanaryScale':
      return `setCanaryScale ${step.replicas !== undefined ? `${step.replicas} replicas` : step.weight !== undefined ? `${step.weight}%` : 'to match traffic'}`;
  }
}

/** The smallest share one pod of `replicas` gives, in percent to one decimal. */
function onePod(replicas: number): string {
  return `${Math.round(1000 / replicas) / 10}%`;
}

/**
 * Checks that need the rest of the plan: analyze steps need metrics and traffic before them; metrics need
 * a traffic step; with a router that splits by pods, every weight must be expressible in whole pods
 * (at least one pod: otherwise the step would send nothing) and setCanaryScale is meaningless.
 */
export function checkCanary(spec: CanarySpec, facts: PlanFacts, capabilities: RouterCapabilities): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const podsMode = capabilities.weights === 'pods';
  let traffic = false;
  spec.steps.forEach((st, i) => {
    if ('setWeight' in st && st.setWeight > 0) {
      traffic = true;
      if (podsMode && podsForWeight(facts.replicas, st.setWeight) === 0)
        problems.push({
          path: `steps[${i}].setWeight`,
          message: `without a router the new revision's share of requests is its share of ready pods, and ${facts.replicas} replica${facts.replicas === 1 ? '' : 's'} cannot give ${st.setWeight}%: the nearest it can is 0% or ${onePod(facts.replicas)} (1 pod of ${facts.replicas}); use one of those, more replicas, or a router that splits by weight (gatewayApi)`,
        });
    }
    if ('setCanaryScale' in st && podsMode)
      problems.push({
        path: `steps[${i}].setCanaryScale`,
        message:
          'setCanaryScale needs a router that splits traffic by weight (gatewayApi): without one the canary’s pods are its traffic',
      });
    if (!('analyze' in st)) return;
    if (facts.metricCount === 0)
      problems.push({ path: `steps[${i}].analyze`, message: 'an analyze step needs spec.analysis.metrics' });
    else if (!traffic)
      problems.push({
        path: `steps[${i}].analyze`,
        message: 'an analyze step needs traffic to the canary first: put a setWeight step (above 0) before it',
      });
  });
  if (facts.metricCount > 0 && !traffic)
    problems.push({
      path: 'steps',
      message: 'the metrics can only judge a canary that gets traffic: add a setWeight step above 0',
    });
  return problems;
}
