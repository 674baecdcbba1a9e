/**
 * Aligned windows over cumulative counters (analysis/counters.ts): every window holds data from every
 * pod of both versions, increments are exact per series through resets, vanished series and new ones,
 * and a window reaching back before a traffic change is marked shifted. Property tests over random
 * scrape schedules (fast-check, seeded).
 */
import fc from 'fast-check';
import {
  advanceWindows,
  markTrafficChange,
  scrapeInterval,
  seriesKey,
  startWindows,
  type WindowCursor,
  type WindowOptions,
} from '../../../src/analysis/counters';
import type { TimedSample } from '../../../src/analysis/types';
import { createRng } from '@ramp/sandbox/util/random';

const roleOf: WindowOptions['roleOf'] = (l) =>
  l.pod?.startsWith('web-c') ? 'canary' : l.pod?.startsWith('web-s') ? 'stable' : undefined;
const opts = (now: number): WindowOptions => ({ now, roleOf });
const s = (pod: string, value: number, timestamp: number, extra: Record<string, string> = {}): TimedSample => ({
  labels: { __name__: 'http_requests_total', pod, code: '200', ...extra },
  value,
  timestamp,
});
const byPod = (w: { series: { labels: Record<string, string>; increment: number }[] } | undefined) =>
  Object.fromEntries(
    (w?.series ?? []).map((x) => [`${x.labels.pod}/${x.labels.code}${x.labels.container ?? ''}`, x.increment]),
  );

describe('aligned windows', () => {
  it('closes only once every pod of both versions has a sample newer than the last close', () => {
    let c = startWindows([s('web-c-a', 10, 1000), s('web-s-a', 100, 1500), s('web-s-b', 50, 2000)], opts(2000));
    // 15 s later only the canary and one stable pod have been scraped again: no window yet.
    let r = advanceWindows(c, [s('web-c-a', 14, 16000), s('web-s-a', 140, 16500), s('web-s-b', 50, 2000)], opts(17000));
    expect(r.window).toBeUndefined();
    expect(r.waiting).toEqual({ canary: false, stable: true });
    c = r.cursor;
    r = advanceWindows(c, [s('web-c-a', 14, 16000), s('web-s-a', 140, 16500), s('web-s-b', 80, 17000)], opts(18000));
    expect(byPod(r.window)).toEqual({ 'web-c-a/200': 4, 'web-s-a/200': 40, 'web-s-b/200': 30 });
    expect(r.window).toMatchObject({ from: 1000, to: 17000, shifted: false });
  });

  it('counts a reset as what the counter counted since, per series: two containers of one pod reset apart', () => {
    const two = (a: number, b: number, t: number) => [
      s('web-c-a', a, t, { container: 'app' }),
      s('web-c-a', b, t, { container: 'sidecar' }),
      s('web-s-a', t / 100, t),
    ];
    const c = startWindows(two(500, 7, 1000), opts(1000));
    // The sidecar restarted (7 → 2): it counted 2 since; the app went on (500 → 530).
    const r = advanceWindows(c, two(530, 2, 6000), opts(6000));
    expect(byPod(r.window)).toMatchObject({ 'web-c-a/200app': 30, 'web-c-a/200sidecar': 2 });
  });

  it('counts a series first seen from zero (a pod’s first 5xx), and one that vanished for long from where it was', () => {
    let c = startWindows([s('web-c-a', 10, 1000), s('web-s-a', 100, 1000)], opts(1000));
    let r = advanceWindows(
      c,
      [s('web-c-a', 12, 6000), s('web-c-a', 3, 6000, { code: '500' }), s('web-s-a', 110, 6000)],
      opts(6000),
    );
    expect(byPod(r.window)).toEqual({ 'web-c-a/200': 2, 'web-c-a/500': 3, 'web-s-a/200': 10 });
    c = r.cursor;
    // The 500 series goes stale for 20 minutes (no errors scraped), then comes back at 4: one more, not 4.
    for (let t = 11_000; t < 1_211_000; t += 5000)
      c = advanceWindows(c, [s('web-c-a', 12, t), s('web-s-a', 110 + t / 1e5, t)], opts(t)).cursor;
    r = advanceWindows(
      c,
      [s('web-c-a', 12, 1_216_000), s('web-c-a', 4, 1_216_000, { code: '500' }), s('web-s-a', 200, 1_216_000)],
      opts(1_216_000),
    );
    expect(byPod(r.window)['web-c-a/500']).toBe(1);
  });

  it('keeps a gone pod’s last increment and stops waiting for it', () => {
    const c = startWindows([s('web-c-a', 0, 0), s('web-s-a', 0, 0), s('web-s-b', 0, 0)], opts(0));
    const r1 = advanceWindows(c, [s('web-c-a', 5, 5000), s('web-s-a', 9, 5000), s('web-s-b', 7, 4000)], opts(5000));
    expect(byPod(r1.window)).toMatchObject({ 'web-s-b/200': 7 });
    // web-s-b was deleted: it is no longer in the answers, and the window closes without it.
    const r2 = advanceWindows(r1.cursor, [s('web-c-a', 8, 10000), s('web-s-a', 12, 10000)], opts(10000));
    expect(byPod(r2.window)).toEqual({ 'web-c-a/200': 3, 'web-s-a/200': 3 });
  });

  it('marks a window shifted when it starts before the look that noticed a traffic change, and the next ones not', () => {
    let c = startWindows([s('web-c-a', 0, 0), s('web-s-a', 0, 1000)], opts(1000));
    c = markTrafficChange(c, 20_000);
    const r1 = advanceWindows(c, [s('web-c-a', 5, 30_000), s('web-s-a', 5, 31_000)], opts(31_000));
    expect(r1.window?.shifted).toBe(true);
    const r2 = advanceWindows(r1.cursor, [s('web-c-a', 9, 60_000), s('web-s-a', 9, 61_000)], opts(61_000));
    expect(r2.window?.shifted).toBe(false);
  });

  it('tells the scrape interval from the samples', () => {
    let c: WindowCursor = startWindows([s('web-c-a', 0, 0), s('web-s-a', 0, 7000)], opts(7000));
    expect(scrapeInterval(c)).toBeUndefined();
    c = advanceWindows(c, [s('web-c-a', 1, 30_000), s('web-s-a', 1, 37_000)], opts(40_000)).cursor;
    expect(scrapeInterval(c)).toBe(30_000);
    expect(seriesKey({ code: '200', pod: 'p', __name__: 'x' })).toBe(seriesKey({ pod: 'p', code: '200' }));
  });

  /** A pod's counter scraped every `every` ms from `phase` for 12 minutes, increasing, reset now and then (seeded). */
  const podSchedule = fc.record({
    every: fc.constantFrom(1000, 5000, 15_000, 30_000, 60_000),
    phase: fc.integer({ min: 0, max: 59_999 }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    resets: fc.constantFrom(0, 0.02, 0.2),
  });
  const SPAN_MS = 12 * 60_000;

  it('sums to exactly what each counter counted, and every window has a new sample from every pod (random scrapes, phases, resets)', () => {
    fc.assert(
      fc.property(
        fc.array(podSchedule, { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 1000, max: 10_000 }),
        (pods, look) => {
          const names = pods.map((_, i) => (i === 0 ? 'web-c-0' : `web-s-${i}`));
          // Each pod's samples: value after each scrape (a reset restarts from that scrape's additions).
          const samples = pods.map((p) => {
            const rng = createRng(p.seed);
            let v = 0;
            return Array.from({ length: Math.floor(SPAN_MS / p.every) }, (_, k) => {
              v = (k > 0 && rng() < p.resets ? 0 : v) + Math.floor(rng() * 50);
              return { t: (p.phase % p.every) + k * p.every, v };
            });
          });
          const end = Math.min(...samples.map((x) => x[x.length - 1].t));
          const latest = (i: number, t: number) => {
            const xs = samples[i];
            let lo = -1;
            for (let hi = xs.length; hi - lo > 1;) {
              const mid = (lo + hi) >> 1;
              if (xs[mid].t <= t) lo = mid;
              else hi = mid;
            }
            return lo >= 0 ? xs[lo] : undefined;
          };
          // A look asks for every sample since the previous look, and at least 2.5 scrape intervals (as measure.ts does).
          const range = Math.max(look + 5000, 2.5 * Math.max(...pods.map((p) => p.every)));
          const answer = (from: number, t: number) =>
            names.flatMap((n, i) =>
              samples[i].filter((x) => x.t > Math.min(from - 5000, t - range) && x.t <= t).map((x) => s(n, x.v, x.t)),
            );
          const start = Math.max(...samples.map((x) => x[0].t));
          let c = startWindows(answer(start - 60_000, start), opts(start));
          const at0 = names.map((_, i) => latest(i, start)?.t ?? -1);
          const sums = new Map<string, number>();
          let lastClose = names.map((_, i) => latest(i, start)?.t ?? -1);
          let closed = 0;
          for (let t = start + look; t <= end; t += look) {
            const r = advanceWindows(c, answer(t - look, t), opts(t));
            c = r.cursor;
            if (!r.window) continue;
            closed++;
            for (const x of r.window.series) sums.set(x.labels.pod, (sums.get(x.labels.pod) ?? 0) + x.increment);
            const now = names.map((_, i) => latest(i, t)?.t ?? -1);
            now.forEach((ts, i) => expect(ts).toBeGreaterThan(lastClose[i]));
            lastClose = now;
          }
          expect(closed).toBeGreaterThan(0);
          // What Prometheus' increase() would say between the first look's sample and the last close's: a
          // drop is a reset (a reset that happens to land at or above the old value cannot be seen by anyone).
          names.forEach((n, i) => {
            let expected = 0;
            for (const x of samples[i]) {
              if (x.t <= at0[i] || x.t > lastClose[i]) continue;
              const prev = samples[i][samples[i].indexOf(x) - 1];
              expected += x.v < prev.v ? x.v : x.v - prev.v;
            }
            expect(sums.get(n) ?? 0).toBe(expected);
          });
        },
      ),
      { seed: 13, numRuns: 150 },
    );
  });
});
