/**
 * Aligned windows over cumulative counters, on Prometheus' own timestamps. Each look brings every
 * series' samples since the previous look (value and the time it was scraped); a window closes only once every series of
 * both revisions has a newer sample than at the last close, so every window holds data from every pod,
 * whatever the scrape interval and each pod's phase, and each pod's counts in it run exactly between two
 * of its own scrapes. Until then a look adds nothing (the judge is never fed a window where one version
 * was not scraped, which would read a spike in both as one version's). Pure.
 *
 * Per series, sample by sample (so a reset between two looks is seen, as increase() sees it): a counter
 * that went down was reset (its new value is what it counted since); a series never
 * seen before counts from zero (a new pod, or a pod's first 5xx); a series that vanishes and comes back
 * continues from its last value, however long it was gone (forgotten only after `forgetAfterMs`).
 * Nothing is summed across series before increments are taken: two containers of one pod reset apart.
 */
import { z } from 'zod';
import type { TimedSample } from './types';

/** One series' state: where its open window starts, its latest sample, and what it counted since the start. */
export const seriesStateSchema = z.object({
  /** The sample timestamp its open window starts after; absent for a series first seen inside the window. */
  start: z.number().optional(),
  value: z.number(),
  ts: z.number(),
  /** The increment since `start` (counter resets handled). */
  pending: z.number(),
  /** When a look last found it (look time, ms). */
  seenAt: z.number(),
  /** ms between its last two samples: its scrape interval. */
  step: z.number().optional(),
});
export type SeriesState = z.infer<typeof seriesStateSchema>;

export const windowCursorSchema = z.object({
  series: z.record(z.string(), seriesStateSchema),
  /** Look time of the last close (or of the first look). */
  closedAt: z.number(),
  /** Look time of the last look: the next one asks for the samples since. */
  lookedAt: z.number().optional(),
  /** A traffic change was noticed at this look time: a window starting before it is `shifted`. */
  shiftedBefore: z.number().optional(),
});
export type WindowCursor = z.infer<typeof windowCursorSchema>;

/** A series' increment over a closed window. */
export interface SeriesIncrement {
  labels: Record<string, string>;
  increment: number;
}

export interface ClosedWindow {
  series: SeriesIncrement[];
  /** The earliest sample the window starts after and the latest it ends with (Prometheus' clock, ms). */
  from?: number;
  to: number;
  shifted: boolean;
}

export type WindowRole = 'canary' | 'stable';

export interface WindowOptions {
  now: number;
  /** Which revision a series belongs to; series of neither are ignored. */
  roleOf(labels: Readonly<Record<string, string>>): WindowRole | undefined;
  forgetAfterMs?: number;
  maxSeries?: number;
}

/** A series unseen this long is forgotten (a pod long gone); one that comes back later counts from zero. */
export const DEFAULT_FORGET_AFTER_MS = 24 * 3_600_000;
/** At most this many series are remembered (the least recently seen are forgotten first). */
export const DEFAULT_MAX_SERIES = 5000;
/**
 * Prometheus stamps samples with its own clock; a window counts as starting before a traffic change if
 * it starts less than this after the look that noticed the change, so clocks a little apart do not
 * leave a window across a change unmarked.
 */
export const CLOCK_SKEW_MS = 2000;

/** A stable identity for a series: its labels, sorted, without the metric name. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== '__name__')
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

/** The labels a seriesKey was made of. */
export function labelsOf(key: string): Record<string, string> {
  return Object.fromEntries(JSON.parse(key) as [string, string][]);
}

/** Samples in time order (several per series when Prometheus scraped more often than Ramp looked). */
function inTimeOrder(samples: readonly TimedSample[]): TimedSample[] {
  return [...samples].sort((a, b) => a.timestamp - b.timestamp);
}

/** The first look: every series' window starts at its latest sample; nothing is counted. */
export function startWindows(samples: readonly TimedSample[], opts: WindowOptions): WindowCursor {
  const series: Record<string, SeriesState> = {};
  for (const s of inTimeOrder(samples)) {
    if (!Number.isFinite(s.value) || !opts.roleOf(s.labels)) continue;
    series[seriesKey(s.labels)] = { start: s.timestamp, value: s.value, ts: s.timestamp, pending: 0, seenAt: opts.now };
  }
  return { series, closedAt: opts.now, lookedAt: opts.now };
}

/** The cursor with a traffic change noticed at `at`. */
export function markTrafficChange(cursor: WindowCursor, at: number): WindowCursor {
  return { ...cursor, shiftedBefore: at };
}

/** One series' state after its latest sample. */
function advanceSeries(prev: SeriesState | undefined, s: TimedSample, now: number): SeriesState {
  if (prev === undefined) return { value: s.value, ts: s.timestamp, pending: s.value, seenAt: now };
  if (s.timestamp <= prev.ts) return { ...prev, seenAt: now };
  const reset = s.value < prev.value;
  return {
    ...prev,
    value: s.value,
    ts: s.timestamp,
    pending: prev.pending + (reset ? s.value : s.value - prev.value),
    seenAt: now,
    step: s.timestamp - prev.ts,
  };
}

/** Whether a series has a sample newer than its window's start. */
function advanced(st: SeriesState): boolean {
  return st.start === undefined || st.ts > st.start;
}

function forget(series: Record<string, SeriesState>, now: number, forgetAfterMs: number, maxSeries: number): void {
  for (const [k, st] of Object.entries(series)) if (now - st.seenAt > forgetAfterMs) delete series[k];
  const keys = Object.keys(series);
  if (keys.length <= maxSeries) return;
  keys.sort((a, b) => series[a].seenAt - series[b].seenAt);
  for (const k of keys.slice(0, keys.length - maxSeries)) delete series[k];
}

/** What keeps the open window from closing: the roles with series not scraped since its start, or with no series at all. */
export interface Waiting {
  canary: boolean;
  stable: boolean;
}

/**
 * Takes one look's samples (every sample of each series since the last look, in any order): the open
 * window closes when every series present of both revisions has a newer sample than at its start (and
 * both revisions have series). Series present in no answer keep their state (and any increment they
 * had) without holding the window open.
 */
export function advanceWindows(
  cursor: WindowCursor,
  samples: readonly TimedSample[],
  opts: WindowOptions,
): { cursor: WindowCursor; window?: ClosedWindow; waiting: Waiting } {
  const series: Record<string, SeriesState> = { ...cursor.series };
  const present = new Map<string, WindowRole>();
  for (const s of inTimeOrder(samples)) {
    const role = opts.roleOf(s.labels);
    if (!role || !Number.isFinite(s.value)) continue;
    const key = seriesKey(s.labels);
    series[key] = advanceSeries(series[key], s, opts.now);
    present.set(key, role);
  }
  const waiting: Waiting = { canary: true, stable: true };
  const has = { canary: false, stable: false };
  for (const role of present.values()) has[role] = true;
  for (const role of ['canary', 'stable'] as const)
    waiting[role] = !has[role] || [...present].some(([k, r]) => r === role && !advanced(series[k]));
  forget(series, opts.now, opts.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS, opts.maxSeries ?? DEFAULT_MAX_SERIES);
  if (waiting.canary || waiting.stable) return { cursor: { ...cursor, series, lookedAt: opts.now }, waiting };
  return { ...close(cursor, series, present, opts.now), waiting };
}

function close(
  cursor: WindowCursor,
  series: Record<string, SeriesState>,
  present: ReadonlyMap<string, WindowRole>,
  now: number,
): { cursor: WindowCursor; window: ClosedWindow } {
  let from: number | undefined;
  let to = -Infinity;
  for (const key of present.keys()) {
    const st = series[key];
    if (st.start !== undefined) from = from === undefined ? st.start : Math.min(from, st.start);
    to = Math.max(to, st.ts);
  }
  const increments: SeriesIncrement[] = [];
  const next: Record<string, SeriesState> = {};
  for (const [key, st] of Object.entries(series)) {
    if (present.has(key) || st.pending !== 0) increments.push({ labels: labelsOf(key), increment: st.pending });
    next[key] = { ...st, start: st.ts, pending: 0 };
  }
  const shifted =
    cursor.shiftedBefore !== undefined && (from === undefined || from < cursor.shiftedBefore + CLOCK_SKEW_MS);
  return {
    cursor: {
      series: next,
      closedAt: now,
      lookedAt: now,
      ...(cursor.shiftedBefore !== undefined ? { shiftedBefore: cursor.shiftedBefore } : {}),
    },
    window: { series: increments, ...(from !== undefined ? { from } : {}), to, shifted },
  };
}

/** The scrape interval the samples show: the median of the series' last steps (undefined before any). */
export function scrapeInterval(cursor: WindowCursor): number | undefined {
  const steps = Object.values(cursor.series)
    .map((s) => s.step)
    .filter((x): x is number => x !== undefined && x > 0)
    .sort((a, b) => a - b);
  return steps.length ? steps[Math.floor(steps.length / 2)] : undefined;
}
