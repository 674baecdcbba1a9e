/**
 * What one plan may cost, checked when a plan comes in (the API, `ramp lint`), each refusal naming its
 * field: a plan is a namespace token's way to make Ramp work — query Prometheus, hold timers, create
 * pods — so its size and rate are bounded like a request's. Stored records are not checked again (a
 * limit that tightens must not make existing rollouts unreadable). Pure.
 */
import type { FieldProblem } from '../errors';
import { formatDuration, parseDuration } from './duration';

export const PLAN_LIMITS = {
  /** Metrics in spec.analysis.metrics. */
  metrics: 20,
  /** Items in any list of the strategy block (steps, batches, matches). */
  listItems: 100,
  /** The pod template, as JSON. */
  templateBytes: 64 * 1024,
  /** One query metric's PromQL. */
  queryLength: 4096,
  /** Metric queries per second one rollout may cost: metrics ÷ analysis interval. */
  queriesPerSecond: 10,
  /** Any duration (pauses, analysis, deadlines, delays). */
  durationMs: 7 * 24 * 3_600_000,
} as const;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

const DURATION_TEXT = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
/** Keys whose values are names, never durations (a route may be called `5m`). */
const NAME_KEYS = new Set(['name', 'httpRoute', 'service', 'query', 'revisionLabel', 'provider']);

/** Every list under `v` longer than the limit, and every duration string beyond the bound, with their paths. */
function walk(v: unknown, path: string, out: FieldProblem[], key = ''): void {
  if (Array.isArray(v)) {
    if (v.length > PLAN_LIMITS.listItems)
      out.push({ path, message: `expected at most ${PLAN_LIMITS.listItems} items, got ${v.length}` });
    else v.forEach((item, i) => walk(item, `${path}[${i}]`, out));
    return;
  }
  if (typeof v === 'string' && !NAME_KEYS.has(key) && DURATION_TEXT.test(v)) {
    const ms = v.length > 32 ? undefined : parseDuration(v);
    if (ms === undefined || ms > PLAN_LIMITS.durationMs)
      out.push({
        path,
        message: `expected a duration of at most ${formatDuration(PLAN_LIMITS.durationMs)}, got ${v.slice(0, 40)}`,
      });
    return;
  }
  if (typeof v === 'object' && v !== null)
    for (const [k, child] of Object.entries(v)) walk(child, path ? `${path}.${k}` : k, out, k);
}

function metricProblems(analysis: Json): FieldProblem[] {
  const metrics = analysis.metrics;
  if (!Array.isArray(metrics)) return [];
  if (metrics.length > PLAN_LIMITS.metrics)
    return [
      {
        path: 'spec.analysis.metrics',
        message: `expected at most ${PLAN_LIMITS.metrics} metrics, got ${metrics.length}`,
      },
    ];
  const out: FieldProblem[] = [];
  metrics.forEach((m, i) => {
    const q = obj(m).query;
    if (typeof q === 'string' && q.length > PLAN_LIMITS.queryLength)
      out.push({
        path: `spec.analysis.metrics[${i}].query`,
        message: `expected a query of at most ${PLAN_LIMITS.queryLength} characters, got ${q.length}`,
      });
  });
  const intervalMs = typeof analysis.interval === 'string' ? parseDuration(analysis.interval) : 5000;
  const perSecond = intervalMs ? (metrics.length * 1000) / intervalMs : 0;
  if (perSecond > PLAN_LIMITS.queriesPerSecond)
    out.push({
      path: 'spec.analysis.interval',
      message: `${metrics.length} metrics every ${analysis.interval} is ${perSecond} queries a second; at most ${PLAN_LIMITS.queriesPerSecond}: look less often or measure fewer metrics`,
    });
  return out;
}

/** What a plan (as submitted, before or after its schema) asks beyond the limits; empty when nothing. */
export function planLimitProblems(input: unknown): FieldProblem[] {
  const spec = obj(obj(input).spec);
  const out: FieldProblem[] = [];
  if (spec.template !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(spec.template) ?? '');
    if (bytes > PLAN_LIMITS.templateBytes)
      out.push({
        path: 'spec.template',
        message: `expected a pod template of at most ${PLAN_LIMITS.templateBytes} bytes as JSON, got ${bytes}`,
      });
  }
  const analysis = obj(spec.analysis);
  out.push(...metricProblems(analysis));
  walk(spec.strategy, 'spec.strategy', out);
  walk({ ...analysis, metrics: undefined }, 'spec.analysis', out);
  if (Array.isArray(analysis.metrics) && analysis.metrics.length <= PLAN_LIMITS.metrics)
    walk(analysis.metrics, 'spec.analysis.metrics', out);
  walk(spec.progressDeadline, 'spec.progressDeadline', out);
  return out;
}
