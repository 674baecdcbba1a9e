/**
 * `spec.strategy.rolling`: the plan block (maxSurge and maxUnavailable as a Deployment has them, batches
 * with an optional gate after each), its checks against the rest of the plan, and its compiled form: a
 * list of steps — batches and the gates between them — with pod counts resolved once.
 */
import { z } from 'zod';
import type { FieldProblem } from '../../errors';
import { DEFAULT_ROUTER, type RouterRef } from '../../kube/routers/registry';
import { durationSchema, formatDuration, parseDuration } from '../../plan/duration';
import { intRange } from '../../plan/fields';
import type { PlanFacts } from '../strategy';

const PERCENT = /^(\d{1,3})%$/;

function ms(d: string): number {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`not a duration: ${d} (the schema should have refused it)`);
  return v;
}

/** A number of pods, or a share of spec.replicas (`25%`). */
function amountSchema(min: number) {
  const msg = `expected a number of pods (an integer ≥ ${min}) or a percentage of spec.replicas like 25%`;
  return z.union([
    intRange(min, 10_000),
    z.string({ error: msg }).refine(
      (v) => {
        const m = PERCENT.exec(v);
        return !!m && Number(m[1]) >= min && Number(m[1]) <= 100;
      },
      { error: `expected a percentage ${min}%–100%` },
    ),
  ]);
}

const analyzeGate = z
  .strictObject({ min: durationSchema().optional(), max: durationSchema().optional() })
  .refine((a) => !a.min || !a.max || (parseDuration(a.min) ?? 0) <= (parseDuration(a.max) ?? 0), {
    error: 'expected min to be at most max',
  });

/** A batch: how many pods are new once it is done (a count, or a share of spec.replicas), and what to wait for then. */
const batchObject = z
  .strictObject({
    replicas: amountSchema(1),
    /** Stay until the judge passes (not before min); past max, inconclusive. */
    analyze: analyzeGate.optional(),
    /** Wait this long, or (no duration) until `ramp promote`. */
    pause: z.strictObject({ duration: durationSchema({ min: 0 }).optional() }).optional(),
  })
  .refine((b) => !(b.analyze && b.pause), { error: 'expected at most one gate: analyze or pause' });

const batchSchema = z.union([amountSchema(1), batchObject], {
  error: 'expected a batch: a number of pods, a percentage like 25%, or { replicas, analyze?, pause? }',
});
type Batch = z.output<typeof batchSchema>;

export const rollingSpecSchema = z.strictObject({
  /** Pods above spec.replicas while replacing (a Deployment's maxSurge; a percentage rounds up). */
  maxSurge: amountSchema(0).default('25%'),
  /** Pods below spec.replicas that may be unready while replacing (a Deployment's maxUnavailable; a percentage rounds down). */
  maxUnavailable: amountSchema(0).default('25%'),
  /** Increasing, ending at 100%; absent: one batch of 100% (a Deployment's rolling update). */
  batches: z
    .array(batchSchema, { error: 'expected a list of batches' })
    .min(1, { error: 'expected at least one batch' })
    .optional(),
});
export type RollingSpec = z.output<typeof rollingSpecSchema>;

/** A number of pods, or a share of spec.replicas. */
export type Amount = { count: number } | { percent: number };

export type RollingStep =
  | { kind: 'batch'; size: Amount; batch: number }
  | { kind: 'analyze'; minMs: number; maxMs?: number }
  | { kind: 'pause'; durationMs?: number };

/** The rolling block compiled. */
export interface RollingConfig {
  maxSurge: Amount;
  maxUnavailable: Amount;
  steps: RollingStep[];
  /** How many batches there are (the last step is the last batch). */
  batches: number;
}

function amountOf(v: number | string): Amount {
  return typeof v === 'number' ? { count: v } : { percent: Number(PERCENT.exec(v)?.[1] ?? 0) };
}

function batchParts(b: Batch): {
  size: number | string;
  analyze?: { min?: string; max?: string };
  pause?: { duration?: string };
} {
  return typeof b === 'object' ? { size: b.replicas, analyze: b.analyze, pause: b.pause } : { size: b };
}

export function compileRolling(spec: RollingSpec): RollingConfig {
  const batches = spec.batches ?? ['100%'];
  const steps: RollingStep[] = [];
  batches.forEach((b, i) => {
    const { size, analyze, pause } = batchParts(b);
    steps.push({ kind: 'batch', size: amountOf(size), batch: i });
    if (analyze)
      steps.push({
        kind: 'analyze',
        minMs: analyze.min ? ms(analyze.min) : 0,
        maxMs: analyze.max ? ms(analyze.max) : undefined,
      });
    if (pause) steps.push({ kind: 'pause', durationMs: pause.duration !== undefined ? ms(pause.duration) : undefined });
  });
  return {
    maxSurge: amountOf(spec.maxSurge),
    maxUnavailable: amountOf(spec.maxUnavailable),
    steps,
    batches: batches.length,
  };
}

/** Rolling has no router: the stable Service selects every revision, so traffic follows the pods. */
export function rollingRouter(): RouterRef {
  return DEFAULT_ROUTER;
}

/** Pods of `replicas` an amount stands for; a percentage rounds `up` or `down` (floating-point dust aside). */
export function podsOf(a: Amount, replicas: number, round: 'up' | 'down'): number {
  if ('count' in a) return a.count;
  const x = (replicas * a.percent) / 100;
  return round === 'up' ? Math.ceil(x - 1e-9) : Math.floor(x + 1e-9);
}

/** Pods new once batch `size` is done: a percentage rounds up (never 0), a count is what it says, both at most replicas. */
export function batchPods(size: Amount, replicas: number): number {
  return Math.min(replicas, Math.max(1, podsOf(size, replicas, 'up')));
}

/**
 * maxSurge and maxUnavailable in pods, as a Deployment resolves them: the surge rounds up, the
 * unavailability down, and when both come to 0 one pod may be unavailable (the plan's checks refuse
 * both written as 0).
 */
export function resolveBounds(c: RollingConfig, replicas: number): { surge: number; unavailable: number } {
  const surge = podsOf(c.maxSurge, replicas, 'up');
  const unavailable = Math.min(replicas, podsOf(c.maxUnavailable, replicas, 'down'));
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

function amountText(a: Amount): string {
  return 'count' in a ? String(a.count) : `${a.percent}%`;
}

/** A step as people read it: `batch 1/3: 1 of 10 pods new`, `analyze (min 30s)`, `pause until promoted`. */
export function describeRollingStep(step: RollingStep, c: RollingConfig, replicas: number): string {
  switch (step.kind) {
    case 'batch': {
      const pods = batchPods(step.size, replicas);
      const share = 'percent' in step.size ? ` (${amountText(step.size)})` : '';
      return `batch ${step.batch + 1}/${c.batches}: ${pods} of ${replicas} pods new${share}`;
    }
    case 'analyze':
      return `analyze (min ${formatDuration(step.minMs)}${step.maxMs !== undefined ? `, max ${formatDuration(step.maxMs)}` : ''})`;
    case 'pause':
      return step.durationMs === undefined ? 'pause until promoted' : `pause ${formatDuration(step.durationMs)}`;
  }
}

const isZero = (v: number | string) => v === 0 || v === '0%';

function batchPath(spec: RollingSpec, i: number): string {
  return typeof spec.batches?.[i] === 'object' ? `batches[${i}].replicas` : `batches[${i}]`;
}

function checkBatches(spec: RollingSpec, facts: PlanFacts): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const batches = spec.batches ?? [];
  let before = 0;
  batches.forEach((b, i) => {
    const { size, analyze, pause } = batchParts(b);
    const pods = batchPods(amountOf(size), facts.replicas);
    if (typeof size === 'number' && size > facts.replicas)
      problems.push({ path: batchPath(spec, i), message: `expected at most spec.replicas (${facts.replicas}) pods` });
    else if (pods <= before)
      problems.push({
        path: batchPath(spec, i),
        message: `expected more new pods than the batch before: ${amountText(amountOf(size))} of ${facts.replicas} replicas is ${pods} pod${pods === 1 ? '' : 's'}, and the batch before already has ${before}`,
      });
    before = Math.max(before, pods);
    const last = i === batches.length - 1;
    if (last && pods < facts.replicas)
      problems.push({
        path: batchPath(spec, i),
        message: `expected the last batch to be 100% (or ${facts.replicas}): a rolling update ends with every pod replaced`,
      });
    if (last && (analyze || pause))
      problems.push({
        path: `batches[${i}].${analyze ? 'analyze' : 'pause'}`,
        message:
          'no gate after the last batch: every pod is new by then and there is nothing left to compare with; gate an earlier batch',
      });
    if (analyze && facts.metricCount === 0)
      problems.push({ path: `batches[${i}].analyze`, message: 'an analyze gate needs spec.analysis.metrics' });
  });
  return problems;
}

/**
 * Checks that need the rest of the plan: maxSurge and maxUnavailable not both 0, batches that increase
 * and end at 100%, no gate after the last batch, analyze gates with metrics, and metrics with a batch
 * before the last (the judge compares the new pods with the old ones, so some of both must serve).
 */
export function checkRolling(spec: RollingSpec, facts: PlanFacts): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (isZero(spec.maxSurge) && isZero(spec.maxUnavailable))
    problems.push({
      path: 'maxSurge',
      message:
        'maxSurge and maxUnavailable are both 0: no pod could be replaced (no pod above spec.replicas, none below); allow one of them',
    });
  problems.push(...checkBatches(spec, facts));
  if (facts.metricCount > 0 && (spec.batches?.length ?? 1) < 2)
    problems.push({
      path: 'batches',
      message:
        'the metrics compare the new pods with the old ones while both serve, and the last batch replaces every old pod: add a batch before 100% (e.g. batches: [25%, 100%])',
    });
  return problems;
}
