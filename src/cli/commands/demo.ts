/**
 * `ramp demo` (`npm run demo`): the sandbox, a demo app (3 replicas of v1) behind a Service and an
 * HTTPRoute, steady load through the gateway, and a live summary — pods, and request rate per version
 * as Prometheus sees it. `--once` runs for a bounded time and exits 0 when everything worked.
 */
import type { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sandbox } from '../../sandbox/sandbox';
import { LoadGenerator, type LoadReport } from '../../sandbox/loadGen/loadGenerator';
import { queryInstant } from '../../sandbox/prometheus/query';
import { resource } from '../../sandbox/apiServer/resources';
import type { KubeObject } from '../../sandbox/apiServer/types';
import { waitFor } from '../../sandbox/util/ports';
import { demoManifests, DEMO_HOST, DEMO_NAMESPACE } from '../../sandbox/demoManifests';
import { applyManifests } from '../../kube/apply';
import { isPlainOutput, progress, timestamp } from '../progress';
import { EXIT_CODES } from '../../errors/mapping';
import { silentLogger } from '../../observability/logger';

interface DemoFlags {
  once?: boolean;
  duration: string;
  rate: string;
  dir?: string;
}

interface PodRow {
  name: string;
  ready: boolean;
  phase: string;
  ip: string;
  version: string;
}

function podRows(sb: Sandbox): PodRow[] {
  return sb.registry.list(resource('pods'), { namespace: DEMO_NAMESPACE }).items.map((p: KubeObject) => {
    const st = (p.status ?? {}) as { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
    return {
      name: p.metadata.name ?? '',
      ready: st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      phase: p.metadata.deletionTimestamp ? 'Terminating' : (st.phase ?? 'Unknown'),
      ip: st.podIP ?? '-',
      version: p.metadata.labels?.version ?? '?',
    };
  });
}

async function ratesByVersion(promUrl: string): Promise<Record<string, { rps: number; errors: number }>> {
  const out: Record<string, { rps: number; errors: number }> = {};
  const all = await queryInstant(promUrl, `sum by (version) (rate(http_requests_total{namespace="${DEMO_NAMESPACE}"}[5s]))`);
  const bad = await queryInstant(promUrl, `sum by (version) (rate(http_requests_total{namespace="${DEMO_NAMESPACE}",code=~"5.."}[5s]))`);
  for (const s of all) out[s.metric.version ?? '?'] = { rps: s.value, errors: 0 };
  for (const s of bad) (out[s.metric.version ?? '?'] ??= { rps: 0, errors: 0 }).errors = s.value;
  return out;
}

function summary(pods: PodRow[], rates: Record<string, { rps: number; errors: number }>, load: LoadReport): string[] {
  const lines = pods.map((p) => `  ${p.name.padEnd(28)} ${p.ready ? 'Ready   ' : 'NotReady'} ${p.phase.padEnd(11)} ${p.ip.padEnd(14)} ${p.version}`);
  const rateText = Object.entries(rates).map(([v, r]) => `${v} ${r.rps.toFixed(1)} req/s (${r.errors.toFixed(1)} 5xx/s)`).join(', ') || 'no data yet';
  const byRev = Object.entries(load.byRevision).map(([rev, c]) => `${rev}: ${c.total} (${c.errors5xx} 5xx)`).join(', ');
  return [`pods (${pods.filter((p) => p.ready).length}/${pods.length} ready):`, ...lines, `Prometheus: ${rateText}`, `load: sent ${load.sent}, answered ${load.completed}; ${byRev}`];
}

async function runDemo(flags: DemoFlags): Promise<number> {
  const durationMs = Number(flags.duration) * 1000;
  const rate = Number(flags.rate);
  const dir = flags.dir ?? mkdtempSync(join(tmpdir(), 'ramp-demo-'));
  progress(`[demo] starting the sandbox in ${dir}`);
  const sb = await Sandbox.start({ dir, logger: silentLogger() });
  let load: LoadGenerator | undefined;
  try {
    progress(`[demo] sandbox up: API ${sb.urls.api}, gateway ${sb.urls.gateway}, Prometheus ${sb.urls.prometheus}`);
    progress(`[demo] kubectl works too: export KUBECONFIG=${sb.kubeconfigPath}`);
    await applyManifests(sb.kubeconfigPath, demoManifests('v1', 3));
    progress(`[demo] applied namespace ${DEMO_NAMESPACE}: Deployment checkout (3 × ramp.dev/demo-app:v1), Service, HTTPRoute ${DEMO_HOST}`);
    await waitFor(() => podRows(sb).filter((p) => p.ready).length === 3, '3 ready demo pods', 60_000, 100);
    progress('[demo] 3 pods ready; starting load');
    load = new LoadGenerator({ url: sb.urls.gateway, host: DEMO_HOST, ratePerSecond: rate, seed: 1 });
    load.start();
    const started = Date.now();
    const tty = !isPlainOutput();
    let lastRates: Record<string, { rps: number; errors: number }> = {};
    let interrupted = false;
    const onSignal = (): void => void (interrupted = true);
    process.once('SIGINT', onSignal);
    while (!interrupted && (!flags.once || Date.now() - started < durationMs)) {
      await new Promise((r) => setTimeout(r, 1000));
      lastRates = await ratesByVersion(sb.urls.prometheus ?? '').catch(() => lastRates);
      const lines = summary(podRows(sb), lastRates, load.snapshot());
      if (tty) process.stdout.write(`\x1b[2J\x1b[H${timestamp()}  (Ctrl-C to stop)\n${lines.join('\n')}\n`);
      else process.stdout.write(`${timestamp()} ${lines[0]} | ${lines[lines.length - 2]} | ${lines[lines.length - 1]}\n`);
    }
    process.off('SIGINT', onSignal);
    const report = await load.stop();
    load = undefined;
    const pods = podRows(sb);
    const ok = report.completed > 0 && Object.values(report.byRevision).reduce((n, r) => n + r.errors5xx, 0) <= report.completed * 0.01;
    const problems = [
      pods.filter((p) => p.ready).length === 3 ? '' : 'not all 3 pods are ready',
      (lastRates.v1?.rps ?? 0) > 0 ? '' : 'Prometheus has no request rate for v1',
      ok ? '' : 'more than 1% of requests failed',
    ].filter(Boolean);
    if (problems.length) {
      progress(`[demo] FAILED: ${problems.join('; ')}`);
      return EXIT_CODES.failed;
    }
    progress(`[demo] done: ${report.completed} requests answered, Prometheus saw v1 at ${lastRates.v1.rps.toFixed(1)} req/s`);
    return EXIT_CODES.ok;
  } finally {
    if (load) await load.stop();
    progress('[demo] stopping the sandbox');
    await sb.close();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start the sandbox with a demo app under load and show what happens')
    .option('--once', 'run for --duration seconds, check the outcome, exit 0 if all went well')
    .option('--duration <seconds>', 'how long --once runs the load', '15')
    .option('--rate <perSecond>', 'requests per second through the gateway', '50')
    .option('--dir <dir>', 'sandbox directory (default: a new temporary one)')
    .action(async (flags: DemoFlags) => {
      process.exitCode = await runDemo(flags);
    });
}
