/**
 * The notifications benchmark (`npm run bench -- notifications [--quick]`): 100 rollouts on the sandbox
 * (10 apps, 10 versions each, the apps side by side; one replica, one 50% step, no analysis) with a
 * worker delivering to a signed webhook — a local HTTP server. Per notification: the time from the
 * event's timestamp as Ramp recorded it to its arrival at the receiver, p50/p99; notifications Ramp
 * owed (the rollouts' events of the kinds the notifier takes), received, duplicates, bad signatures.
 * Then the same (3 versions per app) with a receiver that answers after 2 s: the canaries' durations
 * (each app's first rollout, which has no stable revision, left out), compared by median with the
 * fast receiver's, show that a slow receiver delays deliveries, not rollouts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { demoPlanInput } from '../src/cli/demoPlan';
import type { Engine } from '../src/engine/engine';
import { sandboxEngine } from './sandboxEngine';
import { createRollout } from '../src/engine/rollouts';
import { RampWorker } from '../src/engine/worker';
import type { NotificationBody } from '../src/notifications/payload';
import { signature } from '../src/notifications/payload';
import { silentLogger } from '../src/observability/logger';
import { validatePlan } from '../src/plan/parse';
import { resource, Sandbox, waitFor } from '@ramp/sandbox';
import { deletePrefix } from './apiOnSandbox';
import { median, percentile, writeResults, type BenchRow } from './report';
import { untilPhase } from './rolloutWait';

const NS = 'bench-notify';
const SECRET = 'bench-notify-secret-7d1c';
const APPS = 10;
const SLOW_MS = 2_000;

interface Arrival {
  id: string;
  /** Arrival − the event's recorded time (ms). */
  latencyMs: number;
  signed: boolean;
}

/** A webhook receiver answering 204 after `delayMs`; arrivals are recorded when the request body is in. */
async function receiver(delayMs: number): Promise<{ url: string; got: Arrival[]; close(): Promise<void> }> {
  const got: Arrival[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const now = Date.now();
      const body = JSON.parse(raw) as NotificationBody;
      const ts = String(req.headers['x-ramp-timestamp']);
      got.push({
        id: body.id,
        latencyMs: now - Date.parse(body.event.at),
        signed: req.headers['x-ramp-signature'] === signature(SECRET, ts, raw),
      });
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function plan(app: string, version: string) {
  return validatePlan(
    demoPlanInput({
      namespace: NS,
      app,
      version,
      replicas: 1,
      steps: [{ setWeight: 50 }],
      scaleDownDelay: '0s',
      analysis: { metrics: [] },
      progressDeadline: '5m',
    }),
  );
}

interface Run {
  /** Per rollout: created → finished (ms). */
  durations: number[];
  /** The same, of the canaries only (v2 on): an app's first rollout has no stable revision and is shorter. */
  canaryDurations: number[];
  /** Notifications Ramp owed the receiver: every event of the rollouts but Analysis (the notifier's default). */
  owed: number;
  arrivals: Arrival[];
  failedRollouts: number;
}

/** `versions` rollouts of each of APPS apps, the apps side by side, with a worker delivering to a receiver answering after `delayMs`. */
async function run(sb: Sandbox, tag: string, versions: number, delayMs: number, dir: string): Promise<Run> {
  const hook = await receiver(delayMs);
  const prefix = `bench-notify-${tag}-${Date.now()}`;
  const redisUrl = sb.urls.redis ?? '';
  writeFileSync(join(dir, 'secret'), `${SECRET}\n`);
  const notifications = {
    notifiers: [{ name: 'bench', webhook: { url: hook.url, secretFile: join(dir, 'secret'), timeoutSeconds: 10 } }],
  };
  const engine: Engine = sandboxEngine(sb, prefix, { notifications });
  const notifyConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix,
    queueName: prefix,
    notifications: { config: notifications, connection: notifyConnection },
  });
  worker.start();
  try {
    const durations: number[] = [];
    const canaryDurations: number[] = [];
    const ids: string[] = [];
    let failedRollouts = 0;
    await Promise.all(
      Array.from({ length: APPS }, async (_, a) => {
        const app = `${tag}-app-${a}`;
        sb.registry.create(resource('httproutes'), NS, {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: app, namespace: NS },
          spec: { hostnames: [`${app}.bench.test`], rules: [{ backendRefs: [{ name: app, port: 80 }] }] },
        });
        for (let v = 1; v <= versions; v++) {
          const r = await createRollout(engine.deps, plan(app, `v${v}`));
          const done = await untilPhase(engine.deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
          if (done.phase !== 'Succeeded') failedRollouts++;
          durations.push(done.updatedAt - done.createdAt);
          if (v > 1) canaryDurations.push(done.updatedAt - done.createdAt);
          ids.push(r.id);
        }
      }),
    );
    let owed = 0;
    for (const id of ids) owed += (await engine.deps.events.read(id)).filter((e) => e.event.type !== 'Analysis').length;
    const unique = (): number => new Set(hook.got.map((g) => g.id)).size;
    await waitFor(() => unique() >= owed, `${owed} notifications to arrive`, 120_000, 100);
    // Late duplicates (a retried delivery) would show up shortly after.
    await new Promise((r) => setTimeout(r, 2_000));
    return { durations, canaryDurations, owed, arrivals: [...hook.got], failedRollouts };
  } finally {
    await worker.close(true);
    await engine.close();
    notifyConnection.disconnect();
    await hook.close();
    await deletePrefix(redisUrl, prefix).catch(() => undefined);
  }
}

function runRows(label: string, r: Run): BenchRow[] {
  const latencies = r.arrivals.map((a) => a.latencyMs);
  const unique = new Set(r.arrivals.map((a) => a.id)).size;
  const note = `${r.durations.length} rollouts, ${APPS} apps side by side; 2 CPUs shared with other work`;
  return [
    { metric: `${label}: event → receiver, p50`, value: percentile(latencies, 50), unit: 'ms', note },
    { metric: `${label}: event → receiver, p99`, value: percentile(latencies, 99), unit: 'ms', note },
    {
      metric: `${label}: notifications owed`,
      value: r.owed,
      unit: 'notifications',
      note: 'the rollouts’ events, Analysis excepted (the notifier’s default)',
    },
    { metric: `${label}: received (distinct)`, value: unique, unit: 'notifications' },
    { metric: `${label}: duplicates`, value: r.arrivals.length - unique, unit: 'deliveries' },
    { metric: `${label}: bad signatures`, value: r.arrivals.filter((a) => !a.signed).length, unit: 'deliveries' },
    {
      metric: `${label}: canary rollout duration, median`,
      value: median(r.canaryDurations) / 1000,
      unit: 's',
      note: `${r.canaryDurations.length} canaries (each app's first rollout left out; all ${r.durations.length}: ${(median(r.durations) / 1000).toFixed(2)} s); ${r.failedRollouts} did not succeed`,
    },
  ];
}

export async function runNotificationsBench(quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-notify-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  try {
    sb.registry.ensureNamespace(NS);
    const fast = await run(sb, 'fast', quick ? 2 : 10, 0, dir);
    const slow = await run(sb, 'slow', quick ? 2 : 3, SLOW_MS, dir);
    const rows: BenchRow[] = [
      ...runRows('fast receiver', fast),
      // Deliveries wait their turn behind the slow answers (the notification worker delivers 16 at a time).
      ...runRows(`receiver answering after ${SLOW_MS / 1000} s`, slow),
      {
        metric: 'canary rollout duration median, slow receiver / fast receiver',
        value: median(slow.canaryDurations) / median(fast.canaryDurations),
        unit: 'ratio',
        note: `${slow.canaryDurations.length} and ${fast.canaryDurations.length} canaries; ~1 = the receiver does not hold rollouts`,
      },
    ];
    writeResults('notifications', rows, {
      quick,
      apps: APPS,
      fast: { rollouts: fast.durations.length },
      slow: { rollouts: slow.durations.length, receiverDelayMs: SLOW_MS },
    });
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
