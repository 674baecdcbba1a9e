/** The API client over real HTTP: answers parsed by the contract's schemas, failures as typed errors. */
import { ApiRequestError, ApiUnreachableError, InvalidApiResponseError } from '../../../src/errors';
import { exitCodeFor } from '../../../src/cli/exitCodes';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RampApiClient } from '../../../src/cli/apiClient';
import { freePort } from '@ramp/sandbox/util/ports';
import { view } from './fixtures';

interface Seen {
  method?: string;
  url?: string;
  auth?: string;
  body: string;
}

describe('RampApiClient', () => {
  let server: Server;
  let base: string;
  let reply: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        reply(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => (seen.length = 0));

  const json = (status: number, value: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };

  it('sends the plan as JSON with the bearer token and parses the view', async () => {
    reply = json(201, view());
    const client = new RampApiClient({ server: `${base}/`, token: 'secret' });
    const v = await client.createRollout('shop', { kind: 'Rollout' });
    expect(v.id).toBe('shop.checkout.3');
    expect(seen[0]).toEqual({
      method: 'POST',
      url: '/api/v1/namespaces/shop/rollouts',
      auth: 'Bearer secret',
      body: '{"kind":"Rollout"}',
    });
  });

  it('builds the query strings and operation bodies of the contract', async () => {
    const client = new RampApiClient({ server: base, token: 't' });
    reply = json(200, { items: [view()] });
    await client.listRollouts('shop', { app: 'checkout', limit: 5 });
    reply = json(200, { ...view(), history: [] });
    await client.getRollout('shop', 'checkout', { rollout: 'shop.checkout.3' });
    reply = json(200, view());
    await client.operate('shop', 'checkout', 'promote', { full: true });
    await client.operate('shop', 'checkout', 'abort');
    reply = json(200, { dryRun: true, rollout: view() });
    await client.dryRun('shop', {});
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'GET /api/v1/namespaces/shop/rollouts?app=checkout&limit=5 ',
      'GET /api/v1/namespaces/shop/rollouts/checkout?rollout=shop.checkout.3 ',
      'POST /api/v1/namespaces/shop/rollouts/checkout/promote {"full":true}',
      'POST /api/v1/namespaces/shop/rollouts/checkout/abort {}',
      'POST /api/v1/namespaces/shop/rollouts?dryRun=true {}',
    ]);
  });

  it('turns the error body into ApiRequestError with every detail (422 → exit 2)', async () => {
    reply = json(422, {
      error: {
        code: 'INVALID_PLAN',
        message: 'the plan has 1 problem',
        details: [{ path: 'spec.replicas', message: 'expected an integer 1–10000' }],
      },
    });
    const err = await new RampApiClient({ server: base, token: 't' })
      .createRollout('shop', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err).toMatchObject({
      status: 422,
      code: 'INVALID_PLAN',
      details: [{ path: 'spec.replicas', message: 'expected an integer 1–10000' }],
    });
    expect(exitCodeFor(err)).toBe(2);
  });

  it('sends a request again while the server answers 503 NOT_READY, and gives up after its patience', async () => {
    let n = 0;
    reply = (req, res) =>
      ++n <= 2
        ? json(503, { error: { code: 'NOT_READY', message: 'redis is not connected', details: [] } })(req, res)
        : json(200, { ...view(), history: [] })(req, res);
    const got = await new RampApiClient({ server: base, token: 't' }).getRollout('shop', 'checkout');
    expect(got.id).toBe(view().id);
    expect(seen).toHaveLength(3);
    seen.length = 0;
    reply = json(503, { error: { code: 'NOT_READY', message: 'redis is not connected', details: [] } });
    const err = await new RampApiClient({ server: base, token: 't', notReadyPatienceMs: 1500 })
      .createRollout('shop', {})
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'NOT_READY' });
    expect(exitCodeFor(err)).toBe(3);
    expect(seen.length).toBeGreaterThan(1);
    seen.length = 0;
    // Any other 503 is not retried here (the event stream has its own reconnecting).
    reply = json(503, { error: { code: 'KUBE_TRANSIENT', message: 'the cluster did not answer', details: [] } });
    await new RampApiClient({ server: base, token: 't' }).createRollout('shop', {}).catch(() => undefined);
    expect(seen).toHaveLength(1);
  });

  it('names the status when the error body is not the contract’s', async () => {
    reply = (_req, res) => res.writeHead(502).end('<html>bad gateway</html>');
    const err = await new RampApiClient({ server: base, token: 't' }).listRollouts('shop').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, code: 'HTTP_502' });
    expect(exitCodeFor(err)).toBe(3);
  });

  it('refuses a 2xx answer outside the contract', async () => {
    reply = json(200, { items: [{ id: 1 }] });
    await expect(new RampApiClient({ server: base, token: 't' }).listRollouts('shop')).rejects.toBeInstanceOf(
      InvalidApiResponseError,
    );
  });

  it('reports a server that does not answer in time, or not at all, as unreachable (exit 3)', async () => {
    reply = () => undefined; // never answers
    const slow = await new RampApiClient({ server: base, token: 't', timeoutMs: 200 })
      .listRollouts('shop')
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(ApiUnreachableError);
    expect((slow as Error).message).toMatch(/no answer within 0.2s/);
    const nobody = await new RampApiClient({ server: `http://127.0.0.1:${await freePort()}`, token: 't' })
      .listRollouts('shop')
      .catch((e: unknown) => e);
    expect(nobody).toBeInstanceOf(ApiUnreachableError);
    expect((nobody as Error).message).toMatch(/connection refused/);
    expect(exitCodeFor(nobody)).toBe(3);
  });
});
