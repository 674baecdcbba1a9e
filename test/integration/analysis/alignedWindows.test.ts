/**
 * The three measurement defects of issue 13, each where it showed: on a real Prometheus scraping pods
 * whose counters this test sets (prom-client targets found through the sandbox's HTTP service
 * discovery, as pods of a stable and a canary revision).
 *
 * 1. The stable's window went on while the canary could not be scraped, so a spike in both versions
 *    during the canary's scrape gap was read as the canary's: windows now close only once every pod of
 *    both versions has a new sample, so the gap's spike lands in one window for both.
 * 2. A series gone for a while was counted again from zero when it came back: it now continues from the
 *    value it had.
 * 3. Counters were summed by pod before increments were taken, so one container's restart counted the
 *    other container's whole history: increments are now taken per series.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry as MetricsRegistry } from 'prom-client';
import { clone, queryInstant, Registry, RegistryCluster, resource, waitFor } from '@ramp/sandbox';
import { ObjectStore } from '@ramp/sandbox/apiServer/store';
import { HttpSdServer } from '@ramp/sandbox/prometheus/httpSd';
import { PrometheusServer } from '@ramp/sandbox/prometheus/prometheusServer';
import { measure, type MeasureTarget } from '../../../src/analysis/measure';
import { PrometheusProvider } from '../../../src/analysis/providers/prometheus/client';
import { SequentialJudge } from '../../../src/analysis/judges/sequential';
import type { CountsMeasurement, Measurement } from '../../../src/analysis/types';
import { metricSchema } from '../../../src/plan/schema';

jest.setTimeout(240_000);

const STABLE = 's1aaaaaaaa';
const CANARY = 'c2bbbbbbbb';
const NS = 'windows';
const errorsMetric = metricSchema.parse({ name: 'errors', errorRate: { maxRatio: 1.5 } });

/** A pod's process as far as Prometheus sees it: counters this test moves, and a switch that fails its scrapes. */
interface FakePod {
  name: string;
  requests: Counter<'code' | 'container'>;
  /** While set, /metrics answers 503: the scrape fails and Prometheus marks the pod's series stale. */
  down: boolean;
  close(): Promise<void>;
}

async function fakePod(ip: string, name: string): Promise<FakePod & { port: number }> {
  const metrics = new MetricsRegistry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'requests served',
    labelNames: ['code', 'container'] as const,
    registers: [metrics],
  });
  const pod = { name, requests, down: false } as FakePod & { port: number };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics' || pod.down) {
      res.writeHead(pod.down ? 503 : 404).end();
      return;
    }
    void metrics.metrics().then((text) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  pod.port = (server.address() as AddressInfo).port;
  pod.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return pod;
}

describe('aligned windows on a real Prometheus', () => {
  const pods = resource('pods');
  let stateDir: string;
  let registry: Registry;
  let sd: HttpSdServer;
  let prom: PrometheusServer;
  let url: string;
  let provider: PrometheusProvider;
  const fakes: FakePod[] = [];
  const target: MeasureTarget = {
    namespace: NS,
    app: 'web',
    canaryRevision: CANARY,
    stableRevision: STABLE,
    intervalMs: 1000,
  };

  async function addPod(ip: string, revision: string, suffix: string): Promise<FakePod> {
    const name = `web-${revision}-${suffix}`;
    const f = await fakePod(ip, name);
    const created = registry.create(pods, NS, {
      metadata: { name, labels: { app: 'web' } },
      spec: {
        nodeName: 'sandbox-node',
        containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1', ports: [{ name: 'http', containerPort: f.port }] }],
      },
    }).object;
    const running = clone(created);
    running.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '127.0.0.1' };
    registry.update(pods, NS, name, running, { subresource: 'status' });
    fakes.push(f);
    return f;
  }

  /** Sum of a pod's counter as Prometheus has it now (-1 when it has none). */
  async function scraped(pod: string): Promise<number> {
    const r = await queryInstant(url, `sum(http_requests_total{namespace="${NS}",pod="${pod}"})`);
    return r.length ? r[0].value : -1;
  }
  const settled = (f: FakePod, value: number) =>
    waitFor(async () => (await scraped(f.name)) === value, `${f.name} at ${value} in Prometheus`, 30_000, 100);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'ramp-windows-'));
    registry = new Registry(new ObjectStore());
    registry.ensureNamespace(NS);
    sd = new HttpSdServer({ cluster: new RegistryCluster(registry) });
    prom = new PrometheusServer({ stateDir, sdUrl: await sd.listen() });
    url = await prom.start();
    provider = new PrometheusProvider({ address: url, timeoutMs: 5000 });
  }, 90_000);

  afterAll(async () => {
    await prom?.close().catch(() => undefined);
    await sd?.close().catch(() => undefined);
    await Promise.all(fakes.map((f) => f.close()));
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it('1: a spike in both versions while the canary cannot be scraped lands in one window for both, and is no regression', async () => {
    const c = await addPod('127.1.93.10', CANARY, 'x1aaa');
    const s1 = await addPod('127.1.93.11', STABLE, 'y1bbb');
    const s2 = await addPod('127.1.93.12', STABLE, 'y2ccc');
    const serve = (f: FakePod, ok: number, errors: number) => {
      f.requests.inc({ code: '200', container: 'app' }, ok);
      f.requests.inc({ code: '500', container: 'app' }, errors);
    };
    for (const f of [c, s1, s2]) serve(f, 1, 0);
    await Promise.all([settled(c, 1), settled(s1, 1), settled(s2, 1)]);
    let cursor: unknown;
    const history: Measurement[] = [];
    const look = async () => {
      const r = await measure(provider, errorsMetric, target, cursor, Date.now());
      cursor = r.cursor;
      if (r.measurement) history.push(r.measurement);
      return r.measurement;
    };
    expect((await look())?.kind).toBe('baseline');
    // Calm: 1% errors in both, the canary at a third of the traffic.
    for (let i = 0; i < 5; i++) {
      serve(c, 99, 1);
      serve(s1, 99, 1);
      serve(s2, 99, 1);
      await sleep(1200);
      await look();
    }
    // The canary's scrapes fail; meanwhile both versions spike to 30% errors, then calm down again.
    c.down = true;
    await waitFor(async () => (await scraped(c.name)) === -1, 'the canary to go stale', 30_000, 100);
    const before = history.length;
    serve(c, 700, 300);
    serve(s1, 700, 300);
    serve(s2, 700, 300);
    for (let i = 0; i < 4; i++) {
      await sleep(1200);
      expect(await look()).toBeUndefined();
    }
    // The stable's spike was not judged without the canary's: no window closed during the gap.
    expect(history.length).toBe(before);
    c.down = false;
    await waitFor(async () => (await scraped(c.name)) > 0, 'the canary to be scraped again', 30_000, 100);
    await sleep(1200);
    const w = (await look()) as CountsMeasurement;
    expect(w.kind).toBe('counts');
    // Everything the canary served since its last window, the spike included, beside the stable's.
    expect(w.canary.errors).toBeGreaterThanOrEqual(300);
    expect(w.stable.errors).toBeGreaterThanOrEqual(600);
    expect(w.canary.errors / w.canary.requests).toBeCloseTo(w.stable.errors / w.stable.requests, 2);
    expect(w.pods?.map((p) => p.pod).sort()).toEqual([c.name, s1.name, s2.name].sort());
    const verdict = new SequentialJudge().judge(history, {
      metric: errorsMetric,
      alpha: 0.01,
      analysisStartedAt: 0,
      now: Date.now(),
    });
    expect(verdict.decision).not.toBe('fail');
    for (const f of [c, s1, s2]) {
      registry.delete(pods, NS, f.name, { gracePeriodSeconds: 0 });
      f.down = true;
    }
  });

  it('2: a series gone for a while continues from its value when it comes back, not from zero', async () => {
    const c = await addPod('127.1.93.20', CANARY, 'x2ddd');
    const s = await addPod('127.1.93.21', STABLE, 'y3eee');
    c.requests.inc({ code: '200', container: 'app' }, 5000);
    s.requests.inc({ code: '200', container: 'app' }, 9000);
    await Promise.all([settled(c, 5000), settled(s, 9000)]);
    const base = await measure(provider, errorsMetric, { ...target, canaryRevision: CANARY }, undefined, Date.now());
    let cursor = base.cursor;
    // The stable pod cannot be scraped for longer than a look's range: its series vanishes from the answers.
    s.down = true;
    await waitFor(async () => (await scraped(s.name)) === -1, 'the stable pod to go stale', 30_000, 100);
    for (let i = 0; i < 3; i++) {
      await sleep(5000);
      cursor = (await measure(provider, errorsMetric, target, cursor, Date.now())).cursor;
    }
    c.requests.inc({ code: '200', container: 'app' }, 10);
    s.requests.inc({ code: '200', container: 'app' }, 90);
    s.down = false;
    await Promise.all([settled(c, 5010), settled(s, 9090)]);
    const r = await measure(provider, errorsMetric, target, cursor, Date.now());
    expect(r.measurement).toMatchObject({ kind: 'counts', canary: { requests: 10 }, stable: { requests: 90 } });
    for (const f of [c, s]) registry.delete(pods, NS, f.name, { gracePeriodSeconds: 0 });
  });

  it('3: one container of a pod restarting does not count the other container’s history', async () => {
    // Revisions of its own: the pods the tests above deleted a moment ago are still in a look's range,
    // and a window waits for every pod it sees (here that would only delay it).
    const own = { ...target, canaryRevision: 'c3cccccccc', stableRevision: 's3dddddddd' };
    const c = await addPod('127.1.93.30', own.canaryRevision, 'x3fff');
    const s = await addPod('127.1.93.31', own.stableRevision, 'y4ggg');
    c.requests.inc({ code: '200', container: 'app' }, 10_000);
    c.requests.inc({ code: '200', container: 'sidecar' }, 50);
    s.requests.inc({ code: '200', container: 'app' }, 20_000);
    await Promise.all([settled(c, 10_050), settled(s, 20_000)]);
    const base = await measure(provider, errorsMetric, own, undefined, Date.now());
    // The sidecar restarts (its counter starts again from zero and counts 7); the app serves 30 more.
    c.requests.remove({ code: '200', container: 'sidecar' });
    c.requests.inc({ code: '200', container: 'sidecar' }, 7);
    c.requests.inc({ code: '200', container: 'app' }, 30);
    s.requests.inc({ code: '200', container: 'app' }, 60);
    await Promise.all([settled(c, 10_037), settled(s, 20_060)]);
    const r = await measure(provider, errorsMetric, own, base.cursor, Date.now());
    // Summed by pod first, 10,050 → 10,037 looked like one reset and counted 10,037.
    expect(r.measurement).toMatchObject({ kind: 'counts', canary: { requests: 37 }, stable: { requests: 60 } });
  });
});
