/**
 * Security: a team-a rollout cannot read another namespace's series through PromQL. One real
 * Prometheus scrapes team-a's pod (3 requests) and team-b's three pods (900,001–900,003 requests each);
 * every query shape below is first run as it is against Prometheus — where it does read team-b, so each
 * attack is real — and then through the Prometheus provider for namespace team-a, which must answer only
 * from team-a's series. The numbers reach tenants as measurements (then verdict evidence and events), so
 * measure() is checked too, and the provider's reasons for failed queries carry nothing the server said.
 * Judge v2's provider methods (counterSamples' range selectors, counterHistory's instant and range
 * queries, queryRange) go through the same scoping: they are tried with a target whose stable revision
 * names team-b's pods, with every attack above as a range query, and with the built-in query builders
 * made to return unscoped queries.
 */
import { queryInstant, waitFor, type InstantSample } from '@ramp/sandbox';
import { measure } from '../../../src/analysis/measure';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import * as promql from '../../../src/analysis/providers/prometheus/promql';
import type { ProviderResult, Sample } from '../../../src/analysis/types';
import { metricSchema } from '../../../src/plan/schema';
import { startPrometheusWithTargets, type PrometheusHarness } from '../analysis/prometheusHarness';

jest.setTimeout(120_000);

const A = { namespace: 'team-a' };
const TEAM_A_REQUESTS = 3;
const TEAM_B = [
  { ip: '127.1.92.20', pod: 'web-bbbb-1', value: 900_001, namespace: 'team-b' },
  { ip: '127.1.92.21', pod: 'web-bbbb-2', value: 900_002, namespace: 'team-b' },
  { ip: '127.1.92.22', pod: 'web-bbbb-3', value: 900_003, namespace: 'team-b' },
];

/** Whether a text or number came from team-b: its names, its addresses, or a number of its magnitude. */
function fromTeamB(v: string | number): boolean {
  if (typeof v === 'string' && /team-b|bbbb|127\.1\.92\.2/.test(v)) return true;
  const n = Math.abs(Number(v));
  return Number.isFinite(n) && n >= 900_000 && n < 10_000_000;
}

function leaks(samples: readonly (Sample | InstantSample)[]): boolean {
  return samples.some((s) => {
    const labels: Record<string, string> = 'labels' in s ? s.labels : s.metric;
    return fromTeamB(s.value) || Object.values(labels).some(fromTeamB);
  });
}

function ok(r: ProviderResult): Sample[] {
  if (r.kind !== 'ok') throw new Error(`${r.kind}: ${r.reason}`);
  return r.samples;
}

/** A query as it is against Prometheus (no scoping), its range or matrix answer flattened to samples. */
async function rawMatrix(url: string, q: string, params: Record<string, string>): Promise<Sample[]> {
  const endpoint = params.step !== undefined ? 'query_range' : 'query';
  const res = await fetch(`${url.replace(/\/$/, '')}/api/v1/${endpoint}`, {
    method: 'POST',
    body: new URLSearchParams({ query: q, ...params }),
  });
  const body = (await res.json()) as {
    data: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][] }[] };
  };
  if (body.data.resultType !== 'matrix') throw new Error(`${q}: a ${body.data.resultType}, not a matrix`);
  return body.data.result.flatMap((r) => (r.values ?? []).map(([, v]) => ({ labels: r.metric, value: Number(v) })));
}

/** Every number and text anywhere in a value (a measurement, an answer), but its durations (`…Ms`). */
function leaksAnywhere(v: unknown): boolean {
  if (typeof v === 'string' || typeof v === 'number') return fromTeamB(v);
  if (Array.isArray(v)) return v.some(leaksAnywhere);
  if (v && typeof v === 'object')
    return Object.entries(v).some(([k, x]) => fromTeamB(k) || (!k.endsWith('Ms') && leaksAnywhere(x)));
  return false;
}

/** Every shape tried: the raw query reads team-b (checked), the scoped one must not. */
const ATTACKS = [
  'http_requests_total',
  'sum(http_requests_total)',
  'http_requests_total{namespace="team-b"}',
  'http_requests_total{namespace=~".+"}',
  'http_requests_total{namespace=~"team-a|team-b"}',
  'http_requests_total{namespace!="team-a"}',
  'http_requests_total{namespace="team-a"} or http_requests_total{namespace="team-b"}',
  '{__name__="http_requests_total", namespace="team-b"}',
  '{__name__=~".+"}',
  '{__name__=~".+", namespace="team-b"}',
  '{__name__=~"http_.*", namespace!=""}',
  'sum by (namespace, pod) ({__name__=~"http_.*"})',
  'group by (namespace, pod, instance) ({__name__=~".+"})',
  'label_replace(http_requests_total{namespace="team-b"}, "namespace", "team-a", "", "")',
  'label_replace(http_requests_total, "stolen", "$1", "pod", "(.*)")',
  'label_join(http_requests_total, "x", ",", "namespace", "pod")',
  'count_values("v", http_requests_total)',
  'sum(http_requests_total{namespace="team-a"}) + on() group_left sum(http_requests_total{namespace="team-b"})',
  'vector(1) + on() group_left sum(http_requests_total)',
  'http_requests_total * on() group_left() sum(http_requests_total{namespace="team-b"})',
  'max_over_time(sum(http_requests_total{namespace="team-b"})[1m:5s])',
  'max_over_time(http_requests_total{namespace=~".*"}[5m])',
  'http_requests_total{namespace="team-b"} offset 1s',
  'http_requests_total{namespace="team-b"} @ end()',
  'topk(10, http_requests_total)',
  'sort_desc(http_requests_total)',
  'scalar(sum(http_requests_total{namespace="team-b"}))',
  'sum without (namespace) (http_requests_total)',
  'http_requests_total unless on(pod) http_requests_total{namespace="team-a"}',
  'count by (__name__, namespace) ({namespace="team-b"})',
  'quantile_over_time(0.5, http_requests_total{namespace="team-b"}[5m])',
  'http_requests_total{namespace="team-b"} > bool 0',
  '-http_requests_total{namespace="team-b"}',
  '(((http_requests_total{namespace="team-b"})))',
  'http_requests_total{namespace="team-b"} # a comment\n or vector(0)',
];

describe('security: tenant isolation of metric queries (real Prometheus)', () => {
  let h: PrometheusHarness;
  let provider: PrometheusProvider;

  beforeAll(async () => {
    h = await startPrometheusWithTargets([
      { ip: '127.1.92.10', pod: 'web-aaaa-1', value: TEAM_A_REQUESTS, namespace: 'team-a' },
      ...TEAM_B,
    ]);
    provider = new PrometheusProvider({ address: h.url, timeoutMs: 10_000 });
    // Offsets and subqueries look a few seconds back: wait until there is history there — for a subquery,
    // a sample before its last 5 s-aligned step (which a few scrapes on a busy machine may not reach yet).
    await waitFor(
      async () =>
        (await queryInstant(h.url, 'count_over_time(http_requests_total{pod="web-bbbb-1"}[1m] offset 2s)'))[0]?.value >=
          3 &&
        (await queryInstant(h.url, 'max_over_time(sum(http_requests_total{pod="web-bbbb-1"})[1m:5s])')).length > 0,
      'a few seconds of history',
      30_000,
      250,
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each(ATTACKS)('%s: reads team-b as it is, only team-a through the provider', async (q) => {
    expect(leaks(await queryInstant(h.url, q))).toBe(true);
    const scoped = ok(await provider.query(q, A));
    expect(leaks(scoped)).toBe(false);
    for (const s of scoped) if (s.labels.namespace !== undefined) expect(s.labels.namespace).toBe('team-a');
  });

  it('counts only team-a series, whatever the selector says', async () => {
    const [aSeries] = await queryInstant(h.url, 'count({namespace="team-a"})');
    for (const q of [
      'count({__name__=~".+"})',
      'count({__name__=~".+", namespace=~".*"})',
      'count({namespace=~"team-.+"})',
    ]) {
      expect((await queryInstant(h.url, q))[0].value).toBeGreaterThan(aSeries.value);
      expect(ok(await provider.query(q, A))).toEqual([{ labels: {}, value: aSeries.value }]);
    }
    expect((await queryInstant(h.url, 'count(http_requests_total)'))[0].value).toBe(4);
    expect(ok(await provider.query('count(http_requests_total{namespace="team-b"})', A))).toEqual([
      { labels: {}, value: 1 },
    ]);
  });

  it('cannot tell whether team-b has a series (absent, absent_over_time)', async () => {
    for (const q of [
      'absent(http_requests_total{pod="web-bbbb-1"})',
      'absent_over_time(http_requests_total{namespace="team-b", pod="web-bbbb-2"}[5m])',
    ]) {
      expect(await queryInstant(h.url, q)).toEqual([]);
      const scoped = ok(await provider.query(q, A));
      expect(scoped).toHaveLength(1);
      expect(scoped[0].value).toBe(1);
    }
  });

  it("measures a query metric from team-a's series only: the number a verdict's evidence would show", async () => {
    const metric = metricSchema.parse({
      name: 'stolen',
      query: 'sum(http_requests_total{namespace="team-b"}) + sum(http_requests_total{namespace="{{namespace}}"})',
      threshold: { max: 1e12 },
    });
    const target = {
      namespace: 'team-a',
      app: 'web',
      canaryRevision: 'aaaa',
      stableRevision: 'cccc',
      intervalMs: 5000,
    };
    const r = await measure(provider, metric, target, undefined, Date.now());
    expect(r.measurement).toMatchObject({ kind: 'value', value: 2 * TEAM_A_REQUESTS });
  });

  describe("judge v2's provider methods", () => {
    /** team-a's rollout whose stable revision is named like team-b's pods (web-bbbb-…). */
    const target = { namespace: 'team-a', app: 'web', canaryRevision: 'aaaa', stableRevision: 'bbbb' };
    const range = () => {
      const end = Date.now();
      return { namespace: 'team-a', start: end - 30_000, end, stepMs: 5_000 };
    };
    const asParams = (r: { start: number; end: number; stepMs: number }) => ({
      start: (r.start / 1000).toFixed(3),
      end: (r.end / 1000).toFixed(3),
      step: String(r.stepMs / 1000),
    });

    afterEach(() => jest.restoreAllMocks());

    it.each(ATTACKS)('queryRange %s: reads team-b as it is, only team-a through the provider', async (q) => {
      const r = range();
      expect(leaks(await rawMatrix(h.url, q, asParams(r)))).toBe(true);
      const scoped = ok(await provider.queryRange(q, r));
      expect(leaks(scoped)).toBe(false);
      for (const s of scoped) if (s.labels.namespace !== undefined) expect(s.labels.namespace).toBe('team-a');
    });

    it("counterSamples reads team-a's series only, though the stable revision names team-b's pods", async () => {
      const unscoped = 'http_requests_total{pod=~"web-(?:aaaa|bbbb)-.+"}[1m]';
      expect(leaks(await rawMatrix(h.url, unscoped, {}))).toBe(true);
      const r = await provider.counterSamples('requests', target, { at: new Date(), sinceMs: 60_000 });
      if (r.kind !== 'ok') throw new Error(`${r.kind}: ${r.reason}`);
      expect(r.samples.length).toBeGreaterThan(0);
      expect(leaksAnywhere(r.samples)).toBe(false);
      expect(new Set(r.samples.map((s) => `${s.labels.namespace}/${s.labels.pod}`))).toEqual(
        new Set(['team-a/web-aaaa-1']),
      );
    });

    it.each(['http_requests_total[1m]', '{__name__=~".+", namespace="team-b"}[1m]'])(
      'counterSamples scopes what it sends even if the built-in query were %s',
      async (q) => {
        expect(leaks(await rawMatrix(h.url, q, {}))).toBe(true);
        jest.spyOn(promql, 'samplesQuery').mockReturnValue(q);
        const r = await provider.counterSamples('requests', target, { at: new Date(), sinceMs: 60_000 });
        if (r.kind !== 'ok') throw new Error(`${r.kind}: ${r.reason}`);
        expect(r.samples.length).toBeGreaterThan(0);
        expect(leaksAnywhere(r.samples)).toBe(false);
      },
    );

    it("counterHistory reads team-a's stable only: none of team-b's pods named like it", async () => {
      const r = await provider.counterHistory('requests', target, {
        at: new Date(),
        lookbackMs: 60_000,
        binMs: 15_000,
      });
      expect(r).toMatchObject({ kind: 'ok', pods: [] });
      expect(leaksAnywhere(r)).toBe(false);
    });

    it('counterHistory scopes both of its queries even if the built-in ones named no namespace', async () => {
      const pods = 'max_over_time(http_requests_total[1m])';
      const bins = 'max by (pod) (http_requests_total{namespace=~".+"})';
      expect(leaks(await queryInstant(h.url, pods))).toBe(true);
      expect(leaks(await rawMatrix(h.url, bins, asParams(range())))).toBe(true);
      jest.spyOn(promql, 'historyPodsQuery').mockReturnValue(pods);
      jest.spyOn(promql, 'historyBinsQuery').mockReturnValue(bins);
      const r = await provider.counterHistory('requests', target, {
        at: new Date(),
        lookbackMs: 60_000,
        binMs: 15_000,
      });
      if (r.kind !== 'ok') throw new Error(`${r.kind}: ${r.reason}`);
      expect(r.pods.length).toBeGreaterThan(0);
      expect(r.bins.flat().length).toBeGreaterThan(0);
      expect(leaksAnywhere(r)).toBe(false);
    });

    it("measures the built-in error rate from team-a's series only (baseline, then windows)", async () => {
      const metric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 1.5 } });
      const t = { ...target, intervalMs: 5000 };
      const first = await measure(provider, metric, t, undefined, Date.now());
      expect(leaksAnywhere(first)).toBe(false);
      await new Promise((r) => setTimeout(r, 2_000));
      const second = await measure(provider, metric, t, first.cursor, Date.now());
      expect(leaksAnywhere(second)).toBe(false);
    });
  });

  it('says nothing of what Prometheus answered to a query it cannot evaluate', async () => {
    const dup = await provider.query(
      'label_replace(http_requests_total or label_replace(http_requests_total, "x", "y", "", ""), "x", "", "", "")',
      A,
    );
    expect(dup).toEqual({ kind: 'invalidQuery', reason: 'Prometheus could not evaluate the query (execution error)' });
  });
});
