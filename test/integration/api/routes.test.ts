/**
 * Every route and every error status of the API on a real Redis (no cluster needed: records are
 * stored directly), with auth scoping, and every answer checked against the served OpenAPI document.
 */
import request from 'supertest';
import type { Response } from 'supertest';
import { Writable } from 'node:stream';
import pino from 'pino';
import Redis from 'ioredis';
import { storeKeys } from '../../../src/engine/store';
import {
  errorBodySchema,
  rolloutListSchema,
  rolloutViewSchema,
  rolloutWithHistorySchema,
} from '../../../src/api/schemas';
import { testRedisUrl } from '../../helpers/redis';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';
import { OpenApiChecker } from './openapiCheck';
import { smallPlanInput, storeRollout } from './records';

const ROLLOUTS = '/api/v1/namespaces/{ns}/rollouts';
const ROLLOUT = `${ROLLOUTS}/{name}`;

let h: ApiHarness;
let doc: OpenApiChecker;

beforeAll(async () => {
  h = await startApi('routes');
  const res = await request(h.app).get('/openapi.json').expect(200);
  doc = new OpenApiChecker(res.body);
});
afterAll(async () => {
  await h?.close();
});

/** Checks the answer against the document (documented status, body fits) and returns it. */
function documented(method: string, path: string, res: Response): Response {
  doc.check(method, path, { status: res.status, headers: res.headers, body: res.body, text: res.text });
  if (res.status >= 400) expect(errorBodySchema.safeParse(res.body).success).toBe(true);
  return res;
}

function expectError(res: Response, status: number, code: string): Response {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.text).not.toMatch(/\n\s+at /);
  return res;
}

describe('authentication and authorization', () => {
  it('answers 401 without a token, with a malformed header, or with an unknown token', async () => {
    const a = await storeRollout(h.deps, 'a', 'web');
    const routes: [string, string, string][] = [
      ['get', `/api/v1/namespaces/a/rollouts`, ROLLOUTS],
      ['post', `/api/v1/namespaces/a/rollouts`, ROLLOUTS],
      ['get', `/api/v1/namespaces/a/rollouts/web`, ROLLOUT],
      ['post', `/api/v1/namespaces/a/rollouts/web/pause`, `${ROLLOUT}/pause`],
      ['get', `/api/v1/namespaces/a/rollouts/web/events`, `${ROLLOUT}/events`],
    ];
    for (const [method, url, path] of routes) {
      const none = documented(method, path, await request(h.app)[method as 'get'](url));
      expectError(none, 401, 'UNAUTHORIZED');
      expect(none.headers['www-authenticate']).toBe('Bearer realm="ramp"');
      const bad = documented(
        method,
        path,
        await request(h.app)[method as 'get'](url).set(bearer('not-a-token-at-all-000')),
      );
      expectError(bad, 401, 'UNAUTHORIZED');
      expect(bad.headers['www-authenticate']).toMatch(/invalid_token/);
      expectError(
        await request(h.app)[method as 'get'](url).set('Authorization', `Basic ${TOKENS.admin}`),
        401,
        'UNAUTHORIZED',
      );
    }
    // Nothing was changed by the refused operation.
    expect((await h.deps.store.get(a.id))?.version).toBe(a.version);
  });

  it("scopes tokens to namespaces: namespace a's token gets 403 in namespace b, for every verb", async () => {
    await storeRollout(h.deps, 'b', 'web', 'Progressing');
    const asA = bearer(TOKENS.teamA);
    expectError(
      documented('get', ROLLOUTS, await request(h.app).get('/api/v1/namespaces/b/rollouts').set(asA)),
      403,
      'FORBIDDEN',
    );
    expectError(
      documented('get', ROLLOUT, await request(h.app).get('/api/v1/namespaces/b/rollouts/web').set(asA)),
      403,
      'FORBIDDEN',
    );
    expectError(
      documented(
        'get',
        `${ROLLOUT}/events`,
        await request(h.app).get('/api/v1/namespaces/b/rollouts/web/events').set(asA),
      ),
      403,
      'FORBIDDEN',
    );
    expectError(
      documented(
        'post',
        ROLLOUTS,
        await request(h.app).post('/api/v1/namespaces/b/rollouts').set(asA).send(smallPlanInput('b', 'x')),
      ),
      403,
      'FORBIDDEN',
    );
    const op = documented(
      'post',
      `${ROLLOUT}/pause`,
      await request(h.app).post('/api/v1/namespaces/b/rollouts/web/pause').set(asA),
    );
    expectError(op, 403, 'FORBIDDEN');
    expect(op.body.error.message).toBe('team-a may not operate rollouts in namespace b');
    expect((await h.deps.store.getLatest('b', 'web'))?.phase).toBe('Progressing');
    // …and is served in its own namespace.
    documented('get', ROLLOUTS, await request(h.app).get('/api/v1/namespaces/a/rollouts').set(asA).expect(200));
  });

  it('scopes tokens to verbs: a read-only token gets 403 on create and operate, read+operate on create', async () => {
    await storeRollout(h.deps, 'verbs', 'web', 'Progressing');
    const reader = bearer(TOKENS.reader);
    documented(
      'get',
      ROLLOUT,
      await request(h.app).get('/api/v1/namespaces/verbs/rollouts/web').set(reader).expect(200),
    );
    expectError(
      documented(
        'post',
        ROLLOUTS,
        await request(h.app).post('/api/v1/namespaces/verbs/rollouts').set(reader).send(smallPlanInput('verbs', 'x')),
      ),
      403,
      'FORBIDDEN',
    );
    for (const op of ['promote', 'abort', 'retry', 'pause', 'resume']) {
      expectError(
        documented(
          'post',
          `${ROLLOUT}/${op}`,
          await request(h.app).post(`/api/v1/namespaces/verbs/rollouts/web/${op}`).set(reader),
        ),
        403,
        'FORBIDDEN',
      );
    }
    expectError(
      await request(h.app)
        .post('/api/v1/namespaces/verbs/rollouts')
        .set(bearer(TOKENS.operator))
        .send(smallPlanInput('verbs', 'x')),
      403,
      'FORBIDDEN',
    );
    const paused = documented(
      'post',
      `${ROLLOUT}/pause`,
      await request(h.app).post('/api/v1/namespaces/verbs/rollouts/web/pause').set(bearer(TOKENS.operator)).expect(200),
    );
    expect(paused.body.phase).toBe('Paused');
  });

  it('serves the open paths without a token, and only those; which ones are open is configurable', async () => {
    documented('get', '/healthz', await request(h.app).get('/healthz').expect(200));
    documented('get', '/readyz', await request(h.app).get('/readyz').expect(200));
    documented('get', '/metrics', await request(h.app).get('/metrics').expect(200));
    documented('get', '/openapi.json', await request(h.app).get('/openapi.json').expect(200));
    const closed = h.makeApp({ openPaths: ['/healthz'] });
    await request(closed).get('/healthz').expect(200);
    expectError(await request(closed).get('/metrics'), 401, 'UNAUTHORIZED');
    expectError(await request(closed).get('/openapi.json'), 401, 'UNAUTHORIZED');
    await request(closed).get('/metrics').set(bearer(TOKENS.reader)).expect(200);
    const doc2 = (await request(closed).get('/openapi.json').set(bearer(TOKENS.reader)).expect(200)).body;
    expect(doc2.paths['/metrics'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(doc2.paths['/metrics'].get.responses['401']).toBeDefined();
    expect(doc2.paths['/healthz'].get.security).toEqual([]);
  });

  it('answers unknown endpoints 401 without a token and 404 with one; a method a path does not serve 405', async () => {
    expectError(await request(h.app).get('/api/v1/nothing'), 401, 'UNAUTHORIZED');
    expectError(await request(h.app).get('/api/v1/nothing').set(bearer(TOKENS.admin)), 404, 'NOT_FOUND');
    for (const method of ['delete', 'put', 'patch', 'options', 'trace'] as const) {
      const res = await request(h.app)[method]('/api/v1/namespaces/a/rollouts').set(bearer(TOKENS.admin));
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD, POST');
      if (method !== 'options') expect(res.body.error.code).toBe('METHOD_NOT_ALLOWED');
    }
    // Before any token is asked for: the method is wrong whoever asks.
    const trace = await request(h.app).trace('/api/v1/namespaces/a/rollouts/web/events');
    expect([trace.status, trace.headers.allow]).toEqual([405, 'GET, HEAD']);
  });
});

describe('reading rollouts', () => {
  const admin = bearer(TOKENS.admin);

  it('lists a namespace newest first, filters by app, limits', async () => {
    const first = await storeRollout(h.deps, 'list', 'web', 'Succeeded');
    const other = await storeRollout(h.deps, 'list', 'api', 'Progressing');
    const second = await storeRollout(h.deps, 'list', 'web', 'Progressing');
    const all = documented(
      'get',
      ROLLOUTS,
      await request(h.app).get('/api/v1/namespaces/list/rollouts').set(admin).expect(200),
    );
    expect(rolloutListSchema.parse(all.body).items.map((r) => r.id)).toEqual([second.id, other.id, first.id]);
    const web = documented(
      'get',
      ROLLOUTS,
      await request(h.app).get('/api/v1/namespaces/list/rollouts?app=web').set(admin).expect(200),
    );
    expect(web.body.items.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
    const one = await request(h.app).get('/api/v1/namespaces/list/rollouts?app=web&limit=1').set(admin).expect(200);
    expect(one.body.items.map((r: { id: string }) => r.id)).toEqual([second.id]);
    const limited = await request(h.app).get('/api/v1/namespaces/list/rollouts?limit=2').set(admin).expect(200);
    expect(limited.body.items).toHaveLength(2);
    expect((await request(h.app).get('/api/v1/namespaces/empty/rollouts').set(admin).expect(200)).body).toEqual({
      items: [],
    });
  });

  it("shows an app's latest rollout with its history, or one by id", async () => {
    const old = await storeRollout(h.deps, 'show', 'web', 'RolledBack');
    const latest = await storeRollout(h.deps, 'show', 'web', 'Progressing');
    await h.deps.events.append(latest.id, {
      at: Date.now(),
      type: 'WeightChanged',
      message: 'weight 20%',
      phase: 'Progressing',
      step: 0,
      weight: 20,
    });
    const res = documented(
      'get',
      ROLLOUT,
      await request(h.app).get('/api/v1/namespaces/show/rollouts/web').set(admin).expect(200),
    );
    const body = rolloutWithHistorySchema.parse(res.body);
    expect(body.id).toBe(latest.id);
    expect(body.phase).toBe('Progressing');
    expect(body.history.map((e) => e.type)).toEqual(['Created', 'WeightChanged']);
    expect(body.history[1]).toMatchObject({ weight: 20, step: 0, phase: 'Progressing' });
    const byId = documented(
      'get',
      ROLLOUT,
      await request(h.app).get(`/api/v1/namespaces/show/rollouts/web?rollout=${old.id}`).set(admin).expect(200),
    );
    expect(byId.body).toMatchObject({ id: old.id, phase: 'RolledBack', outcome: 'rolledBack' });
  });

  it('answers 404 for an app without rollouts, and for a rollout id of another app or namespace', async () => {
    const elsewhere = await storeRollout(h.deps, 'other-ns', 'web', 'Progressing');
    expectError(
      documented('get', ROLLOUT, await request(h.app).get('/api/v1/namespaces/show/rollouts/nothing').set(admin)),
      404,
      'ROLLOUT_NOT_FOUND',
    );
    // A token for namespace a must not reach another namespace's rollout by naming its id.
    const viaId = await request(h.app)
      .get(`/api/v1/namespaces/a/rollouts/web?rollout=${elsewhere.id}`)
      .set(bearer(TOKENS.teamA));
    expectError(documented('get', ROLLOUT, viaId), 404, 'ROLLOUT_NOT_FOUND');
    expect(viaId.text).not.toContain('Progressing');
    expectError(
      documented(
        'get',
        `${ROLLOUT}/events`,
        await request(h.app).get('/api/v1/namespaces/a/rollouts/nothing/events').set(admin),
      ),
      404,
      'ROLLOUT_NOT_FOUND',
    );
    expectError(
      documented(
        'post',
        `${ROLLOUT}/abort`,
        await request(h.app).post('/api/v1/namespaces/a/rollouts/nothing/abort').set(admin),
      ),
      404,
      'ROLLOUT_NOT_FOUND',
    );
  });
});

describe('operations', () => {
  const admin = bearer(TOKENS.admin);

  it('pauses, resumes and aborts the latest rollout; each answers the rollout view and wakes a worker', async () => {
    const r = await storeRollout(h.deps, 'ops', 'web', 'Progressing');
    const paused = documented(
      'post',
      `${ROLLOUT}/pause`,
      await request(h.app).post('/api/v1/namespaces/ops/rollouts/web/pause').set(admin).expect(200),
    );
    expect(rolloutViewSchema.parse(paused.body)).toMatchObject({ id: r.id, phase: 'Paused', pause: { kind: 'user' } });
    const resumed = documented(
      'post',
      `${ROLLOUT}/resume`,
      await request(h.app).post('/api/v1/namespaces/ops/rollouts/web/resume').set(admin).send({}).expect(200),
    );
    expect(resumed.body.phase).toBe('Progressing');
    const aborted = documented(
      'post',
      `${ROLLOUT}/abort?rollout=${r.id}`.split('?')[0],
      await request(h.app).post(`/api/v1/namespaces/ops/rollouts/web/abort?rollout=${r.id}`).set(admin).expect(200),
    );
    expect(aborted.body.phase).toBe('RollingBack');
    const messages = (await h.deps.events.read(r.id)).map((e) => e.event.message);
    expect(messages).toEqual(
      expect.arrayContaining(['pause: paused by request', 'resume: progressing again', 'abort: rolling back']),
    );
    expect(await h.deps.queue.queue.getJob(`${r.id}.${aborted.body.version}`)).toBeDefined();
  });

  it('promotes one step, or to the end with { full: true }', async () => {
    const r = await storeRollout(h.deps, 'promote', 'web', 'Paused', {
      strategy: { kind: 'canary', stepIndex: 1, stepStartedAt: Date.now(), weight: 20 },
      pause: { kind: 'step', since: Date.now() },
    });
    const step = documented(
      'post',
      `${ROLLOUT}/promote`,
      await request(h.app).post('/api/v1/namespaces/promote/rollouts/web/promote').set(admin).expect(200),
    );
    expect(step.body).toMatchObject({ id: r.id, stepIndex: 2 });
    const full = documented(
      'post',
      `${ROLLOUT}/promote`,
      await request(h.app)
        .post('/api/v1/namespaces/promote/rollouts/web/promote')
        .set(admin)
        .send({ full: true })
        .expect(200),
    );
    expect(full.body.phase).toBe('Promoting');
  });

  it('answers 409 with the phase for an operation that does not fit it', async () => {
    const done = await storeRollout(h.deps, 'conflict', 'web', 'Succeeded');
    const res = documented(
      'post',
      `${ROLLOUT}/promote`,
      await request(h.app).post('/api/v1/namespaces/conflict/rollouts/web/promote').set(admin),
    );
    expectError(res, 409, 'INVALID_OPERATION');
    expect(res.body.error.details).toEqual([{ path: 'phase', message: 'Succeeded' }]);
    expectError(
      documented(
        'post',
        `${ROLLOUT}/resume`,
        await request(h.app).post('/api/v1/namespaces/conflict/rollouts/web/resume').set(admin),
      ),
      409,
      'INVALID_OPERATION',
    );
    expectError(
      documented(
        'post',
        `${ROLLOUT}/retry`,
        await request(h.app).post('/api/v1/namespaces/conflict/rollouts/web/retry').set(admin),
      ),
      409,
      'INVALID_OPERATION',
    );
    expect((await h.deps.store.get(done.id))?.version).toBe(done.version);
  });
});

describe('malformed requests', () => {
  const admin = bearer(TOKENS.admin);
  const create = (ns = 'bad') => request(h.app).post(`/api/v1/namespaces/${ns}/rollouts`).set(admin);

  it('answers 400 for bodies that do not parse and for bad query parameters and paths', async () => {
    const cases: [string, Response][] = [
      ['bad JSON', await create().type('application/json').send('{"apiVersion": ')],
      ['bad YAML', await create().type('application/yaml').send('metadata: [unclosed')],
      ['two YAML documents', await create().type('text/yaml').send('a: 1\n---\nb: 2\n')],
      ['no body', await create()],
      ['unknown query parameter', await create().query({ dryrun: 'true' }).send(smallPlanInput('bad', 'web'))],
      ['bad dryRun', await create().query({ dryRun: 'yes' }).send(smallPlanInput('bad', 'web'))],
      ['bad namespace', await create('Bad_Namespace').send(smallPlanInput(undefined, 'web'))],
    ];
    for (const [what, res] of cases) {
      try {
        expectError(documented('post', ROLLOUTS, res), 400, 'BAD_REQUEST');
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
    }
    const dry = cases.find(([w]) => w === 'unknown query parameter')?.[1];
    expect(dry?.body.error.details).toEqual([{ path: 'query.dryrun', message: 'unknown field' }]);
    expect(cases[0][1].body.error.details[0].path).toBe('body');
    expectError(
      documented('get', ROLLOUTS, await request(h.app).get('/api/v1/namespaces/bad/rollouts?limit=0').set(admin)),
      400,
      'BAD_REQUEST',
    );
    expectError(
      documented(
        'get',
        ROLLOUTS,
        await request(h.app).get('/api/v1/namespaces/bad/rollouts?limit=1&limit=2').set(admin),
      ),
      400,
      'BAD_REQUEST',
    );
    expectError(
      documented('get', ROLLOUT, await request(h.app).get('/api/v1/namespaces/bad/rollouts/Not_An_App').set(admin)),
      400,
      'BAD_REQUEST',
    );
    await storeRollout(h.deps, 'bad', 'web', 'Progressing');
    expectError(
      documented(
        'post',
        `${ROLLOUT}/promote`,
        await request(h.app).post('/api/v1/namespaces/bad/rollouts/web/promote').set(admin).send({ full: 'yes' }),
      ),
      400,
      'BAD_REQUEST',
    );
    expectError(
      documented(
        'post',
        `${ROLLOUT}/pause`,
        await request(h.app).post('/api/v1/namespaces/bad/rollouts/web/pause').set(admin).send({ force: true }),
      ),
      400,
      'BAD_REQUEST',
    );
    expectError(
      documented(
        'get',
        `${ROLLOUT}/events`,
        await request(h.app)
          .get('/api/v1/namespaces/bad/rollouts/web/events')
          .set(admin)
          .set('Last-Event-ID', 'garbage'),
      ),
      400,
      'BAD_REQUEST',
    );
    expect((await h.deps.store.getLatest('bad', 'web'))?.phase).toBe('Progressing');
  });

  it('answers 422 naming each field for a plan that does not validate, and for a namespace other than the path', async () => {
    const plan = smallPlanInput('bad', 'web', [{ setWeight: 20 }, { pause: {} }, { setWeight: 150 }]);
    const res = documented('post', ROLLOUTS, await create().send(plan));
    expectError(res, 422, 'INVALID_PLAN');
    expect(res.body.error.details).toEqual([
      { path: 'spec.strategy.canary.steps[2].setWeight', message: 'expected an integer 0–100' },
    ]);
    const yaml = documented(
      'post',
      ROLLOUTS,
      await create()
        .type('application/yaml')
        .send('apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata: { name: web }\n'),
    );
    expectError(yaml, 422, 'INVALID_PLAN');
    expect(yaml.body.error.details).toEqual([{ path: 'spec', message: expect.stringMatching(/^required/) }]);
    const mismatch = documented('post', ROLLOUTS, await create().send(smallPlanInput('elsewhere', 'web')));
    expectError(mismatch, 422, 'INVALID_PLAN');
    expect(mismatch.body.error.details).toEqual([
      { path: 'metadata.namespace', message: 'expected "bad" (the namespace in the URL) or nothing, got "elsewhere"' },
    ]);
    expectError(documented('post', ROLLOUTS, await create().send([1, 2, 3])), 422, 'INVALID_PLAN');
  });

  it('answers 413 over the body limit (1 MiB by default, configurable)', async () => {
    const big = JSON.stringify({ ...smallPlanInput('bad', 'web'), padding: 'x'.repeat(1024 * 1024) });
    expectError(
      documented('post', ROLLOUTS, await create().type('application/json').send(big)),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const small = h.makeApp({ bodyLimit: 100 });
    const res = await request(small)
      .post('/api/v1/namespaces/bad/rollouts')
      .set(admin)
      .send(smallPlanInput('bad', 'web'));
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.error.message).toMatch(/100 bytes/);
  });

  it('answers 415 for content types an endpoint does not read', async () => {
    expectError(
      documented('post', ROLLOUTS, await create().type('text/plain').send('apiVersion: x')),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      documented('post', ROLLOUTS, await create().set('Content-Type', 'application/json; charset=latin1').send('{}')),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await storeRollout(h.deps, 'media', 'web', 'Progressing');
    expectError(
      documented(
        'post',
        `${ROLLOUT}/pause`,
        await request(h.app)
          .post('/api/v1/namespaces/media/rollouts/web/pause')
          .set(admin)
          .type('application/yaml')
          .send('full: true'),
      ),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });
});

describe('failures that are not the caller', () => {
  it('answers 500 with a generic message (no stack, no internals) and logs it with the request and rollout ids', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const app = h.makeApp({ logger: pino({ level: 'info' }, sink) });
    const r = await storeRollout(h.deps, 'corrupt', 'web', 'Progressing');
    const redis = new Redis(testRedisUrl());
    try {
      await redis.hset(storeKeys(h.prefix).record(r.id), 'json', '{"not":"a record"');
    } finally {
      redis.disconnect();
    }
    const res = documented(
      'get',
      ROLLOUT,
      await request(app)
        .get(`/api/v1/namespaces/corrupt/rollouts/web?rollout=${r.id}`)
        .set(bearer(TOKENS.admin))
        .set('X-Request-Id', 'req-corrupt-1'),
    );
    expectError(res, 500, 'INTERNAL');
    expect(res.body.error.message).toBe(
      'internal error; the server log has the details under this request id (req-corrupt-1)',
    );
    expect(res.text).not.toMatch(/CorruptRecord|at .*\.ts|stack/);
    const logged = lines.find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({ requestId: 'req-corrupt-1', rolloutId: r.id, status: 500, subject: 'admin' });
    expect(JSON.stringify(logged)).toContain('CORRUPT_RECORD');
  });

  it('answers 503 naming the Kubernetes API when the cluster does not answer a create, and writes nothing', async () => {
    const res = documented(
      'post',
      ROLLOUTS,
      await request(h.app)
        .post('/api/v1/namespaces/nocluster/rollouts')
        .set(bearer(TOKENS.admin))
        .send(smallPlanInput('nocluster', 'web')),
    );
    expectError(res, 503, 'KUBE_TRANSIENT');
    expect(res.body.error.message).toMatch(/^Kubernetes API: get namespaces failed/);
    expect(await h.deps.store.list('nocluster')).toEqual([]);
  });

  it('answers 503 from /readyz when Redis does not answer', async () => {
    const app = h.makeApp({
      ready: async () =>
        Promise.reject(
          new (await import('../../../src/errors')).NotReadyError('redis', 'did not answer within 2000 ms'),
        ),
    });
    expectError(documented('get', '/readyz', await request(app).get('/readyz')), 503, 'NOT_READY');
  });
});

describe('metrics', () => {
  it('serves the engine registry with API request durations by route pattern and status', async () => {
    await request(h.app).get('/api/v1/namespaces/metrics/rollouts').set(bearer(TOKENS.admin)).expect(200);
    const text = (await request(h.app).get('/metrics').expect(200)).text;
    expect(text).toContain(
      'ramp_api_request_duration_seconds_count{method="GET",route="/api/v1/namespaces/:ns/rollouts",status="200"}',
    );
    expect(text).toMatch(/ramp_api_request_duration_seconds_count\{method="GET",route="unmatched",status="401"\}/);
    expect(text).toContain('ramp_rollout_transitions_total');
  });
});
