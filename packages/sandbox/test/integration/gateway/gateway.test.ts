import http from 'node:http';
import { resource } from '../../../src/apiServer/resources';
import { RegistryCluster } from '../../../src/cluster/registryCluster';
import { Gateway } from '../../../src/gateway/gateway';
import { cookieMatchRegex } from '../../../src/gateway/matching';
import { LoadGenerator } from '../../../src/loadGen/loadGenerator';
import { httpRoute, ref } from '../../unit/gateway/objects';
import { type Answer, Cluster, request } from './harness';

const HOST = 'shop.example.com';
const routes = resource('httproutes');

let cluster: Cluster;
let gateway: Gateway;
let url: string;
let agent: http.Agent;

beforeEach(async () => {
  cluster = new Cluster('shop');
  gateway = new Gateway({ cluster: new RegistryCluster(cluster.registry), upstreamTimeoutMs: 500 });
  url = await gateway.listen();
  agent = new http.Agent({ keepAlive: true });
});

afterEach(async () => {
  agent.destroy();
  await gateway.close();
  await cluster.close();
});

function get(opts: Omit<Parameters<typeof request>[1], 'agent'>): Promise<Answer> {
  return request(url, { ...opts, agent });
}

async function many(n: number, opts: Omit<Parameters<typeof request>[1], 'agent'>): Promise<Answer[]> {
  const out: Answer[] = [];
  for (let i = 0; i < n; i++) out.push(await get(opts));
  return out;
}

function tally(answers: Answer[], header: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = `${a.status} ${String(a.headers[header] ?? '')}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

async function stableAndCanary(): Promise<void> {
  await cluster.deploy('web-stable', [
    { pod: 'web-v1-a', revision: 'v1' },
    { pod: 'web-v1-b', revision: 'v1' },
  ]);
  await cluster.deploy('web-canary', [{ pod: 'web-v2-a', revision: 'v2' }]);
}

describe('Gateway: weights', () => {
  it('splits an HTTPRoute 90/10 exactly over 4,000 requests from the load generator', async () => {
    await stableAndCanary();
    cluster.registry.create(
      routes,
      'shop',
      httpRoute('shop', 'web', [{ backendRefs: [ref('web-stable', 90), ref('web-canary', 10)] }], [HOST]),
    );
    // No request may be skipped even on a starved machine: this test is about the split, not open-loop load.
    const load = new LoadGenerator({ url, host: HOST, ratePerSecond: 500, maxRequests: 4000, maxInFlight: 4000 });
    load.start();
    const report = await load.finished();
    expect(report).toMatchObject({ sent: 4000, completed: 4000, transportErrors: 0, skipped: 0 });
    const v1 = report.byRevision.v1.total;
    const v2 = report.byRevision.v2.total;
    expect(Math.abs((100 * v2) / (v1 + v2) - 10)).toBeLessThanOrEqual(3);
    // Smooth weighted round robin makes it exact, and round robin splits the stable share evenly.
    expect({ v1, v2 }).toEqual({ v1: 3600, v2: 400 });
    expect(report.byRevision.v1.byCode).toEqual({ '200': 3600 });
    const stats = gateway.stats();
    expect(stats.byPod).toEqual({ 'shop/web-v1-a': 1800, 'shop/web-v1-b': 1800, 'shop/web-v2-a': 400 });
    expect(stats.byService).toEqual({ 'shop/web-stable': 3600, 'shop/web-canary': 400 });
    expect(stats.byCode).toEqual({ '200': 4000 });
  });

  it('applies patched weights within a second', async () => {
    await stableAndCanary();
    cluster.registry.create(
      routes,
      'shop',
      httpRoute('shop', 'web', [{ backendRefs: [ref('web-stable', 100), ref('web-canary', 0)] }], [HOST]),
    );
    expect(tally(await many(10, { host: HOST }), 'x-sandbox-revision')).toEqual({ '200 v1': 10 });
    const patchedAt = Date.now();
    cluster.registry.patch(routes, 'shop', 'web', 'merge', {
      spec: { rules: [{ backendRefs: [ref('web-stable', 0), ref('web-canary', 100)] }] },
    });
    let first: Answer | undefined;
    while (Date.now() - patchedAt < 1000) {
      first = await get({ host: HOST });
      if (first.headers['x-sandbox-revision'] === 'v2') break;
    }
    expect(first?.headers['x-sandbox-revision']).toBe('v2');
    expect(Date.now() - patchedAt).toBeLessThan(1000);
    expect(tally(await many(20, { host: HOST }), 'x-sandbox-revision')).toEqual({ '200 v2': 20 });
  });

  it('answers 500 when every backend weight is 0 or a backend is not a Service that exists', async () => {
    await stableAndCanary();
    cluster.registry.create(
      routes,
      'shop',
      httpRoute('shop', 'zero', [{ backendRefs: [ref('web-stable', 0), ref('web-canary', 0)] }], ['zero.example.com']),
    );
    cluster.registry.create(
      routes,
      'shop',
      httpRoute('shop', 'missing', [{ backendRefs: [ref('nope', 1)] }], ['missing.example.com']),
    );
    const zero = await get({ host: 'zero.example.com' });
    expect(zero.status).toBe(500);
    expect(zero.body).toContain('weight 0');
    const missing = await get({ host: 'missing.example.com' });
    expect(missing.status).toBe(500);
    expect(missing.body).toContain('service shop/nope not found');
    expect(cluster.backends.every((b) => b.seen.length === 0)).toBe(true);
  });
});

describe('Gateway: matches', () => {
  it('sends every request with the header x-beta: 1 to the beta backend and no other request', async () => {
    const [stableA, stableB] = await cluster.deploy('web-stable', [
      { pod: 'web-v1-a', revision: 'v1' },
      { pod: 'web-v1-b', revision: 'v1' },
    ]);
    const [beta] = await cluster.deploy('web-beta', [{ pod: 'web-beta-a', revision: 'beta' }]);
    cluster.registry.create(
      routes,
      'shop',
      httpRoute(
        'shop',
        'web',
        [
          { matches: [{ headers: [{ name: 'X-Beta', value: '1' }] }], backendRefs: [ref('web-beta')] },
          { backendRefs: [ref('web-stable')] },
        ],
        [HOST],
      ),
    );
    await many(30, { host: HOST, headers: { 'x-beta': '1' } });
    await many(30, { host: HOST });
    await many(30, { host: HOST, headers: { 'x-beta': '2' } });
    expect(beta.seen).toHaveLength(30);
    expect(beta.seen.every((r) => r.headers['x-beta'] === '1')).toBe(true);
    const stableSeen = [...stableA.seen, ...stableB.seen];
    expect(stableSeen).toHaveLength(60);
    expect(stableSeen.some((r) => r.headers['x-beta'] === '1')).toBe(false);
  });

  it('sends requests carrying a cookie to the backend of a Cookie regex match, and others elsewhere', async () => {
    await stableAndCanary();
    cluster.registry.create(
      routes,
      'shop',
      httpRoute(
        'shop',
        'web',
        [
          {
            matches: [
              { headers: [{ type: 'RegularExpression', name: 'Cookie', value: cookieMatchRegex('canary', 'always') }] },
            ],
            backendRefs: [ref('web-canary')],
          },
          { backendRefs: [ref('web-stable')] },
        ],
        [HOST],
      ),
    );
    const withCookie = new LoadGenerator({
      url,
      host: HOST,
      ratePerSecond: 500,
      maxRequests: 200,
      cookie: 'session=abc; canary=always; theme=dark',
    });
    withCookie.start();
    const a = await withCookie.finished();
    const without = new LoadGenerator({
      url,
      host: HOST,
      ratePerSecond: 500,
      maxRequests: 200,
      cookie: 'session=abc; canary=never',
    });
    without.start();
    const b = await without.finished();
    expect(Object.fromEntries(Object.entries(a.byRevision).map(([k, v]) => [k, v.total]))).toEqual({ v2: 200 });
    expect(Object.fromEntries(Object.entries(b.byRevision).map(([k, v]) => [k, v.total]))).toEqual({ v1: 200 });
  });

  it('prefers an Exact path, then the longest prefix, matching prefixes element by element', async () => {
    await cluster.deploy('api', [{ pod: 'api-a', revision: 'a' }]);
    await cluster.deploy('api-v2', [{ pod: 'v2-a', revision: 'b' }]);
    await cluster.deploy('status', [{ pod: 'status-a', revision: 'c' }]);
    cluster.registry.create(
      routes,
      'shop',
      httpRoute(
        'shop',
        'api',
        [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [ref('api')] }],
        [HOST],
      ),
    );
    cluster.registry.create(
      routes,
      'shop',
      httpRoute(
        'shop',
        'v2',
        [
          { matches: [{ path: { type: 'PathPrefix', value: '/api/v2' } }], backendRefs: [ref('api-v2')] },
          { matches: [{ path: { type: 'Exact', value: '/api/v2/status' } }], backendRefs: [ref('status')] },
        ],
        [HOST],
      ),
    );
    const service = async (path: string): Promise<string> => {
      const a = await get({ host: HOST, path });
      return `${a.status} ${String(a.headers['x-sandbox-service'] ?? '')}`;
    };
    expect(await service('/api/v1/items?x=1')).toBe('200 shop/api');
    expect(await service('/api/v2')).toBe('200 shop/api-v2');
    expect(await service('/api/v2/items')).toBe('200 shop/api-v2');
    expect(await service('/api/v2x')).toBe('200 shop/api');
    expect(await service('/api/v2/status')).toBe('200 shop/status');
    expect(await service('/apix')).toBe('404 ');
  });

  it('routes a Host naming a Service to it, in every form, and forwards who asked', async () => {
    const [web] = await cluster.deploy('web', [{ pod: 'web-a', revision: 'v1' }]);
    for (const host of ['web.shop.svc.cluster.local:80', 'web.shop.svc', 'web.shop']) {
      const a = await get({ host, path: '/hello?name=x' });
      expect(a.status).toBe(200);
      expect(a.body).toBe('web-a');
      expect(a.headers).toMatchObject({
        'x-sandbox-service': 'shop/web',
        'x-sandbox-pod': 'web-a',
        'x-sandbox-revision': 'v1',
        'x-app-version': 'v1',
      });
    }
    expect(web.seen.map((r) => r.url)).toEqual(['/hello?name=x', '/hello?name=x', '/hello?name=x']);
    expect(web.seen[0].headers).toMatchObject({
      host: 'web.shop.svc.cluster.local:80',
      'x-forwarded-host': 'web.shop.svc.cluster.local:80',
      'x-forwarded-for': '127.0.0.1',
    });
  });
});

describe('Gateway: filters', () => {
  it('sets a cookie on the answers of the backend whose filter says so, and modifies what the upstream is sent', async () => {
    const [stable] = await cluster.deploy('web-stable', [{ pod: 'web-v1-a', revision: 'v1' }]);
    const [canary] = await cluster.deploy('web-canary', [
      {
        pod: 'web-v2-a',
        revision: 'v2',
        handler: (req, res) => {
          req.resume();
          res.writeHead(200, { 'set-cookie': 'app=1; Path=/', 'x-internal': 'secret' });
          res.end('web-v2-a');
        },
      },
    ]);
    const add = (name: string, value: string): unknown => ({ name, value });
    cluster.registry.create(
      routes,
      'shop',
      httpRoute(
        'shop',
        'web',
        [
          {
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [add('x-via', 'sandbox')], remove: ['x-secret'] },
              },
              { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x-internal'] } },
            ],
            backendRefs: [
              ref('web-stable', 1),
              {
                ...ref('web-canary', 1),
                filters: [
                  {
                    type: 'ResponseHeaderModifier',
                    responseHeaderModifier: { add: [add('Set-Cookie', 'ramp-canary=v2; Path=/; HttpOnly')] },
                  },
                ],
              },
            ],
          },
        ],
        [HOST],
      ),
    );
    const answers = await many(20, { host: HOST, headers: { 'x-secret': 'hush', 'x-via': 'client' } });
    const byRevision = (rev: string): Answer[] => answers.filter((a) => a.headers['x-sandbox-revision'] === rev);
    expect(byRevision('v2')).toHaveLength(10);
    for (const a of byRevision('v2')) {
      expect(a.headers['set-cookie']).toEqual(['app=1; Path=/', 'ramp-canary=v2; Path=/; HttpOnly']);
      expect(a.headers['x-internal']).toBeUndefined();
    }
    for (const a of byRevision('v1')) expect(a.headers['set-cookie']).toBeUndefined();
    for (const seen of [...stable.seen, ...canary.seen]) {
      expect(seen.headers['x-via']).toBe('sandbox');
      expect(seen.headers['x-secret']).toBeUndefined();
    }
    expect(gateway.routeTable().problems).toEqual([]);
  });
});

describe('Gateway: endpoints', () => {
  it('sends nothing to an endpoint marked not ready in its EndpointSlice', async () => {
    const [ready, notReady] = await cluster.deploy('web', [
      { pod: 'web-a', revision: 'v1' },
      { pod: 'web-b', revision: 'v1', ready: false },
    ]);
    await many(40, { host: 'web.shop' });
    expect(ready.seen).toHaveLength(40);
    expect(notReady.seen).toHaveLength(0);
    cluster.setEndpoint('web', notReady, { ready: true });
    await many(40, { host: 'web.shop' });
    expect(notReady.seen).toHaveLength(20);
    cluster.setEndpoint('web', notReady, { ready: true, terminating: true });
    await many(10, { host: 'web.shop' });
    expect(notReady.seen).toHaveLength(20);
  });

  it('answers 502 for a killed backend until its endpoint is not ready or removed, then never', async () => {
    const [alive, dead] = await cluster.deploy('web', [
      { pod: 'web-a', revision: 'v1' },
      { pod: 'web-b', revision: 'v1' },
    ]);
    await many(10, { host: 'web.shop' });
    await dead.kill();
    const failing = await many(40, { host: 'web.shop' });
    expect(tally(failing, 'x-sandbox-pod')).toEqual({ '200 web-a': 20, '502 web-b': 20 });
    expect(failing.find((a) => a.status === 502)?.body).toMatch(
      /^upstream 127\.1\.\d+\.\d+:\d+ failed: connect ECONNREFUSED/,
    );
    cluster.setEndpoint('web', dead, { ready: false });
    expect(tally(await many(40, { host: 'web.shop' }), 'x-sandbox-pod')).toEqual({ '200 web-a': 40 });
    cluster.setEndpoint('web', dead, { ready: true });
    expect(tally(await many(10, { host: 'web.shop' }), 'x-sandbox-pod')).toEqual({ '200 web-a': 5, '502 web-b': 5 });
    cluster.removeEndpoint('web', dead);
    expect(tally(await many(20, { host: 'web.shop' }), 'x-sandbox-pod')).toEqual({ '200 web-a': 20 });
    expect(alive.seen).toHaveLength(5 + 20 + 40 + 5 + 20);
    expect(gateway.stats().byCode).toEqual({ '200': 95, '502': 25 });
  });

  it('answers 503 naming the Service when it has no ready endpoint, and 404 when nothing routes', async () => {
    await cluster.deploy('empty', [{ pod: 'empty-a', revision: 'v1', ready: false }]);
    cluster.registry.create(
      routes,
      'shop',
      httpRoute('shop', 'empty', [{ backendRefs: [ref('empty')] }], ['empty.example.com']),
    );
    const viaRoute = await get({ host: 'empty.example.com' });
    expect(viaRoute.status).toBe(503);
    expect(viaRoute.body).toBe('no ready endpoints for service shop/empty port 80\n');
    expect(viaRoute.headers['x-sandbox-service']).toBe('shop/empty');
    expect((await get({ host: 'empty.shop.svc' })).status).toBe(503);
    const none = await get({ host: 'unknown.example.com', path: '/x' });
    expect(none.status).toBe(404);
    expect(none.body).toBe('no route for host "unknown.example.com" and path "/x"\n');
    expect(gateway.stats().byCode).toEqual({ '503': 2, '404': 1 });
  });

  it('answers 504 when the upstream sends no response in time', async () => {
    await cluster.deploy('slow', [{ pod: 'slow-a', revision: 'v1', handler: () => undefined }]);
    const started = Date.now();
    const a = await get({ host: 'slow.shop' });
    expect(a.status).toBe(504);
    expect(a.headers['x-sandbox-pod']).toBe('slow-a');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('Gateway: proxying', () => {
  it('streams the response as the upstream writes it, and the request body through', async () => {
    let finish: (() => void) | undefined;
    await cluster.deploy('stream', [
      {
        pod: 'stream-a',
        revision: 'v1',
        handler: (req, res) => {
          let body = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (body += c));
          req.on('end', () => {
            res.writeHead(201, { 'x-custom': 'kept', 'set-cookie': ['a=1', 'b=2'] });
            res.write(`got ${body.length} bytes;`);
            finish = () => res.end('done');
          });
        },
      },
    ]);
    const u = new URL(url);
    const firstChunk = await new Promise<{
      status: number;
      headers: http.IncomingHttpHeaders;
      chunk: string;
      rest: Promise<string>;
    }>((resolve, reject) => {
      const req = http.request(
        {
          hostname: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/upload',
          headers: { host: 'stream.shop', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.setEncoding('utf8');
          res.once('data', (chunk: string) => {
            const rest = new Promise<string>((done) => {
              let more = '';
              res.on('data', (c: string) => (more += c));
              res.on('end', () => done(more));
            });
            resolve({ status: res.statusCode ?? 0, headers: res.headers, chunk, rest });
          });
        },
      );
      req.on('error', reject);
      req.write('x'.repeat(70_000));
      req.end('y'.repeat(30_000));
    });
    // The upstream has not ended its response, yet the first chunk is here: nothing is buffered.
    expect(firstChunk).toMatchObject({ status: 201, chunk: 'got 100000 bytes;' });
    expect(firstChunk.headers).toMatchObject({
      'x-custom': 'kept',
      'set-cookie': ['a=1', 'b=2'],
      'x-sandbox-pod': 'stream-a',
    });
    finish?.();
    expect(await firstChunk.rest).toBe('done');
  });

  it('closes cleanly twice, stops its watches, and cannot listen again', async () => {
    const before = cluster.registry.store.watchCount();
    await Promise.all([gateway.close(), gateway.close()]);
    expect(gateway.state).toBe('closed');
    expect(cluster.registry.store.watchCount()).toBe(before - 5);
    await expect(gateway.listen()).rejects.toThrow('cannot listen: the gateway is closed');
    await expect(request(url, { host: 'web.shop' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a gateway that cannot listen rejects and ends closed, with its watches stopped', async () => {
    const before = cluster.registry.store.watchCount();
    const second = new Gateway({ cluster: new RegistryCluster(cluster.registry), port: Number(new URL(url).port) });
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
    expect(second.state).toBe('closed');
    expect(cluster.registry.store.watchCount()).toBe(before);
  });
});
