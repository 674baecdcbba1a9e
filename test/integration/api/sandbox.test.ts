/**
 * The API on the sandbox with the engine and a worker: plans in JSON and YAML start real rollouts,
 * dry runs check the cluster and Prometheus and write nothing, a second rollout of an active app is a
 * 409, and a rollout is operated (promote, abort, retry, promote --full) and followed over SSE — with a
 * dropped connection resumed by Last-Event-ID — to its end, matching GET …/{name} history.
 */
import request from 'supertest';
import YAML from 'yaml';
import type { RampApiServer } from '../../../src/api/server';
import { resource } from '@ramp/sandbox';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';
import { OpenApiChecker } from './openapiCheck';
import { openSse, type SseFrame, type SseSession } from './sseClient';
import { canaryState } from '../../helpers/canaryState';

const NS = 'api-sb';
const ROLLOUTS = '/api/v1/namespaces/{ns}/rollouts';
const ROLLOUT = `${ROLLOUTS}/{name}`;
const auth = bearer(TOKENS.admin);

let eh: EngineHarness;
let api: ApiHarness;
let server: RampApiServer;
let url: string;
let doc: OpenApiChecker;

beforeAll(async () => {
  eh = await startEngineHarness('api');
  await prepareNamespace(eh.sb, NS);
  api = await startApi('sandbox', { deps: eh.deps, api: { feed: { pollMs: 200 } } });
  ({ server, url } = await api.startServer());
  doc = new OpenApiChecker((await request(api.app).get('/openapi.json').expect(200)).body);
}, 90_000);
afterAll(async () => {
  await api?.close();
  await eh?.close();
});

const post = (path: string) => request(url).post(`/api/v1/namespaces/${NS}${path}`).set(auth);
const get = (path: string) => request(url).get(`/api/v1/namespaces/${NS}${path}`).set(auth);

function documented(method: string, path: string, res: request.Response): request.Response {
  doc.check(method, path, { status: res.status, headers: res.headers, body: res.body, text: res.text });
  return res;
}

const replicaSets = async () =>
  (await eh.sb.cluster.list(resource('replicasets'), { namespace: NS })).map((o) => o.metadata.name);

async function collectUntilEnd(s: SseSession, timeoutMs = 90_000): Promise<SseFrame[]> {
  await s.until((f) => f.some((x) => x.event === 'end'), timeoutMs);
  await s.closed;
  return s.frames;
}

describe('the API driving real rollouts', () => {
  it('deploys the first version from a YAML plan without metadata.namespace (201, Location)', async () => {
    const plan = demoPlan({ namespace: NS, version: 'v1', metrics: [] }) as unknown as {
      metadata: Record<string, unknown>;
    };
    delete plan.metadata.namespace;
    const res = documented(
      'post',
      ROLLOUTS,
      await post('/rollouts').type('application/yaml').send(YAML.stringify(plan)).expect(201),
    );
    expect(res.body).toMatchObject({ namespace: NS, name: 'checkout', phase: 'Pending', attempt: 1 });
    expect(res.headers.location).toBe(
      `/api/v1/namespaces/${NS}/rollouts/checkout?rollout=${encodeURIComponent(res.body.id)}`,
    );
    const s = await openSse(
      `${url}${res.headers.location.replace('/rollouts/checkout?', '/rollouts/checkout/events?')}`,
      auth,
    );
    const frames = await collectUntilEnd(s);
    expect(JSON.parse(frames[frames.length - 1].data)).toMatchObject({
      id: res.body.id,
      phase: 'Succeeded',
      outcome: 'promoted',
    });
  }, 120_000);

  it('dry-runs against the cluster and Prometheus, writing nothing', async () => {
    // The worker keeps working on the first rollout (its old pods' scale-down), so jobs are compared by rollout, not counted.
    const jobRollouts = async () =>
      new Set(
        (await eh.deps.queue.queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized'])).map(
          (j) => j?.data.rolloutId,
        ),
      );
    const before = { rollouts: (await eh.deps.store.list(NS)).map((r) => r.id), rs: await replicaSets() };
    const jobsBefore = await jobRollouts();
    const ok = documented(
      'post',
      ROLLOUTS,
      await post('/rollouts?dryRun=true')
        .send(demoPlan({ namespace: NS, version: 'v2' }))
        .expect(200),
    );
    expect(ok.body).toMatchObject({ dryRun: true, rollout: { namespace: NS, name: 'checkout', phase: 'Pending' } });
    expect(await eh.deps.events.length(ok.body.rollout.id)).toBe(0);
    const noRoute = demoPlan({ namespace: NS, version: 'v2' }) as unknown as {
      spec: { strategy: { canary: { router: unknown } } };
    };
    noRoute.spec.strategy.canary.router = { gatewayApi: { httpRoute: 'missing' } };
    const res = documented('post', ROLLOUTS, await post('/rollouts?dryRun=true').send(noRoute).expect(422));
    expect(res.body.error.details).toEqual([
      {
        path: 'spec.strategy.canary.router.gatewayApi.httpRoute',
        message: expect.stringMatching(/HTTPRoute api-sb\/missing not found/),
      },
    ]);
    const badQuery = demoPlan({
      namespace: NS,
      version: 'v2',
      metrics: [{ name: 'depth', query: 'sum(rate(http_requests_total[1m]', threshold: { max: 1 } }],
    });
    const q = documented('post', ROLLOUTS, await post('/rollouts?dryRun=true').send(badQuery).expect(422));
    expect(q.body.error.details[0].path).toBe('spec.analysis.metrics[0].query');
    const noNs = documented(
      'post',
      ROLLOUTS,
      await request(url)
        .post('/api/v1/namespaces/nowhere/rollouts?dryRun=true')
        .set(auth)
        .send(demoPlan({ namespace: 'nowhere', version: 'v2' }))
        .expect(422),
    );
    expect(noNs.body.error.details.map((d: { path: string }) => d.path)).toContain('metadata.namespace');
    expect({ rollouts: (await eh.deps.store.list(NS)).map((r) => r.id), rs: await replicaSets() }).toEqual(before);
    for (const id of await jobRollouts()) expect(jobsBefore.has(id) || before.rollouts.includes(id ?? '')).toBe(true);
    expect(await eh.deps.store.list('nowhere')).toEqual([]);
  }, 60_000);

  it('refuses a second rollout of an active app with 409 naming the active one', async () => {
    const plan = demoPlan({
      namespace: NS,
      version: 'v2',
      metrics: [],
      steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }],
    });
    const created = documented('post', ROLLOUTS, await post('/rollouts').send(plan).expect(201));
    const again = documented(
      'post',
      ROLLOUTS,
      await post('/rollouts')
        .send(demoPlan({ namespace: NS, version: 'v3', metrics: [] }))
        .expect(409),
    );
    expect(again.body.error).toMatchObject({
      code: 'ACTIVE_ROLLOUT_EXISTS',
      details: [{ path: 'activeRollout', message: created.body.id }],
    });
    expect((await eh.deps.store.getLatest(NS, 'checkout'))?.id).toBe(created.body.id);
  }, 60_000);

  it('operates the rollout over the API and streams it, across a dropped connection, to the end', async () => {
    const id = (await eh.deps.store.getLatest(NS, 'checkout'))!.id;
    const s1 = await openSse(`${url}/api/v1/namespaces/${NS}/rollouts/checkout/events`, auth);
    await waitForPhase(eh.deps, id, ['Paused']);
    await s1.until((f) => f.some((x) => JSON.parse(x.data).phase === 'Paused'));
    s1.abort();
    const seen = s1.frames.filter((f) => f.event === 'rollout');

    const promoted = documented('post', `${ROLLOUT}/promote`, await post('/rollouts/checkout/promote').expect(200));
    expect(promoted.body.stepIndex).toBe(2);
    await waitForPhase(eh.deps, id, ['Paused']).then((r) => expect(canaryState(r).stepIndex).toBe(3));
    const aborted = documented('post', `${ROLLOUT}/abort`, await post('/rollouts/checkout/abort').expect(200));
    expect(aborted.body.phase).toBe('RollingBack');

    const s2 = await openSse(`${url}/api/v1/namespaces/${NS}/rollouts/checkout/events`, {
      ...auth,
      'Last-Event-ID': seen[seen.length - 1].id ?? '',
    });
    const rest = await collectUntilEnd(s2);
    const end = JSON.parse(rest[rest.length - 1].data);
    expect(end).toMatchObject({ id, phase: 'RolledBack', outcome: 'aborted' });
    const streamed = [...seen, ...rest.filter((f) => f.event === 'rollout')];
    const history = documented('get', ROLLOUT, await get(`/rollouts/checkout?rollout=${id}`).expect(200)).body.history;
    expect(streamed.map((f) => f.id)).toEqual(history.slice(0, streamed.length).map((e: { id: string }) => e.id));
    expect(streamed.map((f) => JSON.parse(f.data))).toEqual(history.slice(0, streamed.length));
    expect(new Set(streamed.map((f) => f.id)).size).toBe(streamed.length);
    expect(history.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['Created', 'Paused', 'Operation', 'RollingBack', 'RolledBack']),
    );

    const retried = documented('post', `${ROLLOUT}/retry`, await post('/rollouts/checkout/retry').expect(201));
    expect(retried.body).toMatchObject({ attempt: 2, phase: 'Pending' });
    expect(retried.body.id).not.toBe(id);
    await waitForPhase(eh.deps, retried.body.id, ['Paused']);
    const s3 = await openSse(`${url}/api/v1/namespaces/${NS}/rollouts/checkout/events`, auth);
    documented('post', `${ROLLOUT}/promote`, await post('/rollouts/checkout/promote').send({ full: true }).expect(200));
    const last = JSON.parse((await collectUntilEnd(s3)).pop()!.data);
    expect(last).toMatchObject({ id: retried.body.id, phase: 'Succeeded', outcome: 'promoted', attempt: 2 });
    const list = documented('get', ROLLOUTS, await get('/rollouts?app=checkout').expect(200)).body.items.map(
      (r: { id: string }) => r.id,
    );
    expect(list).toEqual([retried.body.id, id, expect.any(String)]);
    expect(server.openStreams).toBe(0);
  }, 180_000);
});
