/**
 * The reaction benchmark (`npm run bench -- reaction [--quick]`): on the sandbox under steady load, a
 * canary at 10% that serves like stable (1% errors) turns bad — the demo app's admin endpoint sets its
 * error rate to 10% — and we measure, per judge and analysis interval (both judges at 5 s, and both at
 * 1 s), the seconds from the injection to 0% canary traffic at the gateway (the HTTPRoute's canary
 * weight back to 0, and the last answer from a canary pod), and how many bad answers users got from the
 * canary meanwhile.
 *
 * `--runs=N` runs each configuration N times (default 10; 1 with --quick). `--scrape=N` has the sandbox's Prometheus scrape every N seconds (default 1) and writes
 * reaction-scrapeN: both judges at a 5 s interval only (looking more often than Prometheus scrapes adds
 * nothing), with a warm-up of at least three scrapes.
 *
 * The injection lands at a seeded random point of the analysis interval, so the figures average over
 * where in its tick a regression starts instead of always catching the same phase. A rollout that rolls
 * back before the injection (while both versions still serve alike) is a false rollback: it is counted
 * as such, never as a fast reaction, and the run is repeated.
 */
import { demoPlanInput } from '../src/cli/demoPlan';
import { rolloutView } from '../src/api/views';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxEngine } from './sandboxEngine';
import { createRollout } from '../src/engine/rollouts';
import { RampWorker } from '../src/engine/worker';
import type { EngineDeps } from '../src/engine/deps';
import type { RolloutRecord } from '../src/engine/record';
import { validatePlan } from '../src/plan/parse';
import type { Plan } from '../src/plan/schema';
import {
  createRng,
  type KubeObject,
  LoadGenerator,
  resource,
  type ResponseEvent,
  type Rng,
  Sandbox,
  waitFor,
} from '@ramp/sandbox';
import { silentLogger } from '../src/observability/logger';
import { untilPhase } from './rolloutWait';
import { median, writeResults, type BenchRow } from './report';
import { falseRollbackRates, type FalseRollbackSetting } from './reactionFalseRollbacks';

const NS = 'reaction';
const HOST = 'checkout.reaction.test';
const BASE_ERROR_RATE = 0.01;
const BAD_ERROR_RATE = 0.1;
/** The canary's weight while it is judged, and the regression the judges look for. */
const CANARY_WEIGHT = 10;
const MAX_RATIO = 2;
/** The plans' alpha (the default). */
const ALPHA = 0.01;
const RATE_PER_SECOND = 100;
/** Time at 10% before the injection: Prometheus finds the new pod (≤ 5 s) and both judges have a baseline. */
const WARMUP_MS = 20_000;
/** The sandbox Prometheus' own scrape interval unless --scrape says otherwise. */
const DEFAULT_SCRAPE_SECONDS = 1;
/** Minutes of analysis over which the configurations' false-rollback rates are compared. */
const ANALYSIS_MINUTES = 10;
/** Runs that rolled back before the injection are repeated, up to this many times per configuration. */
const MAX_FALSE_ROLLBACKS = 5;
type JudgeName = 'sequential' | 'threshold';

/** One configuration: a judge at an analysis interval. */
interface Config {
  judge: JudgeName;
  intervalSeconds: number;
}

const CONFIGS: Config[] = [
  { judge: 'sequential', intervalSeconds: 5 },
  { judge: 'threshold', intervalSeconds: 5 },
  { judge: 'sequential', intervalSeconds: 1 },
  { judge: 'threshold', intervalSeconds: 1 },
];

const label = (c: Config) => `${c.judge} every ${c.intervalSeconds} s`;
const sameConfig = (c: Config) => (x: Config) => x.judge === c.judge && x.intervalSeconds === c.intervalSeconds;

function plan(version: string, c: Config, steps: unknown[]): Plan {
  return validatePlan(
    demoPlanInput({
      namespace: NS,
      version,
      replicas: 2,
      env: { ERROR_RATE: String(BASE_ERROR_RATE) },
      steps,
      scaleDownDelay: '2s',
      analysis: {
        interval: `${c.intervalSeconds}s`,
        metrics: [{ name: 'errors', errorRate: { maxRatio: MAX_RATIO, judge: c.judge } }],
        alpha: ALPHA,
      },
    }),
  );
}

/** The canary's weight in the HTTPRoute, as the gateway reads it from the store. */
function canaryWeight(route: KubeObject): number {
  const rules = (
    (route as { spec?: { rules?: { backendRefs?: { name: string; weight?: number }[] }[] } }).spec?.rules ?? []
  ).flatMap((r) => r.backendRefs ?? []);
  return rules.find((b) => b.name.endsWith('-canary'))?.weight ?? 0;
}

interface Reaction extends Config {
  routeZeroSeconds: number;
  lastCanaryAnswerSeconds: number;
  badAnswers: number;
  reason: string;
}

/** What a run came to: a reaction to the injection, or a rollback before it. */
type RunOutcome = { kind: 'reaction'; reaction: Reaction } | { kind: 'falseRollback'; reason: string };

async function injectAndMeasure(
  sb: Sandbox,
  deps: EngineDeps,
  warmupMs: number,
  c: Config,
  version: string,
  responses: ResponseEvent[],
  rng: Rng,
): Promise<RunOutcome> {
  const r = await createRollout(deps, plan(version, c, [{ setWeight: CANARY_WEIGHT }, { pause: {} }]));
  let rec: RolloutRecord | undefined;
  await waitFor(
    async () => {
      rec = await deps.store.get(r.id);
      return !!rec && rolloutView(rec).stepIndex >= 1 && rolloutView(rec).weight === CANARY_WEIGHT;
    },
    `the canary at ${CANARY_WEIGHT}%`,
    120_000,
    100,
  );
  const canary = (rec as RolloutRecord).revisions.new;
  await new Promise((res) => setTimeout(res, warmupMs + rng() * c.intervalSeconds * 1000));
  const before = (await deps.store.get(r.id)) as RolloutRecord;
  if (before.phase !== 'Progressing' && before.phase !== 'Paused') {
    await untilPhase(deps, r.id, ['RolledBack', 'Succeeded', 'Failed']);
    return {
      kind: 'falseRollback',
      reason: `${before.phase} before the injection: ${before.rollback?.reason ?? before.message ?? ''}`,
    };
  }
  const pods = sb.registry
    .list(resource('pods'), { namespace: NS })
    .items.filter((p) => p.metadata.labels?.['ramp.dev/revision'] === canary);
  let routeZeroAt: number | undefined;
  const watch = sb.store.watch(resource('httproutes'), { namespace: NS }, (e) => {
    if (routeZeroAt === undefined && canaryWeight(e.object) === 0) routeZeroAt = Date.now();
  });
  const from = responses.length;
  const t0 = Date.now();
  for (const p of pods) {
    const res = await fetch(`http://${(p as { status?: { podIP?: string } }).status?.podIP}:8080/admin/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errorRate: BAD_ERROR_RATE }),
    });
    if (!res.ok) throw new Error(`admin endpoint of ${p.metadata.name}: ${res.status}`);
  }
  try {
    const done = await untilPhase(deps, r.id, ['RolledBack', 'Succeeded', 'Failed']);
    if (done.phase !== 'RolledBack') throw new Error(`${label(c)}: the run ended ${done.phase}: ${done.message}`);
    await waitFor(() => routeZeroAt !== undefined, 'the route at 0%', 10_000, 20);
    // Answers already in flight when the route changed still arrive: wait a moment for the last of them.
    await new Promise((res) => setTimeout(res, 1000));
    const after = responses.slice(from).filter((x) => x.revision === canary && x.at >= t0);
    const lastAt = after.reduce((m, x) => Math.max(m, x.at), t0);
    const reaction: Reaction = {
      ...c,
      routeZeroSeconds: ((routeZeroAt as number) - t0) / 1000,
      lastCanaryAnswerSeconds: (lastAt - t0) / 1000,
      badAnswers: after.filter((x) => (x.status ?? 0) >= 500).length,
      reason: done.rollback?.reason ?? '',
    };
    return { kind: 'reaction', reaction };
  } finally {
    watch.stop();
  }
}

export async function runReactionBench(quick: boolean, args: readonly string[] = []): Promise<void> {
  const flag = args.find((a) => a.startsWith('--scrape='));
  const scrapeSeconds = flag ? Number(flag.slice('--scrape='.length)) : DEFAULT_SCRAPE_SECONDS;
  if (!Number.isInteger(scrapeSeconds) || scrapeSeconds < 1 || scrapeSeconds > 60)
    throw new Error(`--scrape: expected whole seconds from 1 to 60, got "${flag}"`);
  const configs = flag ? CONFIGS.filter((c) => c.intervalSeconds === 5) : CONFIGS;
  const warmupMs = Math.max(WARMUP_MS, 3 * scrapeSeconds * 1000);
  const name = flag ? `reaction-scrape${scrapeSeconds}` : 'reaction';
  const odds: FalseRollbackSetting = {
    ratePerSecond: RATE_PER_SECOND,
    canaryShare: CANARY_WEIGHT / 100,
    errorRate: BASE_ERROR_RATE,
    maxRatio: MAX_RATIO,
    alpha: ALPHA,
    analysisSeconds: ANALYSIS_MINUTES * 60,
    runs: quick ? 500 : 5000,
  };
  const oddsRates = falseRollbackRates(odds, configs);
  const dir = mkdtempSync(join(tmpdir(), 'ramp-bench-reaction-'));
  const sb = await Sandbox.start({ dir, logger: silentLogger(), scrapeIntervalSeconds: scrapeSeconds });
  const prefix = `bench-reaction-${Date.now()}`;
  const engine = sandboxEngine(sb, prefix);
  const worker = new RampWorker({
    deps: engine.deps,
    connection: engine.workerConnection(),
    prefix,
    queueName: prefix,
  });
  worker.start();
  const responses: ResponseEvent[] = [];
  let load: LoadGenerator | undefined;
  try {
    sb.registry.ensureNamespace(NS);
    sb.registry.create(resource('httproutes'), NS, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'checkout', namespace: NS },
      spec: { hostnames: [HOST], rules: [{ backendRefs: [{ name: 'checkout', port: 80 }] }] },
    });
    const first = await untilPhase(
      engine.deps,
      (await createRollout(engine.deps, plan('v1', configs[0], [{ setWeight: CANARY_WEIGHT }]))).id,
      ['Succeeded'],
    );
    if (first.phase !== 'Succeeded') throw new Error('first deploy failed');
    load = new LoadGenerator({
      url: sb.urls.gateway,
      host: HOST,
      ratePerSecond: RATE_PER_SECOND,
      seed: 17,
      arrivals: 'poisson',
      onResponse: (e) => responses.push(e),
    });
    load.start();
    const runsFlag = args.find((a) => a.startsWith('--runs='));
    const runs = runsFlag ? Number(runsFlag.slice('--runs='.length)) : quick ? 1 : 10;
    if (!Number.isInteger(runs) || runs < 1)
      throw new Error(`--runs: expected a positive whole number, got "${runsFlag}"`);
    const rng = createRng(20261204);
    const results: Reaction[] = [];
    const falseRollbacks: (Config & { reason: string })[] = [];
    let version = 2;
    // Configurations take turns, so a slow patch of the machine does not land on one of them only.
    for (let i = 0; i < runs; i++) {
      for (const c of configs) {
        for (let tries = 0; ; tries++) {
          const out = await injectAndMeasure(sb, engine.deps, warmupMs, c, `v${version++}`, responses, rng);
          // Old answers are no longer needed; keep memory flat.
          responses.length = 0;
          if (out.kind === 'reaction') {
            results.push(out.reaction);
            process.stderr.write(
              `[reaction] ${label(c)}: ${out.reaction.routeZeroSeconds.toFixed(2)} s, ${out.reaction.badAnswers} bad answers\n`,
            );
            break;
          }
          falseRollbacks.push({ ...c, reason: out.reason });
          process.stderr.write(`[reaction] ${label(c)}: rolled back before the injection (${out.reason})\n`);
          if (tries + 1 >= MAX_FALSE_ROLLBACKS)
            throw new Error(`${label(c)}: ${MAX_FALSE_ROLLBACKS} rollbacks before the injection in a row`);
        }
      }
    }
    const rows: BenchRow[] = configs.flatMap((c, i) => {
      const mine = results.filter(sameConfig(c));
      const note = `${mine.length} run(s), median`;
      return [
        {
          metric: `${label(c)}: seconds from injection to 0% canary weight in the route`,
          value: median(mine.map((x) => x.routeZeroSeconds)),
          unit: 's',
          note,
        },
        {
          metric: `${label(c)}: seconds from injection to the last canary answer`,
          value: median(mine.map((x) => x.lastCanaryAnswerSeconds)),
          unit: 's',
          note,
        },
        {
          metric: `${label(c)}: bad answers from the canary after injection`,
          value: median(mine.map((x) => x.badAnswers)),
          unit: 'responses',
          note,
        },
        {
          metric: `${label(c)}: false rollbacks before the injection`,
          value: falseRollbacks.filter(sameConfig(c)).length,
          unit: 'rollouts',
          note: `of ${mine.length} + these; both versions at ${BASE_ERROR_RATE * 100}% errors for ≥ ${warmupMs / 1000} s`,
        },
        {
          metric: `${label(c)}: false-rollback rate of identical versions in ${ANALYSIS_MINUTES} min of analysis`,
          value: oddsRates[i] * 100,
          unit: '%',
          note: `offline, ${odds.runs} seeded runs at this traffic`,
        },
      ];
    });
    writeResults(name, rows, {
      quick,
      setting: {
        scrapeIntervalSeconds: scrapeSeconds,
        ratePerSecond: RATE_PER_SECOND,
        canaryWeight: CANARY_WEIGHT,
        baseErrorRate: BASE_ERROR_RATE,
        badErrorRate: BAD_ERROR_RATE,
        analysisIntervals: [...new Set(configs.map((c) => `${c.intervalSeconds}s`))],
        maxRatio: MAX_RATIO,
        warmupSeconds: warmupMs / 1000,
        injectionPhase: 'seeded uniform within the interval',
      },
      runs: results,
      falseRollbacks,
      falseRollbackOdds: { ...odds, rates: configs.map((c, i) => ({ ...c, rate: oddsRates[i] })) },
    });
  } finally {
    await load?.stop();
    await worker.close(true);
    await engine.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
