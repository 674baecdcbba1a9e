import type http from 'node:http';
import { freePort } from '../../../src/util/ports';
import { waitFor } from '../../../src/util/ports';
import { LoadGenerator, type ResponseEvent } from '../../../src/loadGen/loadGenerator';
import { type Backend, startBackend } from '../gateway/harness';

const started: Backend[] = [];
const generators: LoadGenerator[] = [];

async function backend(handler: http.RequestListener): Promise<string> {
  const b = await startBackend('target', 'x', handler);
  started.push(b);
  return `http://${b.ip}:${b.port}`;
}

function generator(opts: ConstructorParameters<typeof LoadGenerator>[0]): LoadGenerator {
  const g = new LoadGenerator(opts);
  generators.push(g);
  return g;
}

afterEach(async () => {
  await Promise.all(generators.splice(0).map((g) => g.stop()));
  await Promise.all(started.splice(0).map((b) => b.kill()));
});

describe('LoadGenerator', () => {
  it('keeps a steady rate: 300 requests at 300/s take about a second, without bursts', async () => {
    const arrivals: number[] = [];
    const url = await backend((_req, res) => {
      arrivals.push(Date.now());
      res.end('ok');
    });
    const g = generator({ url, host: 'svc.test', ratePerSecond: 300, maxRequests: 300 });
    g.start();
    const report = await g.finished();
    expect(report).toMatchObject({ sent: 300, completed: 300, skipped: 0, transportErrors: 0 });
    expect(report.elapsedMs).toBeGreaterThanOrEqual(950);
    expect(report.elapsedMs).toBeLessThan(3000);
    // 30 requests are due per 100 ms. A burst sender would put all 300 in one window; the bound leaves
    // room for catch-up after the event loop stalls on a busy machine.
    const busiest = Math.max(...arrivals.map((t) => arrivals.filter((u) => u >= t && u < t + 100).length));
    expect(busiest).toBeLessThanOrEqual(100);
    expect(arrivals[149] - arrivals[0]).toBeGreaterThanOrEqual(400);
  });

  it('is open loop: sends on schedule while earlier requests are unanswered, skipping beyond maxInFlight', async () => {
    const held: http.ServerResponse[] = [];
    const url = await backend((_req, res) => void held.push(res));
    const g = generator({ url, host: 'svc.test', ratePerSecond: 500, maxRequests: 100, maxInFlight: 20 });
    g.start();
    await waitFor(() => g.snapshot().sent + g.snapshot().skipped === 100, 'every request to be due');
    await waitFor(() => held.length === 20, 'the backend to hold 20 requests', 5000);
    expect(g.snapshot()).toMatchObject({ sent: 20, skipped: 80, completed: 0 });
    for (const res of held) res.end('late');
    const report = await g.finished();
    expect(report).toMatchObject({ sent: 20, skipped: 80, completed: 20, transportErrors: 0 });
    expect(report.byRevision.unknown.byCode).toEqual({ '200': 20 });
  });

  it('counts by revision header (x-sandbox-revision, else x-app-version, else "unknown"), status and latency', async () => {
    let n = 0;
    const url = await backend((_req, res) => {
      const kind = n++ % 4;
      if (kind === 0) res.writeHead(200, { 'x-sandbox-revision': 'abc', 'x-app-version': 'ignored' }).end();
      else if (kind === 1) setTimeout(() => res.writeHead(503, { 'x-sandbox-revision': 'def' }).end(), 40);
      else if (kind === 2) res.writeHead(201, { 'x-app-version': 'v7' }).end();
      else res.writeHead(404).end();
    });
    const g = generator({ url, host: 'svc.test', ratePerSecond: 400, maxRequests: 200 });
    g.start();
    const report = await g.finished();
    expect(Object.keys(report.byRevision).sort()).toEqual(['abc', 'def', 'unknown', 'v7']);
    expect(report.byRevision.abc).toMatchObject({ total: 50, byCode: { '200': 50 }, errors5xx: 0 });
    expect(report.byRevision.def).toMatchObject({ total: 50, byCode: { '503': 50 }, errors5xx: 50 });
    expect(report.byRevision.v7).toMatchObject({ total: 50, byCode: { '201': 50 } });
    expect(report.byRevision.unknown).toMatchObject({ total: 50, byCode: { '404': 50 } });
    expect(report.byRevision.def.p50Ms).toBeGreaterThanOrEqual(36);
    expect(report.byRevision.def.p99Ms).toBeGreaterThanOrEqual(report.byRevision.def.p50Ms);
    expect(report.byRevision.abc.p50Ms).toBeLessThan(report.byRevision.def.p50Ms);
  });

  it('counts timeouts and refused connections as transport errors, and tells onResponse which', async () => {
    const url = await backend(() => undefined);
    const events: ResponseEvent[] = [];
    const slow = generator({
      url,
      host: 'svc.test',
      ratePerSecond: 100,
      maxRequests: 5,
      timeoutMs: 150,
      onResponse: (e) => events.push(e),
    });
    slow.start();
    expect(await slow.finished()).toMatchObject({ sent: 5, completed: 0, transportErrors: 5, byRevision: {} });
    expect(events.map((e) => e.error)).toEqual(Array(5).fill('timeout'));
    expect(events.every((e) => e.latencyMs >= 140)).toBe(true);

    const closedPort = await freePort('127.0.0.1');
    const refused = generator({
      url: `http://127.0.0.1:${closedPort}`,
      host: 'svc.test',
      ratePerSecond: 100,
      maxRequests: 3,
    });
    const errors: ResponseEvent[] = [];
    refused.onResponse((e) => errors.push(e));
    refused.start();
    expect(await refused.finished()).toMatchObject({ sent: 3, transportErrors: 3 });
    expect(errors.map((e) => e.error)).toEqual(['connection', 'connection', 'connection']);
    expect(errors[0].message).toMatch(/ECONNREFUSED/);
  });

  it('gives benchmarks a timeline through onResponse, which can be unsubscribed', async () => {
    let n = 0;
    const url = await backend((_req, res) =>
      res.writeHead(n++ < 10 ? 500 : 200, { 'x-sandbox-revision': 'canary', 'x-sandbox-pod': 'p1' }).end(),
    );
    const g = generator({ url, host: 'svc.test', ratePerSecond: 200, maxRequests: 40 });
    const events: ResponseEvent[] = [];
    const unsubscribe = g.onResponse((e) => events.push(e));
    const late: ResponseEvent[] = [];
    g.onResponse((e) => late.push(e));
    g.start();
    await waitFor(() => events.length >= 20, '20 answers');
    unsubscribe();
    await g.finished();
    expect(events.length).toBeLessThan(40);
    expect(late).toHaveLength(40);
    const last5xx = Math.max(...late.filter((e) => e.status === 500).map((e) => e.at));
    const first2xx = Math.min(...late.filter((e) => e.status === 200).map((e) => e.at));
    expect(last5xx).toBeLessThanOrEqual(first2xx);
    expect(late[0]).toMatchObject({ status: 500, revision: 'canary', pod: 'p1' });
  });

  it('reset() zeroes the counts while the run goes on; stop() is safe twice; a stopped generator cannot start', async () => {
    const url = await backend((_req, res) => res.end());
    const g = generator({ url, host: 'svc.test', ratePerSecond: 200 });
    g.start();
    await waitFor(() => g.snapshot().completed >= 20, '20 answers');
    g.reset();
    const afterReset = g.snapshot();
    expect(afterReset.sent).toBeLessThan(5);
    await waitFor(() => g.snapshot().completed >= 10, '10 answers after the reset');
    const [a, b] = await Promise.all([g.stop(), g.stop()]);
    expect(a).toBe(b);
    expect(a.completed).toBeLessThanOrEqual(a.sent);
    expect(g.state).toBe('stopped');
    expect(() => g.start()).toThrow('cannot start: the load generator is stopped');
    expect(() => new LoadGenerator({ url, host: 'h', ratePerSecond: 0 })).toThrow('ratePerSecond');
  });
});
