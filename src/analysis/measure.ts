/**
 * Turns provider answers into Measurements for one metric of one rollout. Built-in metrics read every
 * counter series of both revisions with its own sample timestamp and cut aligned windows from them
 * (counters.ts): a measurement is a window in which every pod of both versions was scraped, never
 * "whatever moved since the last look". The first look reads the stable's recent past instead (a
 * `baseline`: how much its pods differ and its rate moves). Query metrics are one value each.
 */
import { PlanValidationError } from '../errors';
import { z } from 'zod';
import type { MetricSpec } from '../plan/schema';
import { formatDuration } from '../plan/duration';
import {
  advanceWindows,
  labelsOf as seriesLabels,
  markTrafficChange,
  scrapeInterval,
  startWindows,
  windowCursorSchema,
  type ClosedWindow,
  type WindowCursor,
} from './counters';
import type { MetricProvider } from './providers/metricProvider';
import {
  countsByPod,
  countsOfUnlabelled,
  histogramOfUnlabelled,
  histogramsByPod,
  roleOf,
  type Increment,
  type RevisionTarget,
} from './revisionSeries';
import type { Baseline, Measurement, Sample } from './types';

/** The rollout a metric is measured for. */
export interface MeasureTarget extends RevisionTarget {
  intervalMs: number;
  /** The metric's index in spec.analysis.metrics, so errors name its field path. */
  metricIndex?: number;
}

export interface MeasureOptions {
  /** The traffic split changed since the previous look: windows reaching back before now are `shifted`. */
  trafficChanged?: boolean;
}

export interface MeasureResult {
  /** Undefined while a window is still open (some pod not scraped since it began). */
  measurement?: Measurement;
  /** Opaque to the caller: store it and pass it to the next call. */
  cursor: unknown;
}

/**
 * How far back a look asks for samples: since the previous look (and a little more, for samples stored
 * late), and at least 2.5 scrape intervals, so every series scraped at all shows (a series with no sample
 * in the range counts as gone); SAMPLES_LOOKBACK_MS (Prometheus' own lookback) until the interval is
 * known, and at most that.
 */
export const SAMPLES_LOOKBACK_MS = 5 * 60_000;
const SAMPLES_SLACK_MS = 5000;

/** The range a look asks for (ms). */
export function samplesRangeMs(cursor: WindowCursor | undefined, now: number): number {
  const step = cursor ? scrapeInterval(cursor) : undefined;
  if (!cursor || step === undefined) return SAMPLES_LOOKBACK_MS;
  const since = now - (cursor.lookedAt ?? cursor.closedAt) + SAMPLES_SLACK_MS;
  return Math.min(SAMPLES_LOOKBACK_MS, Math.max(since, 2.5 * step, 10_000));
}

/** How far back the baseline looks, and the bins it cuts the stable's rate into. */
export const BASELINE_LOOKBACK_MS = 3_600_000;
export const BASELINE_BIN_MS = 300_000;

/**
 * A window that has not closed for this long (no new sample from some pod of one version) is reported
 * as missing data: at least a minute, four scrape intervals, three looks.
 */
export function stallAfterMs(cursor: WindowCursor, intervalMs: number): number {
  return Math.max(60_000, 4 * (scrapeInterval(cursor) ?? 0), 3 * intervalMs);
}

const cursorSchema = z.object({
  v: z.literal(2),
  metric: z.enum(['errorRate', 'latency']),
  windows: windowCursorSchema,
});
type Cursor = z.infer<typeof cursorSchema>;
type Kind = Cursor['metric'];

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

/** The windows so far, or undefined when there are none (or they are not ours: a changed metric starts over). */
function readCursor(cursor: unknown, metric: Kind): WindowCursor | undefined {
  const parsed = cursorSchema.safeParse(cursor);
  return parsed.success && parsed.data.metric === metric ? parsed.data.windows : undefined;
}

function increments(samples: readonly Sample[]): Increment[] {
  return samples.map((s) => ({ labels: s.labels, increment: s.value }));
}

/** The stable's recent past as the first measurement. */
async function baseline(provider: MetricProvider, kind: Kind, target: MeasureTarget, now: number) {
  const h = await provider.counterHistory(kind === 'errorRate' ? 'requests' : 'latency', target, {
    at: new Date(now),
    lookbackMs: BASELINE_LOOKBACK_MS,
    binMs: BASELINE_BIN_MS,
  });
  if (h.kind !== 'ok') return h;
  const head = { kind: 'baseline' as const, at: now, lookbackMs: BASELINE_LOOKBACK_MS, binMs: BASELINE_BIN_MS };
  const stableOnly = { ...target, canaryRevision: '\u0000' };
  if (kind === 'errorRate') {
    const { pods } = countsByPod(increments(h.pods), stableOnly);
    const measurement: Baseline = { ...head, pods, bins: h.bins.map((b) => countsOfUnlabelled(increments(b))) };
    return { kind: 'ok' as const, measurement };
  }
  const { les, pods } = histogramsByPod(increments(h.pods), stableOnly);
  const measurement: Baseline = {
    ...head,
    les,
    podHistograms: pods,
    binHistograms: h.bins.map((b) => histogramOfUnlabelled(increments(b))),
  };
  return { kind: 'ok' as const, measurement };
}

function windowMeasurement(kind: Kind, w: ClosedWindow, target: MeasureTarget, now: number): Measurement {
  const at = {
    at: now,
    ...(w.from !== undefined ? { from: w.from } : {}),
    to: w.to,
    ...(w.shifted ? { shifted: true } : {}),
  };
  if (kind === 'errorRate') return { kind: 'counts', ...at, ...countsByPod(w.series, target) };
  return { kind: 'histogram', ...at, ...histogramsByPod(w.series, target) };
}

async function measureCounters(
  provider: MetricProvider,
  metric: MetricSpec,
  target: MeasureTarget,
  cursor: unknown,
  now: number,
  opts: MeasureOptions,
): Promise<MeasureResult> {
  const kind: Kind = metric.errorRate ? 'errorRate' : 'latency';
  const counters = kind === 'errorRate' ? 'requests' : 'latency';
  let prev = readCursor(cursor, kind);
  if (prev && opts.trafficChanged) prev = markTrafficChange(prev, now);
  const keep = (windows: WindowCursor | undefined): unknown =>
    windows ? ({ v: 2, metric: kind, windows } satisfies Cursor) : cursor;
  const missing = (reason: string, windows = prev, query?: string): MeasureResult => ({
    measurement: { kind: 'missing', at: now, reason, ...(query !== undefined ? { query } : {}) },
    cursor: keep(windows),
  });
  const sinceMs = samplesRangeMs(prev, now);
  const r = await provider.counterSamples(counters, target, { at: new Date(now), sinceMs });
  if (r.kind === 'unavailable') return missing(`metrics unavailable: ${r.reason}`);
  if (r.kind === 'invalidQuery') throw refused(`${metricPath(metric, target)}.${kind}`, r.reason);
  const roles = { now, roleOf: (labels: Readonly<Record<string, string>>) => roleOf(labels, target) };
  if (prev === undefined) {
    const b = await baseline(provider, kind, target, now);
    if (b.kind === 'unavailable') return missing(`metrics unavailable: ${b.reason}`);
    if (b.kind === 'invalidQuery') throw refused(`${metricPath(metric, target)}.${kind}`, b.reason);
    return { measurement: b.measurement, cursor: keep(startWindows(r.samples, roles)) };
  }
  const step = advanceWindows(prev, r.samples, roles);
  if (step.window) return { measurement: windowMeasurement(kind, step.window, target, now), cursor: keep(step.cursor) };
  const what = kind === 'errorRate' ? 'http_requests_total' : 'http_request_duration_seconds_bucket';
  const seenCanary = Object.keys(step.cursor.series).some((k) => roleOf(seriesLabels(k), target) === 'canary');
  if (!seenCanary) return missing(`no ${what} series for the canary's pods yet`, step.cursor, r.query);
  const open = now - prev.closedAt;
  if (open > stallAfterMs(step.cursor, target.intervalMs)) {
    const who = [step.waiting.canary ? 'canary' : '', step.waiting.stable ? 'stable' : '']
      .filter(Boolean)
      .join(' and ');
    return missing(
      `no new ${what} samples from every ${who} pod for ${formatDuration(open)}: the window cannot close`,
      step.cursor,
    );
  }
  return { cursor: keep(step.cursor) };
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
 * One measurement of `metric` at `now` (or none, while a window is open). Provider unavailable → a
 * `missing` measurement and the windows unchanged; a query Prometheus refuses → PlanValidationError
 * naming the metric's field.
 */
export function measure(
  provider: MetricProvider,
  metric: MetricSpec,
  target: MeasureTarget,
  cursor: unknown,
  now: number,
  opts: MeasureOptions = {},
): Promise<MeasureResult> {
  if (metric.errorRate || metric.latency) return measureCounters(provider, metric, target, cursor, now, opts);
  if (metric.query !== undefined) return measureQuery(provider, metric, target, cursor, now);
  return Promise.reject(
    new PlanValidationError([
      { path: metricPath(metric, target), message: 'expected exactly one of errorRate, latency or query' },
    ]),
  );
}
