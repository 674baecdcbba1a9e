/**
 * The sandbox benchmark: start-up time to all pods ready (median of 5), API server create/list/watch
 * throughput through the real client, and the memory of a sandbox running 50 pods.
 */
import { CoreV1Api, KubeConfig, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_NAMESPACE, demoManifests, resource, Sandbox, waitFor } from '@ramp/sandbox';
import { applyManifests } from '../src/kube/apply';
import { silentLogger } from '../src/observability/logger';
import { median, writeResults, type BenchRow } from './report';

function readyPods(sb: Sandbox, ns: string): number {
  return sb.registry
    .list(resource('pods'), { namespace: ns })
    .items.filter((p) =>
      ((p.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    ).length;
}

async function startup(runs: number): Promise<{ toRunning: number[]; toReady: number[] }> {
  const toRunning: number[] = [];
  const toReady: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-'));
    const t0 = performance.now();
    const sb = await Sandbox.start({ dir, logger: silentLogger() });
    toRunning.push(performance.now() - t0);
    await applyManifests(sb.kubeconfigPath, demoManifests('v1', 3));
    await waitFor(() => readyPods(sb, DEMO_NAMESPACE) === 3, '3 ready pods', 60_000, 20);
    toReady.push(performance.now() - t0);
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { toRunning, toReady };
}

async function throughput(objects: number): Promise<{ createPerSec: number; listPerSec: number; watchPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-'));
  const sb = await Sandbox.start({ dir, prometheus: false, redis: false, logger: silentLogger() });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(sb.kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'bench' } } });
    const cm = (i: number, prefix: string): V1ConfigMap => ({
      metadata: { name: `${prefix}-${i}`, labels: { bench: prefix } },
      data: { index: String(i), payload: 'x'.repeat(200) },
    });

    // Creates over HTTPS through the client, 16 in flight.
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < objects) await core.createNamespacedConfigMap({ namespace: 'bench', body: cm(next++, 'http') });
      }),
    );
    const createPerSec = objects / ((performance.now() - t0) / 1000);

    // Watch delivery: objects written in-process as fast as the store takes them, received by the client.
    let received = 0;
    let lastEventAt = 0;
    const watch = await new Watch(kc).watch(
      '/api/v1/namespaces/bench/configmaps',
      { resourceVersion: sb.store.currentResourceVersion(), labelSelector: 'bench=watch' },
      () => {
        received++;
        lastEventAt = performance.now();
      },
      () => undefined,
    );
    const t1 = performance.now();
    for (let i = 0; i < objects; i++) sb.registry.create(resource('configmaps'), 'bench', cm(i, 'watch'));
    await waitFor(() => received >= objects, 'every watch event', 60_000, 5);
    const watchPerSec = objects / ((lastEventAt - t1) / 1000);
    watch.abort();

    const lists = 10;
    const t2 = performance.now();
    for (let i = 0; i < lists; i++) {
      const l = await core.listNamespacedConfigMap({ namespace: 'bench', labelSelector: 'bench=http' });
      if (l.items.length !== objects) throw new Error(`listed ${l.items.length} of ${objects}`);
    }
    const listPerSec = (objects * lists) / ((performance.now() - t2) / 1000);
    return { createPerSec, listPerSec, watchPerSec };
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function memoryWith(
  pods: number,
): Promise<{ sandboxMb: number; podsMb: number; perPodMb: number; childrenMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  try {
    await applyManifests(sb.kubeconfigPath, demoManifests('v1', pods));
    await waitFor(() => readyPods(sb, DEMO_NAMESPACE) === pods, `${pods} ready pods`, 180_000, 100);
    await new Promise((r) => setTimeout(r, 3000)); // let Prometheus scrape every pod a few times
    let children = 0;
    let podKb = 0;
    for (const f of readdirSync(join(dir, 'pids'))) {
      const pid = Number(readFileSync(join(dir, 'pids', f), 'utf8').split(' ')[0]);
      const kb = rssKb(pid);
      children += kb;
      if (!/prometheus|redis/.test(f)) podKb += kb;
    }
    const sandboxKb = rssKb(process.pid);
    return {
      sandboxMb: sandboxKb / 1024,
      podsMb: podKb / 1024,
      perPodMb: podKb / 1024 / pods,
      childrenMb: children / 1024,
    };
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runSandboxBench(quick: boolean): Promise<void> {
  const runs = quick ? 2 : 5;
  const s = await startup(runs);
  const t = await throughput(quick ? 500 : 2000);
  const podCount = quick ? 10 : 50;
  const m = await memoryWith(podCount);
  const rows: BenchRow[] = [
    {
      metric: 'start-up to sandbox running (median)',
      value: median(s.toRunning) / 1000,
      unit: 's',
      note: `${runs} runs; includes Prometheus ready`,
    },
    {
      metric: 'start-up to 3 demo pods ready (median)',
      value: median(s.toReady) / 1000,
      unit: 's',
      note: `${runs} runs: start, apply Deployment, all pods Ready`,
    },
    { metric: 'create throughput (client-node, 16 in flight)', value: Math.round(t.createPerSec), unit: 'objects/s' },
    { metric: 'list throughput (client-node, full lists)', value: Math.round(t.listPerSec), unit: 'objects/s' },
    {
      metric: 'watch delivery (client-node)',
      value: Math.round(t.watchPerSec),
      unit: 'events/s',
      note: 'objects written in-process, received over HTTPS',
    },
    { metric: `sandbox process RSS with ${podCount} pods`, value: m.sandboxMb, unit: 'MiB' },
    {
      metric: `pod processes RSS, ${podCount} pods`,
      value: m.podsMb,
      unit: 'MiB',
      note: `${m.perPodMb.toFixed(1)} MiB per pod`,
    },
    { metric: `all children RSS (pods + Prometheus + Redis)`, value: m.childrenMb, unit: 'MiB' },
  ];
  writeResults('sandbox', rows, { quick });
}
