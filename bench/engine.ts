/**
 * The engine benchmark on the sandbox: Kubernetes requests per reconcile in steady state (reads and
 * writes), reconcile duration p50/p99, and the wall time of promoting the standard plan with 5 s pauses.
 */
import { demoPlanInput } from '../src/cli/demoPlan';
import { rolloutView } from '../src/api/views';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxEngine } from './sandboxEngine';
import { createRollout } from '../src/engine/rollouts';
import { RampWorker } from '../src/engine/worker';
import { validatePlan } from '../src/plan/parse';
import type { Plan } from '../src/plan/schema';
import { LoadGenerator, resource, Sandbox, waitFor } from '@ramp/sandbox';
import { silentLogger } from '../src/observability/logger';
import { untilPhase } from './rolloutWait';
import { median, writeResults, type BenchRow, percentile } from './report';

const NS = 'bench';

function plan(version: string, steps: unknown[]): Plan {
  return validatePlan(
    demoPlanInput({
      namespace: NS,
      version,
      replicas: 4,
      steps,
      scaleDownDelay: '5s',
      // The threshold judge: this measures the engine's own pace, not how long a statistical test takes to be sure.
      analysis: {
        interval: '5s',
        metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 20, judge: 'threshold' } }],
      },
    }),
  );
}

const STANDARD = [
  { setWeight: 5 },
  { pause: { duration: '5s' } },
  { setWeight: 25 },
  { pause: { duration: '5s' } },
  { setWeight: 50 },
  { pause: { duration: '5s' } },
];

export async function runEngineBench(quick: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-engine-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  const prefix = `bench-${Date.now()}`;
  const engine = sandboxEngine(sb, prefix);
  const durations: number[] = [];
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix,
    queueName: prefix,
    onReconcile: (ms) => durations.push(ms),
  });
  worker.start();
  const deps = engine.deps;
  let load: LoadGenerator | undefined;
  try {
    sb.registry.ensureNamespace(NS);
    sb.registry.create(resource('httproutes'), NS, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'checkout', namespace: NS },
      spec: { hostnames: ['checkout.bench.test'], rules: [{ backendRefs: [{ name: 'checkout', port: 80 }] }] },
    });
    await untilPhase(deps, (await createRollout(deps, plan('v1', STANDARD))).id, ['Succeeded']);
    load = new LoadGenerator({ url: sb.urls.gateway, host: 'checkout.bench.test', ratePerSecond: 200, seed: 9 });
    load.start();

    // Promote wall time of the standard plan (5 s pauses), several times.
    const runs = quick ? 1 : 3;
    const walls: number[] = [];
    let version = 2;
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now();
      const r = await createRollout(deps, plan(`v${version++}`, STANDARD));
      const done = await untilPhase(deps, r.id, ['Succeeded', 'RolledBack', 'Failed']);
      if (done.phase !== 'Succeeded') throw new Error(`bench rollout ${r.id} ended ${done.phase}: ${done.message}`);
      walls.push((Date.now() - t0) / 1000);
    }

    // Steady state: a long timed pause with background analysis; count requests over a window inside it.
    const r = await createRollout(deps, plan(`v${version++}`, [{ setWeight: 20 }, { pause: { duration: '60s' } }]));
    await waitFor(
      async () => {
        const cur = await deps.store.get(r.id);
        return !!cur && rolloutView(cur).stepIndex >= 1;
      },
      'the pause step',
      120_000,
      100,
    );
    await new Promise((res) => setTimeout(res, 3000));
    const before = deps.kube.stats();
    const reconcilesBefore = durations.length;
    const windowMs = quick ? 15_000 : 30_000;
    await new Promise((res) => setTimeout(res, windowMs));
    const after = deps.kube.stats();
    const reconciles = durations.length - reconcilesBefore;
    await deps.store.mutate(r.id, (x) => ({
      ...x,
      phase: 'RollingBack',
      weight: 0,
      rollback: { since: Date.now(), reason: 'bench done', aborted: true },
    }));
    await deps.queue.enqueue(r.id, (await deps.store.get(r.id))?.version ?? 0);
    await untilPhase(deps, r.id, ['RolledBack']);

    const reads = after.reads - before.reads;
    const writes = after.writes - before.writes;
    const rows: BenchRow[] = [
      {
        metric: 'promote wall time, standard plan (5/25/50%, three 5 s pauses, median)',
        value: median(walls),
        unit: 's',
        note: `${runs} run(s); the pauses alone are 15 s`,
      },
      {
        metric: 'steady-state reconciles in the window',
        value: reconciles,
        unit: 'reconciles',
        note: `${windowMs / 1000} s inside a timed pause, analysis every 5 s`,
      },
      {
        metric: 'Kubernetes reads per steady-state reconcile',
        value: reconciles ? reads / reconciles : 0,
        unit: 'requests',
        note: 'observe (list RS + 2 Services) and the router check',
      },
      { metric: 'Kubernetes writes in steady state', value: writes, unit: 'requests', note: 'invariant 5: none' },
      {
        metric: 'reconcile duration p50',
        value: percentile(durations, 50),
        unit: 'ms',
        note: `${durations.length} reconciles, analysis included`,
      },
      { metric: 'reconcile duration p99', value: percentile(durations, 99), unit: 'ms' },
    ];
    writeResults('engine', rows, { quick });
  } finally {
    await load?.stop();
    await worker.close(true);
    await engine.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
