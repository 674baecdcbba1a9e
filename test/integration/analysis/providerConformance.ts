/**
 * The conformance suite every MetricProvider passes against its real server: answers with labels and
 * values, scalars, empty results, a refused query, a vanished server and a deadline — each as a
 * result, never a throw — and validate() for each.
 */
import type { MetricProvider } from '../../../src/analysis/providers/metricProvider';
import type { ProviderResult } from '../../../src/analysis/types';
import { waitFor } from '@ramp/sandbox/util/ports';

export interface ConformanceTarget {
  provider: MetricProvider;
  /** A series the server has, with the labels and value below. */
  seriesName: string;
  /** What the series must come back with (labels as a subset). */
  expected?: { labels: Record<string, string>; value: number };
  /** The same provider with another deadline. */
  withTimeout(ms: number): MetricProvider;
  /** Makes the server unreachable (and back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Queries run for namespace `default`, where the target's series live. */
export const NS = { namespace: 'default' };

/** Work that takes a PromQL server well over 100 ms: 1.8 M subquery steps. */
export const SLOW_QUERY = 'count_over_time(vector(1)[30m:1ms])';

function ok(r: ProviderResult): Extract<ProviderResult, { kind: 'ok' }> {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${r.kind}: ${r.reason}`);
  return r;
}

/** Registers the suite for one provider; `setup` runs once (beforeAll), `close` after all. */
export function describeProviderConformance(name: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`MetricProvider conformance: ${name}`, () => {
    let t: ConformanceTarget;

    beforeAll(async () => {
      t = await setup();
    }, 90_000);
    afterAll(async () => {
      await t?.close();
    });

    it('returns a known series with its labels and value', async () => {
      const r = ok(await t.provider.query(t.seriesName, NS));
      expect(r.samples.length).toBeGreaterThan(0);
      for (const s of r.samples) expect(s.labels.__name__).toBe(t.seriesName);
      if (t.expected) {
        const { labels, value } = t.expected;
        const match = r.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
        expect(match).toBeDefined();
        expect(match?.value).toBe(value);
      }
      expect(await t.provider.validate(t.seriesName, NS)).toEqual({ ok: true });
    });

    it('returns a scalar as one sample without labels, and evaluates at the time asked', async () => {
      expect(ok(await t.provider.query('scalar(vector(42))', NS)).samples).toEqual([{ labels: {}, value: 42 }]);
      const at = new Date(Date.now() - 3_600_000);
      expect(ok(await t.provider.query('time()', { at, ...NS })).samples[0].value).toBeCloseTo(at.getTime() / 1000, 2);
      expect(await t.provider.validate('scalar(vector(42))', NS)).toEqual({ ok: true });
    });

    it('keeps NaN and ±Inf as numbers', async () => {
      const values = ok(
        await t.provider.query(
          'vector(0/0) or label_replace(vector(1/0), "s", "+", "", "") or label_replace(vector(-1/0), "s", "-", "", "")',
          NS,
        ),
      ).samples;
      expect(values.map((s) => s.value).sort()).toEqual([-Infinity, Infinity, NaN].sort());
    });

    it('answers an empty result as ok with no samples', async () => {
      const q = `${t.seriesName}{conformance_label_that_does_not_exist="x"}`;
      expect(await t.provider.query(q, NS)).toEqual({ kind: 'ok', samples: [] });
      expect(await t.provider.validate(q, NS)).toEqual({ ok: true });
    });

    it('confines every query to the namespace it runs for', async () => {
      const elsewhere = { namespace: 'conformance-elsewhere' };
      expect(await t.provider.query(t.seriesName, elsewhere)).toEqual({ kind: 'ok', samples: [] });
      expect(await t.provider.query(`${t.seriesName}{namespace="${NS.namespace}"}`, elsewhere)).toEqual({
        kind: 'ok',
        samples: [],
      });
      expect(await t.provider.query('count({__name__=~".+"})', elsewhere)).toEqual({ kind: 'ok', samples: [] });
      expect(ok(await t.provider.query('count({__name__=~".+"})', NS)).samples[0].value).toBeGreaterThan(0);
    });

    it('classifies a syntax error as invalidQuery with its position', async () => {
      const r = await t.provider.query('sum(', NS);
      expect(r.kind).toBe('invalidQuery');
      expect(r.kind !== 'ok' && r.reason).toMatch(/not valid PromQL at line 1, column 5/);
      const v = await t.provider.validate('sum(', NS);
      expect(v.ok).toBe(false);
      expect(!v.ok && v.reason).toMatch(/not valid PromQL/);
    });

    it('classifies a deadline passed as unavailable, promptly', async () => {
      const fast = t.withTimeout(25);
      const began = Date.now();
      const r = await fast.query(SLOW_QUERY, NS);
      expect(r).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/did not answer within 25 ms/) });
      expect(Date.now() - began).toBeLessThan(1000);
      expect((await fast.validate(SLOW_QUERY, NS)).ok).toBeUndefined();
    });

    it('classifies a stopped server as unavailable (not a throw), and recovers when it is back', async () => {
      await t.stop();
      try {
        const r = await t.provider.query(t.seriesName, NS);
        expect(r.kind).toBe('unavailable');
        expect(r.kind !== 'ok' && r.reason.length).toBeGreaterThan(0);
        const v = await t.provider.validate(t.seriesName, NS);
        expect(v.ok).toBeUndefined();
      } finally {
        await t.start();
      }
      await waitFor(
        async () => (await t.provider.query(t.seriesName, NS)).kind === 'ok',
        'the provider to answer again',
        30_000,
        200,
      );
    });
  });
}
