/**
 * `ramp demo` (`npm run demo`): the whole story on the sandbox. Ramp (API server and worker) runs
 * beside a demo app under steady load; through the CLI, with its live view, each strategy (canary,
 * blue-green, gray and rolling, or the one `--strategy` names) rolls out a healthy version, promoted, and then
 * one that turns bad once it takes live traffic, rolled back by the judge. `--once` exits 0 when every
 * outcome was as expected (what CI runs); without it the sandbox stays up afterwards.
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
import { CliUsageError } from '../../errors';

const NS = 'demo';
const APP = 'checkout';
const HOST = 'checkout.demo.sandbox';

interface DemoFlags {
  once?: boolean;
  controlPlane: string;
  rate: string;
  dir?: string;
  strategy: string;
}

/** A header that sends the demo's test requests to a blue-green preview. */
const PREVIEW_HEADER = { name: 'x-preview', value: '1' };
/** The beta testers' header: gray release's first slice. */
const BETA_HEADER = { name: 'x-beta', value: '1' };

/** The plan block each strategy of the demo rolls out with (the demo's content; the engine and CLI name none). */
const SCENARIOS: Record<
  string,
  {
    what: string;
    block: Record<string, unknown>;
    testRequests?: { name: string; value: string };
    /** The bad version turns bad once a slice of requests reaches it (gray's beta testers), not only a weight. */
    badOnSlice?: boolean;
  }
> = {
  canary: {
    what: 'canary: 20% → 50% of requests, judged all along',
    block: {
      router: { gatewayApi: { httpRoute: APP } },
      steps: [
        { setWeight: 20 },
        { pause: { duration: '5s' } },
        { setWeight: 50 },
        { analyze: { min: '10s', max: '5m' } },
      ],
      scaleDownDelay: '5s',
    },
  },
  blueGreen: {
    what: `blue-green: a full preview judged on test requests (header ${PREVIEW_HEADER.name}: ${PREVIEW_HEADER.value}), one switch, then judged on live traffic while the old pods stay warm`,
    block: {
      router: { gatewayApi: { httpRoute: APP } },
      previewTraffic: { header: PREVIEW_HEADER },
      // After the switch each live window is judged against one of the preview analysis' stable windows,
      // each once (analysis/baseline.ts): the post-promotion analysis may last no longer than the preview's
      // surely does, and the judge passes an error-free preview in seconds, so its min says how long.
      prePromotionAnalysis: { min: '20s', max: '5m' },
      autoPromote: { after: '5s' },
      postPromotionAnalysis: { min: '10s', max: '20s' },
      scaleDownDelay: '10s',
    },
    testRequests: PREVIEW_HEADER,
  },
  gray: {
    what: `gray: beta testers first (header ${BETA_HEADER.name}: ${BETA_HEADER.value}), judged on their requests alone, then 50% of everyone`,
    block: {
      router: { gatewayApi: { httpRoute: APP } },
      steps: [
        { setSlice: { matches: [{ header: BETA_HEADER }] } },
        { analyze: { min: '10s', max: '5m' } },
        { setWeight: 50 },
        { analyze: { min: '10s', max: '5m' } },
      ],
      scaleDownDelay: '5s',
    },
    testRequests: BETA_HEADER,
    badOnSlice: true,
  },
  rolling: {
    what: 'rolling: 1, 2, then all 4 pods replaced, one surge at a time, judged before the last batch',
    block: {
      maxSurge: 1,
      maxUnavailable: 0,
      batches: ['25%', { replicas: '50%', analyze: { min: '10s', max: '5m' } }, '100%'],
    },
  },
};

/** The demo plan of `strategy` for one version (healthy: no errors; a bad one turns bad at run time). */
export function demoPlanYaml(version: string, strategy = 'canary'): string {
  const input = demoPlanInput({
    namespace: NS,
    app: APP,
    version,
    replicas: 4,
    env: { ERROR_RATE: '0', LATENCY_MS: '5' },
    steps: [],
    scaleDownDelay: '5s',
    analysis: { interval: '2s', metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5 } }] },
    progressDeadline: '2m',
  });
  (input.spec as Record<string, unknown>).strategy = { [strategy]: SCENARIOS[strategy].block };
  return YAML.stringify(input);
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

/** The new revision's ready pods, once the rollout of `version` sends it live traffic (the share its view gives). */
async function liveNewPods(
  pkg: SandboxApi,
  stack: Stack,
  version: string,
  strategy: string,
  signal: AbortSignal,
): Promise<{ ip: string }[]> {
  let pods: { ip: string }[] = [];
  await pkg.waitFor(
    async () => {
      if (signal.aborted) return true;
      const latest = await stack.engine.deps.store.getLatest(NS, APP);
      if (!latest || !JSON.stringify(latest.template).includes(`demo-app:${version}"`)) return false;
      const { target } = bindStrategy(compilePlan(latest.plan)).describe(latest).traffic;
      const live = target.weight > 0 || (SCENARIOS[strategy]?.badOnSlice === true && target.matches.length > 0);
      if (!live || (latest.phase !== 'Progressing' && latest.phase !== 'Promoting')) return false;
      pods = (await stack.sb.cluster.list(pkg.resource('pods'), { namespace: NS }))
        .filter((p) => p.metadata.labels?.['ramp.dev/revision'] === latest.revisions.new)
        .flatMap((p) => {
          const status = p.status as { podIP?: string; conditions?: { type: string; status: string }[] } | undefined;
          const ready = status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          return ready && status?.podIP ? [{ ip: status.podIP }] : [];
        });
      return pods.length > 0;
    },
    `${version} to take live traffic`,
    300_000,
    200,
  );
  return signal.aborted ? [] : pods;
}

/** Once `version` takes live traffic, turn it bad: 30% errors, through the demo app's admin endpoint. */
async function injectRegression(
  pkg: SandboxApi,
  stack: Stack,
  version: string,
  strategy: string,
  signal: AbortSignal,
): Promise<void> {
  const pods = await liveNewPods(pkg, stack, version, strategy, signal);
  if (signal.aborted) return;
  for (const p of pods)
    await fetch(`http://${p.ip}:8080/admin/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: 0.3 }),
    });
  progress(
    `[demo] injected a regression: ${version}'s ${pods.length} pod(s) taking live traffic now fail 30% of requests`,
  );
}

function served(report: LoadReport): string {
  return Object.entries(report.byRevision)
    .map(([rev, c]) => `${rev}: ${c.total} answered, ${c.errors5xx} errors`)
    .join('; ');
}

/** The strategies `--strategy` names (`all`: every one the demo has). */
function chosenStrategies(flag: string): string[] {
  const names = flag === 'all' ? Object.keys(SCENARIOS) : flag.split(',').map((x) => x.trim());
  const unknown = names.filter((n) => !SCENARIOS[n]);
  if (unknown.length)
    throw new CliUsageError(
      `--strategy: expected all or ${Object.keys(SCENARIOS).join(', ')}; got ${unknown.join(', ')}`,
    );
  return names;
}

/** One strategy's story: a healthy version promoted (exit 0), then one that turns bad rolled back (exit 1). */
async function tellStrategy(
  pkg: SandboxApi,
  stack: Stack,
  dir: string,
  load: LoadGenerator,
  strategy: string,
  versions: [string, string],
): Promise<boolean> {
  const [good, bad] = versions;
  for (const v of versions) writeFileSync(join(dir, `${v}.yaml`), demoPlanYaml(v, strategy));
  progress(`[demo] ${SCENARIOS[strategy].what}`);
  // Test requests (a preview's, beta testers'), which the plan routes to the new version by their header.
  const header = SCENARIOS[strategy].testRequests;
  const tests = header
    ? new pkg.LoadGenerator({
        url: stack.sb.urls.gateway,
        host: HOST,
        ratePerSecond: 100,
        seed: 2,
        headers: { [header.name]: header.value },
      })
    : undefined;
  tests?.start();
  try {
    load.reset();
    progress(`[demo] rolling out ${good} (healthy) with ${strategy}: expect promoted, exit 0`);
    const goodExit = await ramp(stack, ['rollout', '-f', join(dir, `${good}.yaml`), '--wait', '--timeout', '10m']);
    progress(`[demo] ramp exited ${goodExit} for ${good}; users saw ${served(load.snapshot())}`);
    progress(
      `[demo] rolling out ${bad} with ${strategy}, which turns bad once it takes live traffic: expect rolled back, exit 1`,
    );
    load.reset();
    const stopInjecting = new AbortController();
    const injecting = injectRegression(pkg, stack, bad, strategy, stopInjecting.signal).catch((e: unknown) =>
      progress(`[demo] could not inject the regression: ${(e as Error).message}`),
    );
    const badExit = await ramp(stack, ['rollout', '-f', join(dir, `${bad}.yaml`), '--wait', '--timeout', '10m']);
    stopInjecting.abort();
    await injecting;
    progress(`[demo] ramp exited ${badExit} for ${bad}; meanwhile users saw ${served(load.snapshot())}`);
    const ok = goodExit === 0 && badExit === 1;
    progress(
      ok
        ? `[demo] ${strategy}: both outcomes as expected: ${good} promoted, ${bad} rolled back`
        : `[demo] ${strategy}: FAILED: expected exit codes 0 and 1, got ${goodExit} and ${badExit}`,
    );
    return ok;
  } finally {
    await tests?.stop();
  }
}

async function runDemo(pkg: SandboxApi, flags: DemoFlags): Promise<number> {
  const chosen = chosenStrategies(flags.strategy);
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
    writeFileSync(join(dir, 'v1.yaml'), demoPlanYaml('v1', chosen[0]));
    progress('[demo] first deploy of v1 (no stable version yet: straight to 4 pods, no analysis)');
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
    const outcomes: boolean[] = [];
    for (const [i, strategy] of chosen.entries()) {
      progress(`[demo] ${i + 1}/${chosen.length} ${strategy}`);
      outcomes.push(await tellStrategy(pkg, stack, dir, load, strategy, [`v${2 * i + 2}`, `v${2 * i + 3}`]));
    }
    const report = await load.stop();
    load = undefined;
    const ok = outcomes.every(Boolean);
    progress(
      ok
        ? `[demo] every outcome as expected (${chosen.join(', ')}); users saw ${served(report)}`
        : `[demo] FAILED: ${chosen.filter((_, i) => !outcomes[i]).join(', ')} did not end as expected`,
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
    .description(
      'the whole story on the sandbox: per strategy, a healthy version promoted and a bad one rolled back, through the CLI',
    )
    .option('--once', 'exit when the story is told: 0 if every outcome was as expected')
    .option('--strategy <names>', `all, or some of ${Object.keys(SCENARIOS).join(', ')} (comma-separated)`, 'all')
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
