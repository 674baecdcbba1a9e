/**
 * The analysis vocabulary: what providers answer, what measurements the engine stores, and what judges
 * decide. Schemas (zod) because measurements and verdicts live in the rollout record in Redis and are
 * read back by other workers.
 */
import { z } from 'zod';

/** Request and error counts of one revision in one interval (increments of cumulative counters). */
export const countWindowSchema = z.object({ requests: z.number().min(0), errors: z.number().min(0) });
export type CountWindow = z.infer<typeof countWindowSchema>;

/** Histogram bucket increments of one revision in one interval: `le` upper bounds ascending, counts cumulative per bucket (as Prometheus). */
export const histogramWindowSchema = z.object({
  buckets: z.array(z.object({ le: z.number(), count: z.number().min(0) })),
  count: z.number().min(0),
  sum: z.number().optional(),
});
export type HistogramWindow = z.infer<typeof histogramWindowSchema>;

/**
 * Set when the canary's traffic weight changed during the interval: its share of requests was not steady
 * inside it, so the interval's share does not say where its events were likely to fall (a spike in both
 * versions at the new, larger share would look like the canary's). Tests conditioned on the share count
 * such an interval as exposure only.
 */
const shifted = z.boolean().optional();

export const roleSchema = z.enum(['canary', 'stable']);

/** One pod's request and error increments in a window: what the spread between pods is estimated from. */
export const podCountsSchema = z.object({
  pod: z.string(),
  role: roleSchema,
  requests: z.number().min(0),
  errors: z.number().min(0),
});
export type PodCounts = z.infer<typeof podCountsSchema>;

/** One pod's histogram increments in a window, compact: `counts[i]` is the cumulative count at the measurement's `les[i]`. */
export const podHistogramSchema = z.object({
  pod: z.string(),
  role: roleSchema,
  counts: z.array(z.number().min(0)),
  count: z.number().min(0),
});
export type PodHistogram = z.infer<typeof podHistogramSchema>;

/**
 * Where a window lies on Prometheus' own timestamps (ms): from the earliest sample it starts after to the
 * latest sample it ends with. Every pod's counts in it run between two of that pod's own scrapes.
 */
const span = { from: z.number().optional(), to: z.number().optional() };

export const measurementSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('counts'),
    at: z.number(),
    canary: countWindowSchema,
    stable: countWindowSchema,
    pods: z.array(podCountsSchema).optional(),
    ...span,
    shifted,
  }),
  z.object({
    kind: z.literal('histogram'),
    at: z.number(),
    canary: histogramWindowSchema,
    stable: histogramWindowSchema,
    les: z.array(z.number()).optional(),
    pods: z.array(podHistogramSchema).optional(),
    ...span,
    shifted,
  }),
  z.object({ kind: z.literal('value'), at: z.number(), value: z.number() }),
  /** No usable data: no series, NaN, or the provider unavailable. Judges treat it as inconclusive, never as a pass. */
  z.object({
    kind: z.literal('missing'),
    at: z.number(),
    reason: z.string(),
    /** The query that found nothing, for the verdict's evidence (not its one-line reason). */
    query: z.string().optional(),
  }),
  /**
   * The stable's recent past, read once when the analysis starts (never judged as a window): its pods'
   * increments over `lookbackMs` (how much pods of one version differ) and its totals per `binMs` (how
   * much its rate moves over time). Counts for errorRate, histograms (with `les`) for latency.
   */
  z.object({
    kind: z.literal('baseline'),
    at: z.number(),
    lookbackMs: z.number(),
    binMs: z.number(),
    pods: z.array(podCountsSchema).optional(),
    bins: z.array(countWindowSchema).optional(),
    les: z.array(z.number()).optional(),
    podHistograms: z.array(podHistogramSchema).optional(),
    binHistograms: z.array(histogramWindowSchema).optional(),
  }),
]);
export type Measurement = z.infer<typeof measurementSchema>;

/**
 * Measurements kept per metric in the record. Older ones are folded into the judge's carry, so the
 * verdict still rests on the whole analysis; the bound only keeps the record, which is written on every
 * tick, small (120 latency histograms are about 100 KB) at any interval and analysis length.
 */
export const MAX_MEASUREMENTS = 120;
export type Baseline = Extract<Measurement, { kind: 'baseline' }>;
export type CountsMeasurement = Extract<Measurement, { kind: 'counts' }>;
export type HistogramMeasurement = Extract<Measurement, { kind: 'histogram' }>;

export const decisionSchema = z.enum(['continue', 'pass', 'fail', 'inconclusive']);
export type Decision = z.infer<typeof decisionSchema>;

/** A judge's answer for one metric, with the evidence a human needs to trust it. */
export const verdictSchema = z.object({
  metric: z.string(),
  decision: decisionSchema,
  reason: z.string(),
  evidence: z.record(z.string(), z.union([z.number(), z.string()])),
});
export type Verdict = z.infer<typeof verdictSchema>;

/** One labelled value of an instant query. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** A series' latest sample as the server stored it: its value and its own timestamp (ms), not the query's. */
export interface TimedSample extends Sample {
  timestamp: number;
}

/**
 * How a query went. `unavailable` (timeouts, connection refused, 5xx: worth retrying, inconclusive
 * meanwhile) and `invalidQuery` (the query itself is wrong: the plan should be refused) are answers,
 * not exceptions.
 */
export type ProviderResult =
  | { kind: 'ok'; samples: Sample[] }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'invalidQuery'; reason: string };

/** A provider's answer with something else than samples in it. */
export type ProviderAnswer<T> =
  ({ kind: 'ok' } & T) | { kind: 'unavailable'; reason: string } | { kind: 'invalidQuery'; reason: string };
