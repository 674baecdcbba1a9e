/**
 * The Prometheus provider against the real Prometheus: the conformance suite, then what only this
 * provider does — error classification by status and errorType, auth headers read from files, TLS
 * verification, a path prefix, the request hook.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import pino from 'pino';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusProvider, type ProviderOutcome } from '../../../src/analysis/providers/prometheus/client';
import { Providers } from '../../../src/analysis/providers/registry';
import { createServingCertificates } from '@ramp/sandbox/apiServer/certificates';
import { waitFor } from '@ramp/sandbox/util/ports';
import { describeProviderConformance, NS, SLOW_QUERY } from './providerConformance';
import { startPrometheusWithTarget, type PrometheusHarness } from './prometheusHarness';

jest.setTimeout(90_000);

describeProviderConformance('PrometheusProvider', async () => {
  const h = await startPrometheusWithTarget('127.1.91.10', 'conformance-1', 7);
  const make = (timeoutMs: number) => new PrometheusProvider({ address: h.url, timeoutMs });
  return {
    provider: make(5000),
    seriesName: 'http_requests_total',
    expected: { labels: { namespace: 'default', pod: 'conformance-1', code: '200', method: 'GET' }, value: 7 },
    withTimeout: make,
    stop: () => h.prom.stop(),
    start: async () => {
      await h.prom.start();
    },
    close: () => h.close(),
  };
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** An HTTP(S) server on a free port running `handler` with the request body read. */
async function serve(
  handler: Handler,
  tls?: { cert: string; key: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on(
      'end',
      () => void Promise.resolve(handler(req, res, body)).catch((e: unknown) => res.writeHead(599).end(String(e))),
    );
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('PrometheusProvider specifics', () => {
  let h: PrometheusHarness;
  let dir: string;
  const servers: { close(): Promise<void> }[] = [];
  const forward = async (path: string, body: string, res: ServerResponse) => {
    const r = await fetch(`${h.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    res
      .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
      .end(await r.text());
  };

  beforeAll(async () => {
    h = await startPrometheusWithTarget('127.1.91.11', 'specifics-1', 3);
    dir = mkdtempSync(join(tmpdir(), 'ramp-provider-'));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('classifies execution errors and range vectors as invalidQuery', async () => {
    const p = new PrometheusProvider({ address: h.url, timeoutMs: 5000 });
    const dup = await p.query(
      'label_replace(vector(1) or label_replace(vector(2), "a", "b", "", ""), "a", "", "", "")',
      NS,
    );
    // Prometheus' own words ("vector cannot contain metrics with the same labelset") stay in the server log.
    expect(dup).toEqual({ kind: 'invalidQuery', reason: 'Prometheus could not evaluate the query (execution error)' });
    const range = await p.query('http_requests_total[1m]', NS);
    expect(range).toMatchObject({
      kind: 'invalidQuery',
      reason: expect.stringMatching(/range vector; expected an instant vector or a scalar/),
    });
    expect(await p.validate('http_requests_total[1m]', NS)).toMatchObject({ ok: false });
  });

  it('reports every request to the hook with its outcome', async () => {
    const seen: [ProviderOutcome, number][] = [];
    const p = new PrometheusProvider({ address: h.url, timeoutMs: 5000, onRequest: (o, ms) => seen.push([o, ms]) });
    await p.query('vector(1)', NS);
    await p.query('sum(', NS);
    await new PrometheusProvider({ address: h.url, timeoutMs: 20, onRequest: (o, ms) => seen.push([o, ms]) }).query(
      SLOW_QUERY,
      NS,
    );
    expect(seen.map(([o]) => o)).toEqual(['ok', 'invalidQuery', 'unavailable']);
    expect(seen.every(([, ms]) => ms >= 0 && ms < 2000)).toBe(true);
  });

  it('sends a bearer token read from its file on every query (rotation is picked up)', async () => {
    let expected = 'token-one';
    const seen: string[] = [];
    const proxy = await serve((req, res, body) => {
      seen.push(String(req.headers.authorization));
      if (req.headers.authorization !== `Bearer ${expected}`)
        return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      return forward(req.url ?? '', body, res);
    });
    servers.push(proxy);
    const file = join(dir, 'token');
    writeFileSync(file, 'token-one\n');
    const p = new PrometheusProvider({ address: proxy.url, timeoutMs: 5000, bearerTokenFile: file });
    expect((await p.query('vector(1)', NS)).kind).toBe('ok');
    expected = 'token-two';
    expect(await p.query('vector(1)', NS)).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringMatching(/HTTP 401/),
    });
    writeFileSync(file, 'token-two');
    expect((await p.query('vector(1)', NS)).kind).toBe('ok');
    expect(seen).toEqual(['Bearer token-one', 'Bearer token-one', 'Bearer token-two']);
    const missing = new PrometheusProvider({ address: proxy.url, timeoutMs: 5000, bearerTokenFile: join(dir, 'nope') });
    expect(await missing.query('vector(1)', NS)).toMatchObject({
      kind: 'unavailable',
      reason: "cannot read the metric provider's credentials (the server log says why)",
    });
  });

  it('sends basic auth with the password from its file, to an address with a path prefix', async () => {
    const proxy = await serve((req, res, body) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('ramp:s3cr:et').toString('base64')}`)
        return void res.writeHead(401).end();
      if (!req.url?.startsWith('/prom/api/v1/query')) return void res.writeHead(404).end();
      return forward(req.url.slice('/prom'.length), body, res);
    });
    servers.push(proxy);
    writeFileSync(join(dir, 'password'), 's3cr:et\n');
    const p = new PrometheusProvider({
      address: `${proxy.url}/prom`,
      timeoutMs: 5000,
      basicAuth: { username: 'ramp', passwordFile: join(dir, 'password') },
    });
    expect(await p.query('scalar(vector(5))', NS)).toEqual({ kind: 'ok', samples: [{ labels: {}, value: 5 }] });
  });

  it('verifies TLS unless insecureSkipVerify is set', async () => {
    const certs = createServingCertificates(['127.0.0.1']);
    const proxy = await serve((req, res, body) => forward(req.url ?? '', body, res), {
      cert: certs.cert,
      key: certs.key,
    });
    servers.push(proxy);
    const strict = new PrometheusProvider({ address: proxy.url, timeoutMs: 5000 });
    expect(await strict.query('vector(1)', NS)).toMatchObject({
      kind: 'unavailable',
      // OpenSSL's code (UNABLE_TO_VERIFY_LEAF_SIGNATURE), never the certificate's names.
      reason: expect.stringMatching(/^the metric provider did not answer \([A-Z_]+\)$/),
    });
    const lax = new PrometheusProvider({ address: proxy.url, timeoutMs: 5000, insecureSkipVerify: true });
    expect((await lax.query('vector(1)', NS)).kind).toBe('ok');
  });

  it('classifies 5xx, non-JSON answers, cut connections and cancellation as unavailable', async () => {
    const broken = await serve((req, res) => {
      const mode = new URL(req.url ?? '/', 'http://x').pathname.split('/')[1];
      if (mode === 'down') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('Service Unavailable');
      if (mode === 'internal')
        return void res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"status":"error","errorType":"internal","error":"boom"}');
      if (mode === 'timeout')
        return void res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}');
      if (mode === 'html')
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>');
      if (mode === 'badgw') return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request');
      req.socket.destroy();
    });
    servers.push(broken);
    const at = (mode: string) =>
      new PrometheusProvider({ address: `${broken.url}/${mode}`, timeoutMs: 5000 }).query('vector(1)', NS);
    // Only a status code and a fixed text: nothing the server wrote reaches the result.
    expect(await at('down')).toEqual({ kind: 'unavailable', reason: 'Prometheus answered HTTP 503 without its JSON' });
    expect(await at('internal')).toEqual({ kind: 'unavailable', reason: 'Prometheus answered HTTP 500 (internal)' });
    expect(await at('timeout')).toEqual({ kind: 'unavailable', reason: 'Prometheus answered HTTP 503 (timeout)' });
    expect(await at('html')).toEqual({ kind: 'unavailable', reason: 'Prometheus answered HTTP 200 without its JSON' });
    // A 400 that is not Prometheus' bad_data (a proxy's) is not the query's fault.
    expect((await at('badgw')).kind).toBe('unavailable');
    expect(await at('reset')).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringMatching(/^the metric provider did not answer( \(ECONNRESET\))?$/),
    });
    const ctl = new AbortController();
    const pending = new PrometheusProvider({ address: h.url, timeoutMs: 5000 }).query(SLOW_QUERY, {
      signal: ctl.signal,
      ...NS,
    });
    ctl.abort();
    expect(await pending).toMatchObject({ kind: 'unavailable', reason: expect.stringMatching(/cancelled/) });
  });

  it("writes what the server answered to the server log only, under the provider's name", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const leaky = await serve(
      (_req, res) =>
        void res
          .writeHead(500, { 'content-type': 'application/json' })
          .end('{"status":"error","errorType":"internal","error":"team-b secret: 42"}'),
    );
    servers.push(leaky);
    const p = new PrometheusProvider({ address: leaky.url, timeoutMs: 5000, logger, name: 'main' });
    const r = await p.query('up', NS);
    expect(JSON.stringify(r)).not.toContain('secret');
    expect(lines).toEqual([
      expect.objectContaining({ provider: 'main', namespace: 'default', detail: 'internal: team-b secret: 42' }),
    ]);
  });

  it("is built from the operator's configuration by name, with the timeout compiled", async () => {
    const outcomes: string[] = [];
    const p = new Providers(
      { providers: [{ name: 'main', prometheus: { address: h.url, timeout: '100ms' } }] },
      { onRequest: (kind, outcome) => outcomes.push(`${kind}:${outcome}`) },
    ).get('main', 'default');
    await waitFor(
      async () => (await p.query('http_requests_total{pod="specifics-1"}', NS)).kind === 'ok',
      'a first answer',
      10_000,
      100,
    );
    expect((await p.query(SLOW_QUERY, NS)).kind).toBe('unavailable');
    expect(outcomes.slice(-2)).toEqual(['prometheus:ok', 'prometheus:unavailable']);
  });
});
