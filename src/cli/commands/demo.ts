/**
 * `ramp demo` (`npm run demo`): the whole story on the sandbox. Ramp (API server and worker) runs
 * beside a demo app under steady load; through the CLI, with its live view, v2 (healthy) is rolled out
 * and promoted, then v3 — which turns bad mid-rollout — is rolled back by the judge. `--once` exits 0
 * when both outcomes were as expected (what CI runs); without it the sandbox stays up afterwards.
 */
import { EXIT_CODES } from '../exitCodes';
import { demoPlanInput } from '../demoPlan';
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { createEngine, type Engine } from '../../engine/engine';
import { compilePlan } from '../../plan/compile';
import { bindStrategy } from '../../strategies/registry';
import { RampWorker } from '../../engine/worker';
import { RampApiServer } from '../../api/server';
import { StaticTokenAuthenticator } from '../../api/auth/staticTokens';
import { withSandbox, type LoadGenerator, type LoadReport, type Sandbox, type SandboxApi } from '../sandboxSeam';
import { createLogger, silentLogger } from '../../observability/logger';
import { EngineMetrics } from '../../observability/metrics';
import { progress } from '../progress';

const NS = 'demo';
const APP = 'checkout';
const HOST = 'checkout.demo.sandbox';

interface DemoFlags {
  once?: boolean;
  controlPlane: string;
  rate: string;
  dir?: string;
}

/** The demo plan for one version (healthy: no errors; v3 turns bad at run time). */
export function demoPlanYaml(version: string): string {
  return YAML.stringify(
    demoPlanInput({
      namespace: NS,
      app: APP,
      version,
      replicas: 4,
      env: { ERROR_RATE: '0', LATENCY_MS: '5' },
      steps: [
        { setWeight: 20 },
        { pause: { duration: '5s' } },
        { setWeight: 50 },
        { analyze: { min: '10s', max: '5m' } },
      ],
      scaleDownDelay: '5s',
      analysis: { interval: '2s', metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5 } }] },
      progressDeadline: '2m',
    }),
  );
}

interface Stack {
  sb: Sandbox;
  engine: Engine;
  worker: RampWorker;
  api: RampApiServer;
  apiUrl: string;
  token: string;
}

async function startStack(pkg: SandboxApi, dir: string, controlPlane: 'home-made' | 'kubernetes'): Promise<Stack> {
  const sb = await pkg.Sandbox.start({ dir, controlPlane, logger: silentLogger() });
  const logger = createLogger({ name: 'ramp', file: join(dir, 'ramp.log') });
  const metrics = new EngineMetrics();
  const prefix = `demo-${randomBytes(3).toString('hex')}`;
  const engine = createEngine({
    redisUrl: sb.urls.redis ?? '',
    prefix,
    kubeconfig: sb.kubeconfigPath,
    prometheusUrl: sb.urls.prometheus,
    logger,
    metrics,
  });
  const worker = new RampWorker({ deps: engine.deps, connection: engine.workerConnection(), prefix });
  worker.start();
  const token = randomBytes(24).toString('base64url');
  const authenticator = StaticTokenAuthenticator.fromText(
    YAML.stringify({ tokens: [{ token, subject: 'demo', namespaces: ['*'], verbs: ['read', 'write', 'operate'] }] }),
    'demo tokens',
  );
  const api = new RampApiServer({ deps: engine.deps, authenticator, logger, metrics });
  const apiUrl = await api.listen(0, '127.0.0.1');
  return { sb, engine, worker, api, apiUrl, token };
}

async function stopStack(s: Stack | undefined): Promise<void> {
  if (!s) return;
  await s.api.close();
  await s.worker.close(true);
  await s.engine.close();
  await s.sb.close();
}

/** Runs the CLI as a user would, on this terminal (so a TTY gets the live view). Resolves with its exit code. */
function ramp(stack: Stack, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [process.argv[1], ...args], {
      stdio: 'inherit',
      env: { ...process.env, RAMP_URL: stack.apiUrl, RAMP_TOKEN: stack.token },
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** Once v3's canary takes traffic, turn it bad: 30% errors, through the demo app's admin endpoint. */
async function injectRegression(pkg: SandboxApi, stack: Stack, signal: AbortSignal): Promise<void> {
  let canary = '';
  await pkg.waitFor(
    async () => {
      if (signal.aborted) return true;
      const latest = await stack.engine.deps.store.getLatest(NS, APP);
      canary = latest?.revisions.new ?? '';
      return (
        !!latest &&
        bindStrategy(compilePlan(latest.plan)).describe(latest).stepIndex >= 1 &&
        latest.phase === 'Progressing' &&
        JSON.stringify(latest.template).includes('demo-app:v3')
      );
    },
    'v3 to take traffic',
    180_000,
    200,
  );
  if (signal.aborted) return;
  const pods = (await stack.sb.cluster.list(pkg.resource('pods'), { namespace: NS })).filter(
    (p) => p.metadata.labels?.['ramp.dev/revision'] === canary,
  );
  for (const p of pods) {
    const ip = (p.status as { podIP?: string } | undefined)?.podIP;
    if (ip)
      await fetch(`http://${ip}:8080/admin/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errorRate: 0.3 }),
      });
  }
  progress(`[demo] injected a regression: v3's ${pods.length} canary pod(s) now fail 30% of requests`);
}

function served(report: LoadReport): string {
  return Object.entries(report.byRevision)
    .map(([rev, c]) => `${rev}: ${c.total} answered, ${c.errors5xx} errors`)
    .join('; ');
}

async function runDemo(pkg: SandboxApi, flags: DemoFlags): Promise<number> {
  const dir = flags.dir ?? mkdtempSync(join(tmpdir(), 'ramp-demo-'));
  const plane = flags.controlPlane === 'kubernetes' ? 'kubernetes' : 'home-made';
  progress(`[demo] starting the sandbox (${plane} control plane) and Ramp (API server + worker) in ${dir}`);
  let stack: Stack | undefined;
  let load: LoadGenerator | undefined;
  try {
    stack = await startStack(pkg, dir, plane);
    progress(
      `[demo] Ramp API ${stack.apiUrl}; sandbox gateway ${stack.sb.urls.gateway}; Prometheus ${stack.sb.urls.prometheus}`,
    );
    progress(`[demo] kubectl works too: export KUBECONFIG=${stack.sb.kubeconfigPath}`);
    await pkg.ensureNamespace(stack.sb.cluster, NS);
    await stack.sb.cluster.create(pkg.resource('httproutes'), NS, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: APP, namespace: NS },
      spec: {
        parentRefs: [{ name: 'sandbox' }],
        hostnames: [HOST],
        rules: [{ backendRefs: [{ name: APP, port: 80 }] }],
      },
    });
    for (const v of ['v1', 'v2', 'v3']) writeFileSync(join(dir, `${v}.yaml`), demoPlanYaml(v));

    progress('[demo] 1/3 first deploy of v1 (no stable version yet: straight to 4 pods, no analysis)');
    const first = await ramp(stack, ['rollout', '-f', join(dir, 'v1.yaml'), '--wait', '--timeout', '5m']);
    if (first !== 0) throw new Error(`the first deploy failed (exit ${first})`);
    load = new pkg.LoadGenerator({
      url: stack.sb.urls.gateway,
      host: HOST,
      ratePerSecond: Number(flags.rate),
      seed: 1,
    });
    load.start();
    progress(`[demo] steady load: ${flags.rate} requests/s through the gateway to ${HOST}`);

    progress('[demo] 2/3 rolling out v2 (healthy): expect promoted, exit 0');
    const good = await ramp(stack, ['rollout', '-f', join(dir, 'v2.yaml'), '--wait', '--timeout', '10m']);
    progress(`[demo] ramp exited ${good} for v2; users saw ${served(load.snapshot())}`);

    progress('[demo] 3/3 rolling out v3, which turns bad once it has traffic: expect rolled back, exit 1');
    load.reset();
    const stopInjecting = new AbortController();
    const injecting = injectRegression(pkg, stack, stopInjecting.signal).catch((e: unknown) =>
      progress(`[demo] could not inject the regression: ${(e as Error).message}`),
    );
    const bad = await ramp(stack, ['rollout', '-f', join(dir, 'v3.yaml'), '--wait', '--timeout', '10m']);
    stopInjecting.abort();
    await injecting;
    const report = await load.stop();
    load = undefined;
    progress(`[demo] ramp exited ${bad} for v3; meanwhile users saw ${served(report)}`);

    const ok = good === 0 && bad === 1;
    progress(
      ok
        ? '[demo] both outcomes as expected: v2 promoted, v3 rolled back'
        : `[demo] FAILED: expected exit codes 0 and 1, got ${good} and ${bad}`,
    );
    if (!flags.once && ok) {
      progress(
        `[demo] the sandbox stays up; try: RAMP_URL=${stack.apiUrl} RAMP_TOKEN=${stack.token} ramp list -n ${NS}   (Ctrl-C to stop)`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return ok ? EXIT_CODES.ok : EXIT_CODES.failed;
  } finally {
    if (load) await load.stop();
    progress('[demo] stopping');
    await stopStack(stack);
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole story on the sandbox: a healthy version promoted, a bad one rolled back, through the CLI')
    .option('--once', 'exit when the story is told: 0 if both outcomes were as expected')
    .option('--rate <perSecond>', 'requests per second through the gateway', '200')
    .option('--dir <dir>', 'sandbox directory (default: a new temporary one)')
    .option(
      '--control-plane <kind>',
      'home-made, or kubernetes: the real etcd and kube-apiserver (bash scripts/kubernetes/build.sh first; root)',
      'home-made',
    )
    .action(async (flags: DemoFlags) => {
      if (flags.controlPlane !== 'home-made' && flags.controlPlane !== 'kubernetes') {
        process.stderr.write(`ramp: --control-plane: expected home-made or kubernetes, got "${flags.controlPlane}"\n`);
        process.exitCode = EXIT_CODES.badInput;
        return;
      }
      process.exitCode = await withSandbox((pkg) => runDemo(pkg, flags));
    });
}
