/**
 * The two control planes side by side (`npm run bench -- control-planes [--quick]`): start-up to a running
 * sandbox and to 3 demo pods ready (median of 5 each), and the memory of the control plane idle and with 50
 * pods — the home-made one lives in the sandbox's own process, the real one is etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler. Memory is measured in a fresh process per control plane, so
 * one run does not inflate the other. The kubernetes rows need `bash scripts/kubernetes/build.sh` and root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ControlPlaneKind,
  DEMO_NAMESPACE,
  demoManifests,
  kubernetesBuilt,
  resource,
  Sandbox,
  waitFor,
} from '@ramp/sandbox';
import { applyManifests } from '../src/kube/apply';
import { silentLogger } from '../src/observability/logger';
import { median, writeResults, type BenchRow } from './report';

async function readyPods(sb: Sandbox, ns: string): Promise<number> {
  return (await sb.cluster.list(resource('pods'), { namespace: ns })).filter((p) =>
    ((p.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
  ).length;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

async function startup(plane: ControlPlaneKind, runs: number): Promise<{ toRunning: number[]; toReady: number[] }> {
  const toRunning: number[] = [];
  const toReady: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-'));
    const t0 = performance.now();
    const sb = await Sandbox.start({ dir, controlPlane: plane, redis: false, logger: silentLogger() });
    toRunning.push(performance.now() - t0);
    try {
      await applyManifests(sb.kubeconfigPath, demoManifests('v1', 3));
      await waitFor(async () => (await readyPods(sb, DEMO_NAMESPACE)) === 3, '3 ready pods', 120_000, 50);
      toReady.push(performance.now() - t0);
    } finally {
      await sb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { toRunning, toReady };
}

export interface MemorySample {
  /** The control plane: the sandbox process for the home-made one, its four processes for the real one. */
  controlPlaneMb: number;
  /** The sandbox's own process (kubelet, gateway; and the home-made control plane). */
  sandboxMb: number;
}

/** In this process: a sandbox idle, then with `pods` ready pods; prints the samples as JSON. */
export async function memoryProbe(plane: ControlPlaneKind, pods: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-'));
  const sb = await Sandbox.start({ dir, controlPlane: plane, prometheus: false, redis: false, logger: silentLogger() });
  const sample = (): MemorySample => {
    const own = rssMb(process.pid);
    const cp = sb.controlPlanePids().reduce((n, p) => n + rssMb(p), 0);
    return { controlPlaneMb: plane === 'kubernetes' ? cp : own, sandboxMb: own };
  };
  try {
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = sample();
    await applyManifests(sb.kubeconfigPath, demoManifests('v1', pods));
    await waitFor(async () => (await readyPods(sb, DEMO_NAMESPACE)) === pods, `${pods} ready pods`, 300_000, 200);
    await new Promise((r) => setTimeout(r, 10_000));
    process.stdout.write(JSON.stringify({ idle, loaded: sample() }) + '\n');
  } finally {
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function memory(plane: ControlPlaneKind, pods: number): { idle: MemorySample; loaded: MemorySample } {
  const out = execFileSync(process.execPath, [process.argv[1], 'control-planes-memory', plane, String(pods)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { idle: MemorySample; loaded: MemorySample };
}

export async function runControlPlanesBench(quick: boolean): Promise<void> {
  const runs = quick ? 2 : 5;
  const pods = quick ? 10 : 50;
  const planes: ControlPlaneKind[] = kubernetesBuilt() ? ['home-made', 'kubernetes'] : ['home-made'];
  const rows: BenchRow[] = [];
  for (const plane of planes) {
    const s = await startup(plane, runs);
    const m = memory(plane, pods);
    const where =
      plane === 'kubernetes' ? 'etcd + kube-apiserver + controller-manager + scheduler' : 'the sandbox process';
    rows.push(
      {
        metric: `${plane}: start-up to sandbox running (median)`,
        value: median(s.toRunning) / 1000,
        unit: 's',
        note: `${runs} runs; Prometheus ready, node schedulable`,
      },
      {
        metric: `${plane}: start-up to 3 demo pods ready (median)`,
        value: median(s.toReady) / 1000,
        unit: 's',
        note: `${runs} runs`,
      },
      { metric: `${plane}: control plane RSS, idle`, value: m.idle.controlPlaneMb, unit: 'MiB', note: where },
      { metric: `${plane}: control plane RSS, ${pods} pods`, value: m.loaded.controlPlaneMb, unit: 'MiB', note: where },
    );
    if (plane === 'kubernetes')
      rows.push(
        {
          metric: `${plane}: sandbox process RSS, idle`,
          value: m.idle.sandboxMb,
          unit: 'MiB',
          note: 'kubelet, gateway',
        },
        {
          metric: `${plane}: sandbox process RSS, ${pods} pods`,
          value: m.loaded.sandboxMb,
          unit: 'MiB',
          note: 'kubelet, gateway',
        },
      );
  }
  writeResults('control-planes', rows, { quick, planes });
}
