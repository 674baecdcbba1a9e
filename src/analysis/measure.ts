/**
 * Turns provider answers into Measurements for one metric of one rollout. Built-in metrics read
 * cumulative counters per pod and keep the last look in a cursor (stored with the rollout), so each
 * measurement is the exact increment since the previous one; query metrics are one value each.
 */
import { PlanValidationError } from '../errors';
import { z } from 'zod';
import type { MetricSpec } from '../plan/schema';
import { counterIncrements, counterSnapshotSchema, type CounterSnapshot } from './counters';
import type { MetricProvider } from './providers/metricProvider';
import { countsFrom, hasSeries, histogramsFrom, type RevisionTarget } from './revisionSeries';
import type { Measurement, Sample } from './types';

export { counterIncrements } from './counters';

/** The rollout a metric is measured for. */
export interface MeasureTarget extends RevisionTarget {
  intervalMs: number;
  /** The metric's index in spec.analysis.metrics, so errors name its field path. */
  metricIndex?: number;
}

export interface MeasureResult {
  /** Undefined on the first look of a counter metric: it only records the baseline. */
  measurement?: Measurement;
  /** Opaque to the caller: store it and pass it to the next call. */
  cursor: unknown;
}

const cursorSchema = z.object({
  v: z.literal(1),
  metric: z.enum(['errorRate', 'latency']),
  series: counterSnapshotSchema,
});
type Cursor = z.infer<typeof cursorSchema>;

function metricPath(metric: MetricSpec, target: MeasureTarget): string {
  return target.metricIndex !== undefined
    ? `spec.analysis.metrics[${target.metricIndex}]`
    : `spec.analysis.metrics[name=${metric.name}]`;
}

function refused(path: string, reason: string): PlanValidationError {
  return new PlanValidationError([
    {
      path,
      message: `Prometheus refused the query: ${reason} (the plan should have been refused before the rollout started)`,
    },
  ]);
}

/** The last look, or undefined when there is none (or it is not ours: a changed metric starts over). */
function readCursor(cursor: unknown, metric: Cursor['metric']): CounterSnapshot | undefined {
  const parsed = cursorSchema.safeParse(cursor);
  return parsed.success && parsed.data.metric === metric ? parsed.data.series : undefined;
}

async function measureCounters(
  provider: MetricProvider,
  metric: MetricSpec,
  target: MeasureTarget,
  cursor: unknown,
  now: number,
): Promise<MeasureResult> {
  const kind = metric.errorRate ? 'errorRate' : 'latency';
  const promql = provider.builtInQuery(kind === 'errorRate' ? 'requests' : 'latency', target);
  const r = await provider.query(promql, { at: new Date(now), namespace: target.namespace });
  if (r.kind === 'unavailable')
    return { measurement: { kind: 'missing', at: now, reason: `metrics unavailable: ${r.reason}` }, cursor };
  if (r.kind === 'invalidQuery') throw refused(`${metricPath(metric, target)}.${kind}`, r.reason);
  const prev = readCursor(cursor, kind);
  const { increments, next } = counterIncrements(prev ?? {}, r.samples, { now });
  const nextCursor: Cursor = { v: 1, metric: kind, series: next };
  if (prev === undefined) return { cursor: nextCursor };
  if (
    !hasSeries(
      r.samples.map((s: Sample) => s.labels),
      target,
      'canary',
    )
  ) {
    const what = kind === 'errorRate' ? 'http_requests_total' : 'http_request_duration_seconds_bucket';
    return {
      measurement: { kind: 'missing', at: now, reason: `no ${what} series for the canary's pods yet`, query: promql },
      cursor: nextCursor,
    };
  }
  if (kind === 'errorRate')
    return { measurement: { kind: 'counts', at: now, ...countsFrom(increments, target) }, cursor: nextCursor };
  return { measurement: { kind: 'histogram', at: now, ...histogramsFrom(increments, target) }, cursor: nextCursor };
}

async function measureQuery(
  provider: MetricProvider,
  metric: MetricSpec,
  target: MeasureTarget,
  cursor: unknown,
  now: number,
): Promise<MeasureResult> {
  const path = `${metricPath(metric, target)}.query`;
  const promql = provider.renderQuery(metric.query as string, target, path);
  const r = await provider.query(promql, { at: new Date(now), namespace: target.namespace });
  const missing = (reason: string): MeasureResult => ({ measurement: { kind: 'missing', at: now, reason }, cursor });
  if (r.kind === 'unavailable') return missing(`metrics unavailable: ${r.reason}`);
  if (r.kind === 'invalidQuery') throw refused(path, r.reason);
  if (r.samples.length === 0) return missing('no data: the query returned no series');
  if (r.samples.length > 1)
    return missing(
      `the query returned ${r.samples.length} series; expected one (aggregate it, e.g. with sum() or max())`,
    );
  const value = r.samples[0].value;
  if (!Number.isFinite(value)) return missing(`the query returned ${value} (no usable value)`);
  return { measurement: { kind: 'value', at: now, value }, cursor };
}

/**
 * One measurement of `metric` at `now`. Provider unavailable → a `missing` measurement and the cursor
 * unchanged; a query Prometheus refuses → PlanValidationError naming the metric's field.
 */
export function measure(
  provider: MetricProvider,
  metric: MetricSpec,
  target: MeasureTarget,
  cursor: unknown,
  now: number,
): Promise<MeasureResult> {
  if (metric.errorRate || metric.latency) return measureCounters(provider, metric, target, cursor, now);
  if (metric.query !== undefined) return measureQuery(provider, metric, target, cursor, now);
  return Promise.reject(
    new PlanValidationError([
      { path: metricPath(metric, target), message: 'expected exactly one of errorRate, latency or query' },
    ]),
  );
}
