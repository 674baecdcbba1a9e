/**
 * The API abuse benchmark (`npm run bench -- api-abuse [--quick]`): what abusive clients cost everyone
 * else, on a RampApiServer on the sandbox. Two abuses, each measured by the latency of ordinary
 * requests (GET a rollout, a small dry-run create; one probe client, one request at a time) compared
 * with the same probe on the idle server:
 *
 * - 6 clients sending ~1 MB hostile YAML bodies back to back (deep flow sequences and maps, an alias
 *   bomb, a 1 MB scalar, a shape slow to parse), rotating through the kinds; their statuses are counted.
 * - 2,000 open event streams (20 tokens × 100, the per-token default), with the sandbox Redis's client
 *   count before, during and after; then one token asking for 50 past its cap (429s counted).
 *
 * The bar: an ordinary request's median delayed by no more than 100 ms.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { waitFor } from '@ramp/sandbox';
import { startApiOnSandbox, smallPlan, type ApiOnSandbox } from './apiOnSandbox';
import { median, percentile, writeResults, type BenchRow } from './report';

const NS = 'bench-abuse';
const TOKENS = Array.from({ length: 21 }, (_, i) => `bench-abuse-token-${String(i).padStart(2, '0')}-0123456789`);
const HOSTILE_CLIENTS = 6;
const STREAM_TOKENS = 20;
const STREAMS_PER_TOKEN = 100;
const OVER_CAP = 50;
/** The bar on an ordinary request's median delay. */
const BAR_MS = 100;

interface Answer {
  status: number;
  ms: number;
}

interface CallOptions {
  agent: http.Agent | false;
  token: string;
  body?: string;
  type?: string;
}

/** One request; resolves when its answer has been read to the end. */
function call(base: string, method: string, path: string, o: CallOptions): Promise<Answer> {
  const u = new URL(path, base);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        agent: o.agent,
        headers: {
          Authorization: `Bearer ${o.token}`,
          ...(o.body === undefined
            ? {}
            : { 'Content-Type': o.type ?? 'application/json', 'Content-Length': Buffer.byteLength(o.body) }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (process.env.RAMP_BENCH_DEBUG && (res.statusCode ?? 0) >= 400)
            process.stderr.write(`${text.slice(0, 400)}\n`);
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The hostile YAML bodies, each about 1 MB (under the 1 MiB body limit). */
function hostileBodies(): Record<string, string> {
  const size = 1_000_000;
  const pad = (text: string): string => `${text}\n# ${'x'.repeat(Math.max(0, size - text.length - 4))}\n`;
  // Nine levels of ten aliases each: 10^9 nodes if expanded, a few hundred bytes written (padded by a comment).
  const bomb = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < 9; i++) bomb.push(`l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]`);
  return {
    'nested flow sequences': '['.repeat(size),
    'nested flow maps': '{a: '.repeat(size / 4),
    'alias bomb (padded)': pad(bomb.join('\n')),
    '1 MB scalar': `apiVersion: ramp.dev/v1alpha1\nkind: Rollout\nmetadata:\n  name: "${'a'.repeat(size - 64)}"\n`,
    'many flow sequences (padded)': pad(`[${'[1, 2, 3], '.repeat(4900)}1]`),
  };
}

interface Probe {
  get: number[];
  dryRun: number[];
  failures: number;
  /** Statuses other than 200, by request kind, to say what failed. */
  failed: Record<string, number>;
}

/** One client alternating a GET of the rollout and a small dry-run create, one at a time, for `ms`. */
async function probe(api: ApiOnSandbox, ms: number): Promise<Probe> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: Probe = { get: [], dryRun: [], failures: 0, failed: {} };
  const url = `/api/v1/namespaces/${NS}/rollouts`;
  const token = TOKENS[TOKENS.length - 1];
  const end = performance.now() + ms;
  try {
    for (let i = 0; performance.now() < end; i++) {
      const a =
        i % 2 === 0
          ? await call(api.base, 'GET', `${url}/web`, { agent, token })
          : await call(api.base, 'POST', `${url}?dryRun=true`, { agent, token, body: smallPlan('checkout') });
      if (a.status !== 200) {
        out.failures++;
        const key = `${i % 2 === 0 ? 'GET' : 'dry-run'} ${a.status}`;
        out.failed[key] = (out.failed[key] ?? 0) + 1;
      }
      (i % 2 === 0 ? out.get : out.dryRun).push(a.ms);
    }
  } finally {
    agent.destroy();
  }
  return out;
}

function probeRows(label: string, p: Probe, idle: Probe | undefined, note: string): BenchRow[] {
  if (p.failures) throw new Error(`${label}: ${p.failures} probe requests failed: ${JSON.stringify(p.failed)}`);
  const rows: BenchRow[] = [];
  for (const [name, xs, base] of [
    ['GET rollout', p.get, idle?.get],
    ['dry-run create', p.dryRun, idle?.dryRun],
  ] as const) {
    rows.push(
      {
        metric: `${name}, ${label}, p50`,
        value: percentile(xs, 50),
        unit: 'ms',
        note: `${xs.length} requests; ${note}`,
      },
      { metric: `${name}, ${label}, p99`, value: percentile(xs, 99), unit: 'ms', note },
    );
    if (base) {
      const delay = median(xs) - median(base);
      rows.push({
        metric: `${name}, ${label}, median delay vs idle`,
        value: delay,
        unit: 'ms',
        note: `×${(median(xs) / median(base)).toFixed(2)} the idle median; bar ≤ ${BAR_MS} ms: ${delay <= BAR_MS ? 'met' : 'NOT met'}`,
      });
    }
  }
  return rows;
}

/** Hostile clients sending bodies until `stop` resolves; statuses counted per kind of body. */
async function hostile(
  api: ApiOnSandbox,
  stop: Promise<void>,
): Promise<{ counts: Record<string, Record<string, number>>; sent: number; bytes: number; ms: number[] }> {
  const bodies = Object.entries(hostileBodies());
  const counts: Record<string, Record<string, number>> = Object.fromEntries(bodies.map(([k]) => [k, {}]));
  const ms: number[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  let sent = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: HOSTILE_CLIENTS }, async (_, c) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = c; !stopped; i++) {
          const [kind, body] = bodies[i % bodies.length];
          const a = await call(api.base, 'POST', `/api/v1/namespaces/${NS}/rollouts`, {
            agent,
            token: TOKENS[c],
            body,
            type: 'application/yaml',
          }).catch(() => ({ status: 0, ms: 0 }));
          counts[kind][a.status] = (counts[kind][a.status] ?? 0) + 1;
          ms.push(a.ms);
          sent++;
          bytes += body.length;
        }
      } finally {
        agent.destroy();
      }
    }),
  );
  return { counts, sent, bytes, ms };
}

/** The Redis server's connected clients (the sandbox's Redis; this bench is its only user). */
async function redisClients(redis: Redis): Promise<number> {
  const info = await redis.info('clients');
  return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? NaN);
}

interface Stream {
  status: number;
  req: http.ClientRequest;
}

/** Opens an event stream on a connection of its own; resolves with its status once the headers came. */
function openStream(url: string, token: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent: false, headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, req });
      },
    );
    req.on('error', reject);
  });
}

async function openMany(url: string, tokens: string[], perToken: number, inFlight = 100): Promise<Stream[]> {
  const todo = tokens.flatMap((t) => Array.from({ length: perToken }, () => t));
  const out: Stream[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < todo.length; i = next++) out.push(await openStream(url, todo[i]));
    }),
  );
  return out;
}

const countStatus = (streams: Stream[], status: number): number => streams.filter((s) => s.status === status).length;

export async function runApiAbuseBench(quick: boolean): Promise<void> {
  const probeMs = quick ? 6_000 : 20_000;
  const api = await startApiOnSandbox({ name: 'abuse', tokens: TOKENS, namespace: NS, apps: ['web', 'checkout'] });
  const redis = new Redis(api.redisUrl);
  const streams: Stream[] = [];
  try {
    const created = await call(api.base, 'POST', `/api/v1/namespaces/${NS}/rollouts`, {
      agent: false,
      token: TOKENS[0],
      body: smallPlan('web'),
    });
    if (created.status !== 201) throw new Error(`creating the rollout answered ${created.status}`);
    // Warm-up: the first requests compile schemas and open connections.
    await probe(api, 2_000);
    const idle = await probe(api, probeMs);

    let stopHostile = (): void => undefined;
    const hostileRun = hostile(api, new Promise<void>((r) => (stopHostile = r)));
    // Let the hostile clients fill the server's queues before measuring.
    await new Promise((r) => setTimeout(r, 1_000));
    const underHostile = await probe(api, probeMs);
    stopHostile();
    const h = await hostileRun;

    const redisBefore = await redisClients(redis);
    const url = `${api.base}/api/v1/namespaces/${NS}/rollouts/web/events`;
    const t0 = performance.now();
    streams.push(...(await openMany(url, TOKENS.slice(0, STREAM_TOKENS), STREAMS_PER_TOKEN)));
    const openMs = performance.now() - t0;
    const opened = countStatus(streams, 200);
    await waitFor(() => api.server.openStreams === opened, `${opened} streams open on the server`, 30_000);
    const serverOpen = api.server.openStreams;
    const redisDuring = await redisClients(redis);
    const underStreams = await probe(api, probeMs);
    const overCap = await openMany(url, [TOKENS[0]], OVER_CAP, 10);
    streams.push(...overCap);
    const refused = countStatus(overCap, 429);
    const redisStill = await redisClients(redis);
    for (const s of streams) s.req.destroy();
    await waitFor(() => api.server.openStreams === 0, 'the streams to close', 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const redisAfter = await redisClients(redis);

    const shared = '1 probe client, one request at a time; 2 CPUs shared with other work';
    const rows: BenchRow[] = [
      ...probeRows('idle', idle, undefined, shared),
      ...probeRows(`under ${HOSTILE_CLIENTS} hostile YAML clients`, underHostile, idle, shared),
      {
        metric: 'hostile bodies sent',
        value: h.sent,
        unit: 'requests',
        note: `${(h.bytes / 1e6).toFixed(0)} MB in ${((probeMs + 1000) / 1000).toFixed(0)} s from ${HOSTILE_CLIENTS} clients, hostile p50 ${percentile(h.ms, 50).toFixed(0)} ms`,
      },
      ...Object.entries(h.counts).flatMap(([kind, byStatus]) =>
        Object.entries(byStatus).map(([status, n]) => ({
          metric: `hostile: ${kind} → ${status}`,
          value: n,
          unit: 'responses',
        })),
      ),
      {
        metric: 'event streams answered 200',
        value: opened,
        unit: 'streams',
        note: `${STREAM_TOKENS} tokens × ${STREAMS_PER_TOKEN}; ${serverOpen} open on the server at once; opened in ${(openMs / 1000).toFixed(1)} s`,
      },
      ...probeRows(`with ${opened} open event streams`, underStreams, idle, shared),
      {
        metric: 'Redis clients before the streams',
        value: redisBefore,
        unit: 'connections',
        note: "INFO clients connected_clients: the server's and this bench's own",
      },
      {
        metric: `Redis clients with ${opened} streams open`,
        value: redisDuring,
        unit: 'connections',
        note: `+1: the one shared blocking read all streams wait on; ${redisStill} after the over-cap attempt`,
      },
      {
        metric: 'Redis clients after the streams closed',
        value: redisAfter,
        unit: 'connections',
        note: 'the shared read stays open for the next stream',
      },
      {
        metric: `streams past one token's cap answered 429`,
        value: refused,
        unit: 'streams',
        note: `${OVER_CAP} asked for beyond the token's ${STREAMS_PER_TOKEN}`,
      },
    ];
    writeResults('api-abuse', rows, {
      probeMs,
      hostileClients: HOSTILE_CLIENTS,
      hostileStatuses: h.counts,
      streams: { tokens: STREAM_TOKENS, perToken: STREAMS_PER_TOKEN, opened, serverOpen },
    });
  } finally {
    for (const s of streams) s.req.destroy();
    redis.disconnect();
    await api.close();
  }
}
