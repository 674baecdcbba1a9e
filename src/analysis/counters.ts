/**
 * Increments of cumulative counters between two looks, series by series, as Prometheus' `increase`
 * treats them but exact: a counter that went down was reset (its new value is what it counted since),
 * a series first seen counts from zero, a series that vanished contributes nothing. Pure.
 */
import { z } from 'zod';
import type { Sample } from './types';

/** The last value seen of one series and when (ms since the epoch). */
export const counterStateSchema = z.object({ value: z.number(), seenAt: z.number() });
export type CounterState = z.infer<typeof counterStateSchema>;

/** Every series' last look, by seriesKey. Stored in the rollout record (JSON), hence plain objects. */
export const counterSnapshotSchema = z.record(z.string(), counterStateSchema);
export type CounterSnapshot = z.infer<typeof counterSnapshotSchema>;

/** How a series' increment was worked out. */
export type IncrementKind = 'continued' | 'reset' | 'new';

export interface Increment {
  key: string;
  labels: Record<string, string>;
  increment: number;
  kind: IncrementKind;
}

/**
 * How long a series that vanished is remembered: Prometheus' default lookback. A series that blinks
 * (a missed scrape writes a staleness marker) and comes back must continue from its old value, not
 * count its whole history again as if new.
 */
export const DEFAULT_FORGET_AFTER_MS = 5 * 60_000;

/** A stable identity for a series: its labels, sorted, without the metric name. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== '__name__')
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/**
 * The increment of every series in `samples` since `prev`, and the snapshot for the next look.
 * Samples whose value is not finite are skipped (their previous state is kept). Series missing from
 * `samples` stay in the snapshot for `forgetAfterMs` after they were last seen.
 */
export function counterIncrements(
  prev: Readonly<CounterSnapshot>,
  samples: readonly Sample[],
  opts: { now: number; forgetAfterMs?: number },
): { increments: Increment[]; next: CounterSnapshot; gone: string[] } {
  const forgetAfterMs = opts.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
  const next: CounterSnapshot = {};
  const increments: Increment[] = [];
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const key = seriesKey(s.labels);
    const before = Object.prototype.hasOwnProperty.call(prev, key) ? prev[key] : undefined;
    const kind: IncrementKind = before === undefined ? 'new' : s.value < before.value ? 'reset' : 'continued';
    increments.push({
      key,
      labels: s.labels,
      increment: kind === 'continued' ? s.value - (before as CounterState).value : s.value,
      kind,
    });
    next[key] = { value: s.value, seenAt: opts.now };
  }
  const gone: string[] = [];
  for (const [key, state] of Object.entries(prev)) {
    if (Object.prototype.hasOwnProperty.call(next, key)) continue;
    gone.push(key);
    if (opts.now - state.seenAt <= forgetAfterMs) next[key] = state;
  }
  return { increments, next, gone };
}
