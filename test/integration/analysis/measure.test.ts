/**
 * measure() against a sandbox: demo-app pods of two revisions, named as Ramp names them, serving
 * requests this test sends and counts itself; the real Prometheus scrapes them. The counts per
 * revision must equal what the client saw, through restarts, new pods and gone pods. The first look is
 * the stable's baseline; after it a look gives a window once every pod of both revisions was scraped
 * since the last one (judge v2's aligned windows), so the tests look until one closes.
 */
import { PlanValidationError } from '../../../src/errors';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { queryInstant, resource, Sandbox, waitFor } from '@ramp/sandbox';
import { silentLogger } from '../../../src/observability/logger';
import { measure, type MeasureResult, type MeasureTarget } from '../../../src/analysis/measure';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import { ThresholdJudge } from '../../../src/analysis/judges/threshold';
import { histogramQuantile } from '../../../src/analysis/histogram';
import type { Measurement } from '../../../src/analysis/types';
import { metricSchema } from '../../../src/plan/schema';

jest.setTimeout(180_000);

const pods = resource('pods');
const STABLE = 's1aaaaaaaa';
const CANARY = 'c2bbbbbbbb';
const errorsMetric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 50 } });
const latencyMetric = metricSchema.parse({
  name: 'latency',
  latency: { quantile: 0.5, maxRatio: 1.2, minRequests: 50 },
});

/** Codes the client saw. */
interface Tally {
  ok: number;
  errors: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function get(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: ip, port: 8080, path: '/checkout', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `n` requests to the pod at `ip`, 8 at a time; returns what came back. */
async function hit(ip: string, n: number): Promise<Tally> {
  const t: Tally = { ok: 0, errors: 0 };
  let left = n;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        left--;
        const code = await get(ip);
        if (code === 200) t.ok++;
        else if (code === 500) t.errors++;
        else throw new Error(`unexpected HTTP ${code} from ${ip}`);
      }
    }),
  );
  return t;
}

function admin(ip: string, body: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: ip,
        port: 8080,
        path: '/admin/config',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`admin answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('measure() on a sandbox with two revisions', () => {
  let sb: Sandbox;
  let dir: string;
  let provider: PrometheusProvider;
  const ns = `measure-${randomBytes(3).toString('hex')}`;
  const target = (): MeasureTarget => ({
    namespace: ns,
    app: 'web',
    canaryRevision: CANARY,
    stableRevision: STABLE,
    intervalMs: 5000,
  });

  const podNamed = (name: string) => sb.registry.tryGet(pods, ns, name) as Pod | undefined;
  const ipOf = (name: string) => podNamed(name)?.status?.podIP ?? '';

  /** A demo-app pod of `revision`, as a Ramp ReplicaSet would name and label it. */
  async function createPod(revision: string, suffix: string): Promise<string> {
    const name = `web-${revision}-${suffix}`;
    sb.registry.create(pods, ns, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: 'web', 'ramp.dev/app': 'web', 'ramp.dev/revision': revision } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'web',
            image: 'ramp.dev/demo-app:v1',
            env: [{ name: 'VERSION', value: revision }],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
          },
        ],
      },
    });
    await waitFor(
      () => podNamed(name)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      `${name} to be ready`,
      30_000,
      100,
    );
    return name;
  }

  /** Waits until Prometheus holds `expected` as the sum of `metric` over `pod`'s series. */
  async function scraped(metric: string, pod: string, expected: number): Promise<void> {
    await waitFor(
      async () =>
        (await queryInstant(sb.urls.prometheus ?? '', `sum(${metric}{namespace="${ns}",pod="${pod}"})`)).some(
          (s) => s.value === expected,
        ),
      `${pod}'s ${metric} to reach ${expected} in Prometheus`,
      30_000,
      200,
    );
  }

  /** Counter totals per pod as the client knows them. */
  const served = new Map<string, number>();
  async function send(pod: string, n: number): Promise<Tally> {
    const t = await hit(ipOf(pod), n);
    served.set(pod, (served.get(pod) ?? 0) + n);
    return t;
  }
  const settle = (...podNames: string[]) =>
    Promise.all(podNames.map((p) => scraped('http_requests_total', p, served.get(p) ?? 0)));

  let stableA: string;
  let stableB: string;
  let canary: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ramp-measure-'));
    sb = await Sandbox.start({ dir, redis: false, backoff: { initialMs: 200, maxMs: 1000 }, logger: silentLogger() });
    sb.registry.ensureNamespace(ns);
    provider = new PrometheusProvider({ address: sb.urls.prometheus ?? '', timeoutMs: 5000 });
    [stableA, stableB, canary] = await Promise.all([
      createPod(STABLE, 'x1abc'),
      createPod(STABLE, 'x2def'),
      createPod(CANARY, 'y1ghi'),
    ]);
  }, 90_000);

  afterAll(async () => {
    agent.destroy();
    await sb?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Looks from `from` until a window closes (a look before every pod was scraped again adds nothing). */
  async function untilWindow(metric: typeof errorsMetric, t: MeasureTarget, from: unknown): Promise<MeasureResult> {
    let r: MeasureResult = { cursor: from };
    await waitFor(
      async () => {
        r = await measure(provider, metric, t, r.cursor, Date.now());
        return r.measurement !== undefined;
      },
      'a window to close',
      30_000,
      250,
    );
    return r;
  }

  let cursor: unknown;
  const history: Measurement[] = [];
  function keep(r: MeasureResult): MeasureResult {
    cursor = r.cursor;
    if (r.measurement) history.push(r.measurement);
    return r;
  }
  /** One look, whatever it gives. */
  const look = async (): Promise<MeasureResult> =>
    keep(await measure(provider, errorsMetric, target(), cursor, Date.now()));
  /** Looks until a window closes. */
  const lookWindow = async (): Promise<MeasureResult> => keep(await untilWindow(errorsMetric, target(), cursor));

  it('records only a baseline first: traffic from before the rollout is not counted', async () => {
    await send(stableA, 120);
    await send(stableB, 80);
    await send(canary, 10);
    await settle(stableA, stableB, canary);
    const r = await look();
    expect(r.measurement).toMatchObject({ kind: 'baseline' });
    expect(cursor).toBeDefined();
  });

  it('counts requests and 5xx per revision exactly as the client saw them', async () => {
    await admin(ipOf(canary), { errorRate: 0.3 });
    const c = await send(canary, 200);
    const a = await send(stableA, 150);
    const b = await send(stableB, 150);
    await settle(stableA, stableB, canary);
    const { measurement } = await lookWindow();
    expect(c.errors).toBeGreaterThan(20);
    expect(measurement).toMatchObject({
      kind: 'counts',
      canary: { requests: 200, errors: c.errors },
      stable: { requests: 300, errors: a.errors + b.errors },
    });
    expect(a.errors + b.errors).toBe(0);
  });

  it('feeds the threshold judge, which fails a canary at 30% errors', () => {
    const verdict = new ThresholdJudge().judge(history, {
      metric: errorsMetric,
      alpha: 0.01,
      analysisStartedAt: 0,
      now: Date.now(),
    });
    expect(verdict.decision).toBe('fail');
    expect(verdict.evidence).toMatchObject({ canaryRequests: 200, stableRequests: 300 });
  });

  it('treats a restarted pod as a counter reset and counts what it served since', async () => {
    await admin(ipOf(canary), { errorRate: 0 });
    await send(canary, 40);
    await settle(canary);
    expect((await lookWindow()).measurement).toMatchObject({
      canary: { requests: 40, errors: 0 },
      stable: { requests: 0 },
    });

    const before = podNamed(canary)?.status?.containerStatuses?.[0];
    const pid = Number(/^sandbox:\/\/(\d+)$/.exec(before?.containerID ?? '')?.[1]);
    process.kill(pid, 'SIGKILL');
    await waitFor(
      () => {
        const cs = podNamed(canary)?.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) > (before?.restartCount ?? 0) && cs?.ready === true;
      },
      'the canary container to restart and be ready',
      30_000,
      100,
    );
    served.set(canary, 0);
    const after = await send(canary, 25);
    await settle(canary);
    const { measurement } = await lookWindow();
    expect(measurement).toMatchObject({ kind: 'counts', canary: { requests: 25, errors: after.errors } });
  });

  let second: string;
  it('counts a new pod from zero and drops a gone one', async () => {
    second = await createPod(CANARY, 'y2jkl');
    await send(second, 30);
    await settle(second);
    await sb.registry.delete(pods, ns, stableB, { gracePeriodSeconds: 0 });
    await waitFor(
      async () =>
        (await queryInstant(sb.urls.prometheus ?? '', `http_requests_total{namespace="${ns}",pod="${stableB}"}`))
          .length === 0,
      `${stableB} to leave Prometheus`,
      30_000,
      200,
    );
    await send(stableA, 60);
    await settle(stableA);
    const { measurement } = await lookWindow();
    expect(measurement).toMatchObject({
      kind: 'counts',
      canary: { requests: 30, errors: 0 },
      stable: { requests: 60, errors: 0 },
    });
  });

  it('selects revisions by a revision label just the same', async () => {
    const byLabel = { ...target(), revisionLabel: 'ramp_dev_revision' };
    const base = await measure(provider, errorsMetric, byLabel, undefined, Date.now());
    expect(base.measurement).toMatchObject({ kind: 'baseline' });
    await send(canary, 15);
    await send(stableA, 35);
    await settle(canary, stableA);
    const { measurement } = await untilWindow(errorsMetric, byLabel, base.cursor);
    expect(measurement).toMatchObject({ kind: 'counts', canary: { requests: 15 }, stable: { requests: 35 } });
  });

  it('answers missing when the canary has no series at all (no data is not "no traffic")', async () => {
    const ghost = { ...target(), canaryRevision: 'nopods0000' };
    const base = await measure(provider, errorsMetric, ghost, undefined, Date.now());
    const { measurement } = await measure(provider, errorsMetric, ghost, base.cursor, Date.now());
    expect(measurement).toMatchObject({
      kind: 'missing',
      reason: expect.stringMatching(/no http_requests_total series for the canary's pods yet/),
    });
  });

  it('measures latency histograms per revision', async () => {
    await admin(ipOf(canary), { latencyMs: 60 });
    const first = await measure(provider, latencyMetric, target(), undefined, Date.now());
    expect(first.measurement).toMatchObject({ kind: 'baseline' });
    const lcursor = first.cursor;
    await send(canary, 100);
    await send(stableA, 100);
    await Promise.all(
      [canary, stableA].map((p) => scraped('http_request_duration_seconds_count', p, served.get(p) ?? 0)),
    );
    const { measurement } = await untilWindow(latencyMetric, target(), lcursor);
    if (measurement?.kind !== 'histogram') throw new Error(`expected a histogram, got ${JSON.stringify(measurement)}`);
    expect(measurement.canary.count).toBe(100);
    expect(measurement.stable.count).toBe(100);
    expect(measurement.canary.buckets.map((b) => b.le)).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    // 60 ms ± 10 % on the canary: nothing at or under 25 ms; stable at 5 ms: nearly all under 25 ms.
    expect(measurement.canary.buckets.find((b) => b.le === 0.025)?.count).toBe(0);
    expect(measurement.stable.buckets.find((b) => b.le === 0.025)?.count).toBeGreaterThanOrEqual(90);
    const p50c = histogramQuantile(0.5, measurement.canary);
    expect(p50c).toBeGreaterThan(0.025);
    expect(p50c).toBeLessThanOrEqual(0.1);
    expect(histogramQuantile(0.5, measurement.stable)).toBeLessThan(0.025);
  });

  it('measures a query metric from its template', async () => {
    const q = (query: string) => metricSchema.parse({ name: 'served', query, threshold: { max: 1e9 } });
    const sum = await measure(
      provider,
      q('sum(http_requests_total{ {{canary.selector}} })'),
      target(),
      'kept',
      Date.now(),
    );
    expect(sum).toEqual({
      measurement: {
        kind: 'value',
        at: expect.any(Number),
        value: (served.get(canary) ?? NaN) + (served.get(second) ?? NaN),
      },
      cursor: 'kept',
    });
    expect(sum.measurement?.kind === 'value' && sum.measurement.value).toBeGreaterThan(0);
    const many = await measure(
      provider,
      q('http_requests_total{namespace="{{namespace}}"}'),
      target(),
      undefined,
      Date.now(),
    );
    expect(many.measurement).toMatchObject({
      kind: 'missing',
      reason: expect.stringMatching(/returned \d+ series; expected one/),
    });
    const none = await measure(provider, q('sum(no_such_metric{app="{{app}}"})'), target(), undefined, Date.now());
    expect(none.measurement).toMatchObject({ kind: 'missing', reason: 'no data: the query returned no series' });
    const nan = await measure(
      provider,
      q('sum(http_requests_total{ {{canary.selector}} }) / 0 * 0'),
      target(),
      undefined,
      Date.now(),
    );
    expect(nan.measurement).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/NaN/) });
  });

  it('refuses a query Prometheus refuses with PlanValidationError naming the metric', async () => {
    const bad = metricSchema.parse({
      name: 'broken',
      query: 'sum(rate(x{app="{{app}}"}[{{interval}}])',
      threshold: { max: 1 },
    });
    const err = await measure(provider, bad, { ...target(), metricIndex: 2 }, undefined, Date.now()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PlanValidationError);
    expect((err as PlanValidationError).problems[0].path).toBe('spec.analysis.metrics[2].query');
    expect((err as Error).message).toMatch(/not valid PromQL.*should have been refused before the rollout started/);
  });

  it('answers missing, keeping the cursor, while Prometheus is down; then counts what happened meanwhile', async () => {
    const before = cursor;
    await sb.prometheus?.stop();
    try {
      await send(canary, 20);
      const r = await look();
      expect(r.measurement).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/^metrics unavailable: /) });
      expect(r.cursor).toEqual(before);
    } finally {
      await sb.prometheus?.start();
    }
    await send(canary, 5);
    await settle(canary);
    // The requests of the tests since this cursor's last look count too.
    expect((await lookWindow()).measurement).toMatchObject({
      kind: 'counts',
      canary: { requests: 15 + 100 + 20 + 5 },
      stable: { requests: 35 + 100 },
    });
  });
});
