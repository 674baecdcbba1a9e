/**
 * The Server-Sent Events endpoint over real HTTP (RampApiServer): resumable with Last-Event-ID with no
 * duplicates and no gaps, the same events as GET …/{name} history, one `end` with the finished rollout,
 * keep-alives, and streams ended by the server's close. Events are written straight to Redis, so each
 * moment of a rollout's life is chosen by the test.
 */
import request from 'supertest';
import { waitFor } from '@ramp/sandbox/util/ports';
import type { RampApiServer } from '../../../src/api/server';
import { bearer, startApi, TOKENS, type ApiHarness } from './apiHarness';
import { OpenApiChecker } from './openapiCheck';
import { addEvent, setPhase, storeRollout } from './records';
import { openSse, type SseFrame } from './sseClient';
import Redis from 'ioredis';
import { storeKeys } from '../../../src/engine/store';
import { testRedisUrl } from '../../helpers/redis';

let h: ApiHarness;
let server: RampApiServer;
let url: string;
let doc: OpenApiChecker;
const auth = bearer(TOKENS.admin);

beforeAll(async () => {
  h = await startApi('events');
  ({ server, url } = await h.startServer({ keepAliveMs: 200, feed: { pollMs: 100, graceMs: 800 } }));
  doc = new OpenApiChecker((await request(h.app).get('/openapi.json').expect(200)).body);
});
afterAll(async () => {
  await h?.close();
});

const eventsUrl = (ns: string, app: string, query = '') =>
  `${url}/api/v1/namespaces/${ns}/rollouts/${app}/events${query}`;
const rolloutFrames = (frames: SseFrame[]) => frames.filter((f) => f.event === 'rollout');

function checkFrames(frames: SseFrame[]): void {
  // Each frame as an SSE reader parses it fits the documented event (schemathesis found it documented as a string).
  const frameSchema = doc.component('SseEvent');
  for (const f of frames) {
    const parsed = { event: f.event, data: f.data, ...(f.id === undefined ? {} : { id: f.id }) };
    if (!frameSchema(parsed)) throw new Error(`frame does not fit SseEvent: ${JSON.stringify(frameSchema.errors)}`);
    const data = JSON.parse(f.data) as { id?: string };
    const validate = doc.component(f.event === 'end' ? 'Rollout' : f.event === 'error' ? 'Error' : 'Event');
    if (!validate(data))
      throw new Error(`${f.event} frame does not fit the documented schema: ${JSON.stringify(validate.errors)}`);
    if (f.event === 'rollout') expect(data.id).toBe(f.id);
  }
}

describe('rollout event streams', () => {
  it('resumes with Last-Event-ID without duplicates or gaps, ends with the rollout, and matches the history', async () => {
    const r = await storeRollout(h.deps, 'sse', 'web', 'Progressing');
    for (const t of ['StepStarted', 'WeightChanged', 'Analysis'] as const)
      await addEvent(h.deps, r.id, t, 'Progressing');

    const first = await openSse(eventsUrl('sse', 'web'), auth);
    expect(first.status).toBe(200);
    doc.check('GET', '/api/v1/namespaces/{ns}/rollouts/{name}/events', {
      status: first.status,
      headers: first.headers,
      body: '',
      text: '',
    });
    expect(first.headers['content-type']).toMatch(/^text\/event-stream/);
    await first.until((f) => rolloutFrames(f).length === 4);
    first.abort();
    await first.closed;
    const seen = rolloutFrames(first.frames);

    // Events written while the client is away…
    await addEvent(h.deps, r.id, 'WeightChanged', 'Progressing');
    await addEvent(h.deps, r.id, 'Analysis', 'Progressing');
    const second = await openSse(eventsUrl('sse', 'web'), { ...auth, 'Last-Event-ID': seen[seen.length - 1].id ?? '' });
    await second.until((f) => rolloutFrames(f).length === 2);
    // …and while it is connected, up to the end.
    const done = await setPhase(h.deps, (await h.deps.store.get(r.id))!, 'RolledBack');
    await addEvent(h.deps, r.id, 'RolledBack', 'RolledBack', 'rolled back: errors above the limit');
    await second.until((f) => f.some((x) => x.event === 'end'), 10_000);
    await second.closed;

    checkFrames([...first.frames, ...second.frames]);
    const all = [...seen, ...rolloutFrames(second.frames)];
    const stored = await h.deps.events.read(r.id);
    expect(all.map((f) => f.id)).toEqual(stored.map((e) => e.id));
    const end = second.frames[second.frames.length - 1];
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toMatchObject({
      id: r.id,
      phase: 'RolledBack',
      outcome: 'rolledBack',
      version: done.version,
    });
    const history = (await request(h.app).get('/api/v1/namespaces/sse/rollouts/web').set(auth).expect(200)).body
      .history;
    expect(history).toEqual(all.map((f) => JSON.parse(f.data)));
  });

  it('ends at once for a finished rollout, whether the client has seen nothing or everything', async () => {
    const r = await storeRollout(h.deps, 'sse', 'done', 'Succeeded');
    const last = await addEvent(h.deps, r.id, 'Promoted', 'Succeeded');
    const t0 = Date.now();
    const fresh = await openSse(eventsUrl('sse', 'done'), auth);
    await fresh.closed;
    expect(fresh.frames.map((f) => f.event)).toEqual(['rollout', 'rollout', 'end']);
    const caughtUp = await openSse(eventsUrl('sse', 'done'), { ...auth, 'Last-Event-ID': last });
    await caughtUp.closed;
    expect(caughtUp.frames.map((f) => f.event)).toEqual(['end']);
    // Well under the grace period: the stream already holds the ending event.
    expect(Date.now() - t0).toBeLessThan(800);
    const viaQuery = await openSse(eventsUrl('sse', 'done', `?after=${last}`), auth);
    await viaQuery.closed;
    expect(viaQuery.frames.map((f) => f.event)).toEqual(['end']);
  });

  it('ends after the grace period when the record is final but its ending event never came (a worker died in between)', async () => {
    const r = await storeRollout(h.deps, 'sse', 'orphan', 'Progressing');
    const s = await openSse(eventsUrl('sse', 'orphan'), auth);
    await s.until((f) => f.length === 1);
    const t0 = Date.now();
    await setPhase(h.deps, r, 'Failed');
    await s.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700);
    expect(s.frames.map((f) => f.event)).toEqual(['rollout', 'end']);
    expect(JSON.parse(s.frames[1].data).phase).toBe('Failed');
  });

  it('ends at once with ROLLOUT_NOT_FOUND when the record is gone (Redis lost its data), rather than waiting forever', async () => {
    const r = await storeRollout(h.deps, 'sse', 'lost', 'Progressing');
    const s = await openSse(eventsUrl('sse', 'lost'), auth);
    await s.until((f) => f.length === 1);
    const redis = new Redis(testRedisUrl());
    await redis.del(storeKeys(h.prefix).record(r.id));
    redis.disconnect();
    await s.closed;
    checkFrames(s.frames);
    expect(s.frames.map((f) => f.event)).toEqual(['rollout', 'error']);
    expect(JSON.parse(s.frames[1].data).error.code).toBe('ROLLOUT_NOT_FOUND');
  });

  it('reads an empty Last-Event-ID as none (from the start), as the document says', async () => {
    // schemathesis sent an empty header the document's pattern refused, and the server served it.
    const r = await storeRollout(h.deps, 'sse', 'empty-id', 'Succeeded');
    await addEvent(h.deps, r.id, 'Promoted', 'Succeeded');
    const s = await openSse(eventsUrl('sse', 'empty-id'), { ...auth, 'Last-Event-ID': '' });
    await s.closed;
    expect([s.status, s.frames.map((f) => f.event)]).toEqual([200, ['rollout', 'rollout', 'end']]);
    checkFrames(s.frames);
    const op = doc.doc.paths['/api/v1/namespaces/{ns}/rollouts/{name}/events'].get as unknown as {
      parameters: { name: string; schema: object }[];
    };
    const header = op.parameters.find((p) => p.name === 'Last-Event-ID');
    const Ajv2020 = (await import('ajv/dist/2020')).default;
    const accepts = new Ajv2020({ strict: false }).compile(header?.schema ?? false);
    expect(['', '1700000000000-0'].map((v) => accepts(v))).toEqual([true, true]);
    expect(accepts('yesterday')).toBe(false);
  });

  it('follows a specific rollout by id, and sends keep-alive comments while nothing happens', async () => {
    const old = await storeRollout(h.deps, 'sse', 'pick', 'RolledBack');
    await addEvent(h.deps, old.id, 'RolledBack', 'RolledBack');
    const current = await storeRollout(h.deps, 'sse', 'pick', 'Progressing');
    const s = await openSse(eventsUrl('sse', 'pick', `?rollout=${old.id}`), auth);
    await s.closed;
    expect(JSON.parse(s.frames[s.frames.length - 1].data).id).toBe(old.id);
    const live = await openSse(eventsUrl('sse', 'pick'), auth);
    await waitFor(() => live.comments >= 2, 'two keep-alive comments', 5000, 20);
    expect(rolloutFrames(live.frames).map((f) => JSON.parse(f.data).message)).toEqual([
      `rollout ${current.id} created`,
    ]);
    live.abort();
  });

  it('releases a stream when its client hangs up, and ends open streams when the server closes', async () => {
    await storeRollout(h.deps, 'sse', 'close', 'Progressing');
    const s1 = await openSse(eventsUrl('sse', 'close'), auth);
    await s1.until((f) => f.length === 1);
    expect(server.openStreams).toBe(1);
    s1.abort();
    await waitFor(() => server.openStreams === 0, 'the stream to be released', 5000, 20);

    const own = await h.startServer({ keepAliveMs: 60_000 });
    const s2 = await openSse(`${own.url}/api/v1/namespaces/sse/rollouts/close/events`, auth);
    await s2.until((f) => f.length === 1);
    const t0 = Date.now();
    await Promise.all([own.server.close(), own.server.close()]);
    await s2.closed;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(own.server.state).toBe('closed');
    expect(own.server.openStreams).toBe(0);
    await expect(openSse(`${own.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
