/**
 * Security: what a namespace token (team-a, namespace `a`) cannot make Ramp do through the API, each
 * case a test that fails when its protection is removed. Ramp reads no file a plan names and contacts
 * no address a plan names (a listener stands in for the attacker's address and must see nothing);
 * plans beyond the limits get 422; hostile bodies are refused without holding the server; event
 * streams cost a bounded number of Redis connections and a bounded number per token.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import Redis from 'ioredis';
import request from 'supertest';
import { randomBytes } from 'node:crypto';
import { RolloutEvents } from '../../../src/engine/events';
import { YamlParser } from '../../../src/api/yamlParser';
import { testRedisUrl } from '../../helpers/redis';
import { waitFor } from '@ramp/sandbox';
import { prepareNamespace, startEngineHarness, type EngineHarness } from '../../helpers/engineHarness';
import { bearer, startApi, TOKENS, type ApiHarness } from '../api/apiHarness';
import { smallPlanInput, storeRollout } from '../api/records';
import { openSse, type SseSession } from '../api/sseClient';

jest.setTimeout(120_000);

const NS = 'a';
const teamA = bearer(TOKENS.teamA);

/** A TCP listener standing in for an address of the attacker's choosing: it counts who connects. */
async function attackerListener(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => n,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('security: the API boundary for a namespace token', () => {
  let h: EngineHarness;
  let api: ApiHarness;
  let attacker: Awaited<ReturnType<typeof attackerListener>>;

  beforeAll(async () => {
    h = await startEngineHarness('apiboundary', { worker: false });
    api = await startApi('apiboundary', { deps: h.deps });
    await prepareNamespace(h.sb, NS);
    attacker = await attackerListener();
  }, 90_000);
  afterAll(async () => {
    await attacker?.close();
    await api?.close();
    await h?.close();
  });

  const post = (body: unknown, opts: { dryRun?: boolean; type?: string } = {}) =>
    request(api.app)
      .post(`/api/v1/namespaces/${NS}/rollouts${opts.dryRun ? '?dryRun=true' : ''}`)
      .set(teamA)
      .set('Content-Type', opts.type ?? 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  const withAnalysis = (app: string, analysis: Record<string, unknown>) => {
    const p = smallPlanInput(NS, app) as { spec: Record<string, unknown> };
    p.spec.analysis = analysis;
    return p;
  };

  it('cannot make Ramp read a file or send anything to an address it names: 422, the same whether the file exists', async () => {
    const answers: string[] = [];
    for (const file of ['/etc/hostname', '/nonexistent/secret', '/dev/zero']) {
      for (const prometheus of [
        { address: attacker.url, bearerTokenFile: file },
        { address: attacker.url, basicAuth: { username: 'x', passwordFile: file } },
      ]) {
        for (const dryRun of [true, false]) {
          const res = await post(
            withAnalysis('files', { prometheus, metrics: [{ name: 'q', query: 'up', threshold: { max: 1 } }] }),
            { dryRun },
          );
          expect(res.status).toBe(422);
          expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(['spec.analysis.prometheus']);
          answers.push(JSON.stringify(res.body.error));
        }
      }
    }
    // Nothing in the answer tells whether a file exists.
    expect(new Set(answers).size).toBe(1);
    expect(existsSync('/etc/hostname')).toBe(true);
    expect(attacker.connections()).toBe(0);
  });

  it('cannot choose a metric provider the operator did not configure, or name an address as one', async () => {
    for (const provider of ['attacker', attacker.url, '127.0.0.1:9090']) {
      const res = await post(
        withAnalysis('providers', { provider, metrics: [{ name: 'q', query: 'up', threshold: { max: 1 } }] }),
        { dryRun: true },
      );
      expect(res.status).toBe(422);
      expect(res.body.error.details[0].path).toBe('spec.analysis.provider');
    }
    expect(attacker.connections()).toBe(0);
  });

  it('refuses plans beyond the limits with 422 naming the field, and writes nothing', async () => {
    // One past the limit of 20: far more would be refused earlier, as a body of too many values.
    const metrics = Array.from({ length: 21 }, (_, i) => ({ name: `m${i}`, query: 'up', threshold: { max: 1 } }));
    const cases: [unknown, string][] = [
      [withAnalysis('big', { metrics }), 'spec.analysis.metrics'],
      [
        smallPlanInput(
          NS,
          'steps',
          Array.from({ length: 101 }, () => ({ setWeight: 20 })),
        ),
        'spec.strategy.canary.steps',
      ],
      [
        smallPlanInput(NS, 'forever', [{ setWeight: 20 }, { pause: { duration: `${'9'.repeat(400)}h` } }]),
        'spec.strategy.canary.steps[1].pause.duration',
      ],
      [
        withAnalysis('rate', {
          interval: '1s',
          metrics: metrics.slice(0, 11),
        }),
        'spec.analysis.interval',
      ],
    ];
    for (const [plan, path] of cases) {
      const res = await post(plan);
      expect([res.status, res.body.error.details[0].path]).toEqual([422, path]);
    }
    // Far beyond: refused as a body before it is read as a plan.
    const huge = await post(
      smallPlanInput(
        NS,
        'huge',
        Array.from({ length: 10_000 }, () => ({ setWeight: 20 })),
      ),
    );
    expect([huge.status, huge.body.error.details[0].path]).toEqual([400, 'body']);
    expect(await h.deps.store.list(NS, { limit: 10 })).toEqual([]);
  });

  it('refuses a 1 MB body of nested flow collections at once, and a slow YAML body at its deadline, serving others meanwhile', async () => {
    const nested = '['.repeat(1024 * 1024 - 1);
    const t = await post(nested, { type: 'application/yaml' });
    expect(t.status).toBe(400);
    expect(t.body.error.message).toMatch(/nested deeper than 64 levels/);

    // Within the scan's limits but slow to parse: read in the worker thread, refused at the deadline.
    const yaml = new YamlParser({ deadlineMs: 1 });
    const slowApp = api.makeApp({ yaml });
    const slow = `[${'[1, 2, 3], '.repeat(4000)}1]`;
    let pending = true;
    let servedMeanwhile = 0;
    const hostile = request(slowApp)
      .post(`/api/v1/namespaces/${NS}/rollouts`)
      .set(teamA)
      .set('Content-Type', 'application/yaml')
      .send(slow)
      .then((r) => {
        pending = false;
        return r;
      });
    while (pending) {
      const ok = await request(slowApp).get('/healthz');
      if (pending && ok.status === 200) servedMeanwhile++;
    }
    const res = await hostile;
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/took longer than 1 ms to read/);
    expect(servedMeanwhile).toBeGreaterThan(0);
    await yaml.close();
  });

  describe('event streams', () => {
    let conn: Redis;
    let events: RolloutEvents;
    const name = `sec-streams-${randomBytes(3).toString('hex')}`;
    const sessions: SseSession[] = [];

    beforeAll(async () => {
      conn = new Redis(testRedisUrl(), { connectionName: name, maxRetriesPerRequest: null });
      events = new RolloutEvents({ connection: conn, prefix: api.prefix });
    });
    afterAll(async () => {
      for (const s of sessions) s.abort();
      await events.close();
      conn.disconnect();
    });

    async function clients(): Promise<number> {
      const list = (await conn.client('LIST')) as string;
      return list.split('\n').filter((l) => l.includes(` name=${name} `)).length;
    }

    it('holds a bounded number of Redis connections however many streams are open, and caps streams per token (429)', async () => {
      const deps = { ...h.deps, events };
      const { url } = await api.startServer({ deps, streamLimits: { perToken: 40 } });
      const record = await storeRollout(deps, NS, 'streamed');
      const path = `${url}/api/v1/namespaces/${NS}/rollouts/streamed/events?rollout=${record.id}`;
      for (let i = 0; i < 40; i++) {
        const s = await openSse(path, teamA);
        sessions.push(s);
        expect(s.status).toBe(200);
      }
      expect(sessions.every((s) => s.status === 200)).toBe(true);
      await waitFor(() => events.waitingStreams === 1, 'the streams to wait for events');
      expect(await clients()).toBeLessThanOrEqual(2);
      const refused = await openSse(path, teamA);
      sessions.push(refused);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      // Another token still gets its own.
      const other = await openSse(path, bearer(TOKENS.admin));
      sessions.push(other);
      expect(other.status).toBe(200);
    });

    it('answers 400 to a Last-Event-ID too large for a stream id, not an error event', async () => {
      for (const id of ['99999999999999999999999-0', '18446744073709551616-0', '1-18446744073709551616']) {
        const res = await request(api.app)
          .get(`/api/v1/namespaces/${NS}/rollouts/streamed/events`)
          .set(teamA)
          .set('Last-Event-ID', id);
        expect(res.status).toBe(400);
        expect(res.body.error.details[0].path).toBe('header.Last-Event-ID');
      }
    });
  });

  it('answers 405 with Allow to TRACE and other methods a path does not serve', async () => {
    const res = await request(api.app).trace(`/api/v1/namespaces/${NS}/rollouts`);
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
  });

  it('documents limit as the server reads it: 1–1000, no 0', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    const limit = doc.paths['/api/v1/namespaces/{ns}/rollouts'].get.parameters.find(
      (p: { name: string }) => p.name === 'limit',
    );
    const pattern = new RegExp(limit.schema.pattern);
    expect(['1', '50', '1000'].every((v) => pattern.test(v))).toBe(true);
    expect(['0', '1001', '00'].some((v) => pattern.test(v))).toBe(false);
    const zero = await request(api.app).get(`/api/v1/namespaces/${NS}/rollouts?limit=0`).set(teamA);
    expect(zero.status).toBe(400);
  });
});
