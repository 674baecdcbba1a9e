/**
 * The strategies benchmark (`npm run bench -- strategies [--quick]`), on the sandbox under steady load
 * through the gateway:
 * - blue-green switch: from the stable Service's selector write (the API server's watch) to the moment
 *   every request the gateway gets reaches the new revision (the latest request sent to the old revision
 *   after the write), median of 10 switches;
 * - blue-green rollback inside the scale-down delay: from `abort` to the selector written back, and to
 *   every request on the old revision again, in the same 10 runs; pods started by the rollback (none);
 * - rolling: wall time of 10 replicas in 3 batches with 10 s analysis gates (Deployment defaults 25%/25%),
 *   and the fewest ready pods seen at any pod event;
 * - the same update by the sandbox's own Deployment controller (25%/25%, no gates, no judge): wall time
 *   and fewest ready pods.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxEngine } from './sandboxEngine';
import type { EngineDeps } from '../src/engine/deps';
import { createRollout, operate } from '../src/engine/rollouts';
import type { RolloutRecord } from '../src/engine/record';
import { RampWorker } from '../src/engine/worker';
import { silentLogger } from '../src/observability/logger';
import { validatePlan } from '../src/plan/parse';
import type { Plan } from '../src/plan/schema';
import { LoadGenerator, Sandbox, resource, waitFor, type KubeObject, type ResponseEvent } from '@ramp/sandbox';
import { demoPlanInput } from '../src/cli/demoPlan';
import { median, writeResults, type BenchRow } from './report';
import { untilPhase } from './rolloutWait';

const RATE = 200;
const BG_REPLICAS = 3;
const ROLLING_REPLICAS = 10;
const GATE = '10s';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function plan(ns: string, version: string, strategy: Record<string, unknown>, replicas: number, judged: boolean): Plan {
  const input = demoPlanInput({
    namespace: ns,
    version,
    replicas,
    env: { ERROR_RATE: '0', LATENCY_MS: '2' },
    steps: [],
    scaleDownDelay: '1s',
    // The threshold judge: the gates last their 10 s, not as long as a statistical test takes to be sure.
    analysis: {
      interval: '1s',
      metrics: judged ? [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20, judge: 'threshold' } }] : [],
    },
    progressDeadline: '5m',
  });
  (input.spec as Record<string, unknown>).strategy = strategy;
  return validatePlan(input);
}

function route(sb: Sandbox, ns: string): string {
  const host = `checkout.${ns}.test`;
  sb.registry.ensureNamespace(ns);
  sb.registry.create(resource('httproutes'), ns, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'checkout', namespace: ns },
    spec: { hostnames: [host], rules: [{ backendRefs: [{ name: 'checkout', port: 80 }] }] },
  });
  return host;
}

const sentAt = (e: ResponseEvent) => e.at - e.latencyMs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isReady(o: Obj): boolean {
  if (o.metadata.deletionTimestamp) return false;
  return ((o.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
}

/** Ready pods of a namespace at every pod event while it runs; `min()` the fewest since `reset()`. */
class ReadyPods {
  private readonly ready = new Set<string>();
  private fewest = Infinity;
  private readonly watch: { stop(): void };
  constructor(sb: Sandbox, ns: string) {
    for (const p of sb.store.list(resource('pods'), { namespace: ns }).items)
      if (isReady(p as Obj)) this.ready.add(p.metadata.name ?? '');
    this.watch = sb.store.watch(
      resource('pods'),
      { namespace: ns, resourceVersion: sb.store.currentResourceVersion() },
      (e) => {
        const name = e.object.metadata.name ?? '';
        if (e.type !== 'DELETED' && isReady(e.object as Obj)) this.ready.add(name);
        else this.ready.delete(name);
        this.fewest = Math.min(this.fewest, this.ready.size);
      },
    );
  }
  reset(): void {
    this.fewest = this.ready.size;
  }
  min(): number {
    return this.fewest;
  }
  stop(): void {
    this.watch.stop();
  }
}

/** The times the stable Service's selector changed revision, from the API server's watch. */
function selectorWrites(sb: Sandbox, ns: string): { writes: { at: number; revision: string }[]; stop(): void } {
  const writes: { at: number; revision: string }[] = [];
  let last: string | undefined;
  const w = sb.store.watch(resource('services'), { namespace: ns }, (e) => {
    if (e.object.metadata.name !== 'checkout') return;
    const rev = ((e.object as Obj).spec?.selector as Record<string, string> | undefined)?.['ramp.dev/revision'] ?? '*';
    if (last !== undefined && rev !== last) writes.push({ at: Date.now(), revision: rev });
    last = rev;
  });
  return { writes, stop: () => w.stop() };
}

interface BlueGreenRun {
  switchMs: number;
  abortToWriteMs: number;
  writeToOldMs: number;
  abortToOldMs: number;
  podsStarted: number;
}

/** The latest request sent to `revision` at or after `from`, as ms after `from` (0: none). */
function lastTo(responses: readonly ResponseEvent[], revision: string, from: number): number {
  const late = responses.filter((e) => e.revision === revision && sentAt(e) >= from).map(sentAt);
  return late.length ? Math.max(...late) - from : 0;
}

async function blueGreenRuns(sb: Sandbox, deps: EngineDeps, runs: number): Promise<BlueGreenRun[]> {
  const ns = 'bench-bg';
  const host = route(sb, ns);
  const strategy = (delay: string) => ({
    blueGreen: { router: { gatewayApi: { httpRoute: 'checkout' } }, scaleDownDelay: delay },
  });
  const first = await untilPhase(
    deps,
    (await createRollout(deps, plan(ns, 'v1', strategy('1s'), BG_REPLICAS, false))).id,
    ['Succeeded'],
  );
  const stable = first.revisions.new;
  const responses: ResponseEvent[] = [];
  const load = new LoadGenerator({
    url: sb.urls.gateway,
    host,
    ratePerSecond: RATE,
    onResponse: (e) => responses.push(e),
  });
  load.start();
  const sel = selectorWrites(sb, ns);
  const out: BlueGreenRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      responses.length = 0;
      const r = await createRollout(deps, plan(ns, `v${i + 2}`, strategy('5m'), BG_REPLICAS, false));
      let rec: RolloutRecord | undefined;
      await waitFor(
        async () => {
          rec = await deps.store.get(r.id);
          return rec?.strategy.switchedAt !== undefined;
        },
        'the switch',
        120_000,
        50,
      );
      const rev = (rec as RolloutRecord).revisions.new;
      const switchAt = sel.writes.filter((w) => w.revision === rev).pop()!.at;
      await sleep(2000);
      const switchMs = lastTo(responses, stable, switchAt);
      const podsBefore = sb.store.list(resource('pods'), { namespace: ns }).items.length;
      const abortAt = Date.now();
      await operate(deps, r.id, 'abort');
      await waitFor(
        async () => sel.writes.some((w) => w.at >= abortAt && w.revision === stable),
        'the write back',
        30_000,
        5,
      );
      const backAt = sel.writes.find((w) => w.at >= abortAt && w.revision === stable)!.at;
      await sleep(2000);
      const created = sb.store
        .list(resource('pods'), { namespace: ns })
        .items.filter((p) => Date.parse(p.metadata.creationTimestamp ?? '') >= abortAt).length;
      const writeToOldMs = lastTo(responses, rev, backAt);
      out.push({
        switchMs,
        abortToWriteMs: backAt - abortAt,
        writeToOldMs,
        abortToOldMs: backAt - abortAt + writeToOldMs,
        podsStarted: created,
      });
      process.stderr.write(
        `[strategies] blue-green run ${i + 1}: switch ${switchMs.toFixed(0)} ms, rollback ${(backAt - abortAt).toFixed(0)} + ${writeToOldMs.toFixed(0)} ms, ${created} pods started (${podsBefore} before)\n`,
      );
      await untilPhase(deps, r.id, ['RolledBack']);
    }
  } finally {
    sel.stop();
    await load.stop();
  }
  return out;
}

async function rollingRuns(sb: Sandbox, deps: EngineDeps, runs: number): Promise<{ ms: number; minReady: number }[]> {
  const ns = 'bench-rolling';
  const host = route(sb, ns);
  const first = await untilPhase(
    deps,
    (await createRollout(deps, plan(ns, 'v1', { rolling: {} }, ROLLING_REPLICAS, false))).id,
    ['Succeeded'],
  );
  if (first.phase !== 'Succeeded') throw new Error('first deploy failed');
  const load = new LoadGenerator({ url: sb.urls.gateway, host, ratePerSecond: RATE });
  load.start();
  const ready = new ReadyPods(sb, ns);
  const out: { ms: number; minReady: number }[] = [];
  const rolling = {
    rolling: {
      maxSurge: '25%',
      maxUnavailable: '25%',
      batches: [{ replicas: '30%', analyze: { min: GATE } }, { replicas: '60%', analyze: { min: GATE } }, '100%'],
    },
  };
  try {
    for (let i = 0; i < runs; i++) {
      await sleep(1000);
      ready.reset();
      const t0 = Date.now();
      const r = await createRollout(deps, plan(ns, `v${i + 2}`, rolling, ROLLING_REPLICAS, true));
      const done = await untilPhase(deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
      if (done.phase !== 'Succeeded') throw new Error(`rolling run ${i + 1}: ${done.phase}: ${done.message}`);
      out.push({ ms: Date.now() - t0, minReady: ready.min() });
      process.stderr.write(`[strategies] rolling run ${i + 1}: ${Date.now() - t0} ms, fewest ready ${ready.min()}\n`);
    }
  } finally {
    ready.stop();
    await load.stop();
  }
  return out;
}

/** The same update by the sandbox's Deployment controller: the template of the Ramp plans, 25%/25%. */
async function deploymentRuns(sb: Sandbox, runs: number): Promise<{ ms: number; minReady: number }[]> {
  const ns = 'bench-deploy';
  const host = route(sb, ns);
  const templateOf = (version: string) =>
    (
      demoPlanInput({
        namespace: ns,
        version,
        replicas: ROLLING_REPLICAS,
        env: { ERROR_RATE: '0', LATENCY_MS: '2' },
        steps: [],
        scaleDownDelay: '1s',
        analysis: {},
      }).spec as { template: Record<string, unknown> }
    ).template;
  sb.registry.create(resource('deployments'), ns, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'checkout', namespace: ns },
    spec: {
      replicas: ROLLING_REPLICAS,
      selector: { matchLabels: { app: 'checkout' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: templateOf('v1'),
    },
  });
  sb.registry.create(resource('services'), ns, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'checkout', namespace: ns },
    spec: { selector: { app: 'checkout' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  const complete = (version: string) => {
    const d = sb.registry.get(resource('deployments'), ns, 'checkout') as Obj;
    const s = (d.status ?? {}) as Record<string, number>;
    const image = JSON.stringify(d.spec?.template).includes(`demo-app:${version}"`);
    return (
      image &&
      (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
      s.updatedReplicas === ROLLING_REPLICAS &&
      s.availableReplicas === ROLLING_REPLICAS &&
      s.replicas === ROLLING_REPLICAS
    );
  };
  await waitFor(async () => complete('v1'), 'the Deployment ready', 120_000, 50);
  const load = new LoadGenerator({ url: sb.urls.gateway, host, ratePerSecond: RATE });
  load.start();
  const ready = new ReadyPods(sb, ns);
  const out: { ms: number; minReady: number }[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await sleep(1000);
      ready.reset();
      const version = `v${i + 2}`;
      const d = sb.registry.get(resource('deployments'), ns, 'checkout') as Obj;
      const t0 = Date.now();
      sb.registry.update(resource('deployments'), ns, 'checkout', {
        ...d,
        spec: { ...d.spec, template: templateOf(version) },
      });
      await waitFor(async () => complete(version), `the Deployment at ${version}`, 300_000, 20);
      out.push({ ms: Date.now() - t0, minReady: ready.min() });
      process.stderr.write(
        `[strategies] Deployment run ${i + 1}: ${Date.now() - t0} ms, fewest ready ${ready.min()}\n`,
      );
    }
  } finally {
    ready.stop();
    await load.stop();
  }
  return out;
}

export async function runStrategiesBench(quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-strategies-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  const prefix = `bench-strategies-${Date.now()}`;
  const engine = sandboxEngine(sb, prefix);
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix,
    queueName: prefix,
  });
  worker.start();
  try {
    const bg = await blueGreenRuns(sb, engine.deps, quick ? 2 : 10);
    const rollingCount = quick ? 1 : 3;
    const rolling = await rollingRuns(sb, engine.deps, rollingCount);
    const deployment = await deploymentRuns(sb, rollingCount);
    const bgNote = `${bg.length} runs, median; ${RATE} requests/s through the gateway, ${BG_REPLICAS} replicas`;
    const rollNote = `${rolling.length} runs, median; ${ROLLING_REPLICAS} replicas, maxSurge 25%, maxUnavailable 25%`;
    const rows: BenchRow[] = [
      {
        metric: 'blue-green switch: selector write → every request on the new revision at the gateway',
        value: median(bg.map((x) => x.switchMs)),
        unit: 'ms',
        note: `${bgNote}; 0 = no request sent after the write reached the old revision`,
      },
      {
        metric: 'blue-green rollback in the delay window: abort → selector written back',
        value: median(bg.map((x) => x.abortToWriteMs)),
        unit: 'ms',
        note: `${bgNote}; the API's operation, the reconcile it queues, one Service patch`,
      },
      {
        metric: 'blue-green rollback in the delay window: selector written back → every request on the old revision',
        value: median(bg.map((x) => x.writeToOldMs)),
        unit: 'ms',
        note: bgNote,
      },
      {
        metric: 'blue-green rollback in the delay window: abort → every request on the old revision',
        value: median(bg.map((x) => x.abortToOldMs)),
        unit: 'ms',
        note: bgNote,
      },
      {
        metric: 'blue-green rollback in the delay window: pods started',
        value: Math.max(...bg.map((x) => x.podsStarted)),
        unit: 'pods',
        note: `most in any of ${bg.length} runs`,
      },
      {
        metric: `Ramp rolling: wall time, 3 batches (30%, 60%, 100%) with ${GATE} analysis gates`,
        value: median(rolling.map((x) => x.ms)) / 1000,
        unit: 's',
        note: `${rollNote}; the gates alone are 20 s; threshold judge every 1 s`,
      },
      {
        metric: 'Ramp rolling: fewest ready pods at any pod event',
        value: Math.min(...rolling.map((x) => x.minReady)),
        unit: 'pods',
        note: `replicas − maxUnavailable = ${ROLLING_REPLICAS - Math.floor(ROLLING_REPLICAS / 4)}`,
      },
      {
        metric: 'Deployment controller (sandbox): wall time of the same update, no gates',
        value: median(deployment.map((x) => x.ms)) / 1000,
        unit: 's',
        note: `${rollNote}; updated and available replicas = 10, old ones gone`,
      },
      {
        metric: 'Deployment controller (sandbox): fewest ready pods at any pod event',
        value: Math.min(...deployment.map((x) => x.minReady)),
        unit: 'pods',
        note: 'Kubernetes counts availability the same way (minReadySeconds 0)',
      },
      {
        metric: 'Ramp rolling wall time without its gates / Deployment wall time',
        value: (median(rolling.map((x) => x.ms)) - 20_000) / median(deployment.map((x) => x.ms)),
        unit: 'ratio',
        note: 'the batches and the judge’s reconcile pace, gates taken out',
      },
    ];
    writeResults('strategies', rows, { quick, blueGreen: bg, rolling, deployment });
  } finally {
    await worker.close(true);
    await engine.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
