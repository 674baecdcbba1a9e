/**
 * The judgement benchmark's figures per judge and scenario, the checks on them, and the files:
 * bench/results/judgement.json and a Markdown table beside it.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { resultsDir } from '../report';
import { latencyCdf } from './traffic';
import {
  ALPHA,
  BUCKETS,
  HORIZON_MIN,
  INTERVAL_S,
  P0,
  SCENARIOS,
  SHARE,
  STABLE_LATENCY,
  type Scenario,
} from './scenarios';
import { JUDGES, oracleBoundary, type JudgeName, type Tally } from './runner';
import { sprtExpectedRequests } from './sprt';
import type { HorizonRow } from './horizons';
import { DEFAULT_BETA, DEFAULT_MIN_EXPOSURE } from '../../src/analysis/judges/sequentialSettings';

export interface JudgeFigures {
  runs: number;
  rollbackRate: number;
  decidedRate: number;
  meanCanaryRequestsToDecision: number;
  meanCanaryRequestsToRollback: number | null;
  meanCanaryErrorsBeforeRollback: number | null;
  ratioToSprt: number | null;
  ratioToSprtFormula: number | null;
}

function figures(t: Tally, sprt: Tally, formula: number | null): JudgeFigures {
  const toDecision = t.requestsToDecision / t.runs;
  const sprtToDecision = sprt.requestsToDecision / sprt.runs;
  return {
    runs: t.runs,
    rollbackRate: t.rollbacks / t.runs,
    decidedRate: t.decided / t.runs,
    meanCanaryRequestsToDecision: toDecision,
    meanCanaryRequestsToRollback: t.rollbacks ? t.requestsToRollback / t.rollbacks : null,
    meanCanaryErrorsBeforeRollback: t.rollbacks ? t.errorsBeforeRollback / t.rollbacks : null,
    ratioToSprt: sprtToDecision > 0 ? toDecision / sprtToDecision : null,
    ratioToSprtFormula: formula ? toDecision / formula : null,
  };
}

/** Wald's formula for the oracle SPRT, where the truth is one of its two hypotheses and rates are constant. */
export function sprtFormula(s: Scenario): number | null {
  const m = s.metric;
  if (m.kind === 'errors') {
    if (s.name === 'spike' || s.name === 'ramp') return null;
    const ratio = s.canaryErrorRate(0) / P0;
    const p1 = Math.max(ratio, m.maxRatio) * P0;
    if (ratio === 1) return sprtExpectedRequests(P0, p1, 'p0', ALPHA);
    return ratio >= m.maxRatio ? sprtExpectedRequests(P0, p1, 'p1', ALPHA) : null;
  }
  const x = oracleBoundary(m.quantile);
  const p0 = 1 - latencyCdf(STABLE_LATENCY, x);
  const canary = 1 - latencyCdf(s.canaryLatency, x);
  const p1 = Math.max(canary, 1 - latencyCdf(STABLE_LATENCY, x / m.maxRatio));
  if (!s.regression) return sprtExpectedRequests(p0, p1, 'p0', ALPHA);
  return canary >= p1 ? sprtExpectedRequests(p0, p1, 'p1', ALPHA) : null;
}

interface Check {
  check: string;
  value: number | null;
  target: string;
  ok: boolean;
}

function checks(f: Record<string, Record<JudgeName, JudgeFigures>>): Check[] {
  const seq = (s: string) => f[s].sequential;
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null ? null : b === 0 ? (a > 0 ? Infinity : null) : a / b;
  const out: Check[] = [];
  for (const s of ['identical', 'spike', 'ramp', 'identical-60rpm'])
    out.push({
      check: `sequential false-rollback rate, ${s}`,
      value: seq(s).rollbackRate,
      target: '≤ 0.01',
      ok: seq(s).rollbackRate <= 0.01,
    });
  out.push({
    check: 'sequential power at 2×',
    value: seq('2x').rollbackRate,
    target: '≥ 0.95',
    ok: seq('2x').rollbackRate >= 0.95,
  });
  const r = seq('2x').ratioToSprt;
  out.push({
    check: 'sequential ratioToSprt at 2× (mean canary requests to decision / SPRT simulated)',
    value: r,
    target: '≤ 1.5 (aim 1.3)',
    ok: r !== null && r <= 1.5,
  });
  const blast = ratio(f['2x'].matched.meanCanaryErrorsBeforeRollback, seq('2x').meanCanaryErrorsBeforeRollback);
  out.push({
    check: 'canary errors before rollback at 2×, 6,000 req/min: matched-alpha threshold / sequential',
    value: blast,
    target: '≥ 4',
    ok: blast !== null && blast >= 4,
  });
  for (const s of ['identical', 'identical-60rpm']) {
    const x = ratio(f[s].flagger.rollbackRate, seq(s).rollbackRate);
    out.push({
      check: `false-rollback rate, Flagger-style / sequential, ${s}`,
      value: x,
      target: '≥ 10',
      ok: x !== null && x >= 10,
    });
  }
  return out;
}

const fmt = (x: number | null, digits = 3): string =>
  x === null || Number.isNaN(x)
    ? '—'
    : !Number.isFinite(x)
      ? '∞'
      : Math.abs(x) >= 100
        ? x.toFixed(0)
        : x.toPrecision(digits);

const JUDGE_TITLES: Record<JudgeName, string> = {
  sequential: 'Ramp sequential',
  flagger: 'Flagger-style (≥ 99%, 1 m, 5 checks)',
  argo: 'Argo example (≥ 95%, 5 m, failureLimit 3)',
  matched: 'threshold, matched alpha',
  sprt: "Wald's SPRT (knows p0, p1)",
};

interface Calibration {
  floor: number;
  latencyBound: number;
  falseRollbackRate: number;
  runs: number;
}

function horizonLines(horizons: readonly HorizonRow[], sequentialErrors: number | null): string[] {
  return [
    '',
    `## Blast radius at 2×, 6,000 req/min, by analysis length`,
    '',
    `The matched-alpha threshold judge re-tuned for each length (1% false rollbacks of identical versions within it); the sequential judge's figure (${fmt(sequentialErrors)} canary errors) holds for any length.`,
    '',
    '| analysis length (min) | tuned floor | false-rollback rate (calibration) | rollback rate at 2× | canary errors before rollback | ratio to sequential |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...horizons.map(
      (h) =>
        `| ${h.horizonMinutes} | ${fmt(h.floor, 5)} | ${fmt(h.calibrationFalseRollbackRate)} | ${fmt(h.rollbackRate)} | ${fmt(h.meanCanaryErrorsBeforeRollback)} | ${fmt(h.meanCanaryErrorsBeforeRollback !== null && sequentialErrors ? h.meanCanaryErrorsBeforeRollback / sequentialErrors : null)} |`,
    ),
  ];
}

function markdown(
  meta: Record<string, unknown>,
  f: Record<string, Record<JudgeName, JudgeFigures>>,
  formula: Record<string, number | null>,
  cs: Check[],
  calibrations: Record<string, Calibration>,
  horizons: readonly HorizonRow[],
): string {
  const lines = [
    '# judgement benchmark',
    '',
    `${meta.date as string}, Node ${meta.node as string}, ${meta.cpus as number} CPUs, ${meta.runs as number} runs per scenario${meta.quick ? ' (quick)' : ''}, ${fmt(meta.seconds as number)} s. Rerun: \`npm run bench -- judgement\` (\`--quick\`: ${1000} runs).`,
    '',
    `Setting: stable error rate ${P0 * 100}%, canary share ${SHARE * 100}%, alpha ${ALPHA}, β ${DEFAULT_BETA}, judged every ${INTERVAL_S} s, at most ${HORIZON_MIN} min of analysis per run (threshold judges promote at the end; sequential and SPRT runs undecided by then count as not rolled back, with the requests served so far). The Flagger-style and matched judges roll back at the tick after their 5th failed check, as Flagger does (it compares failedChecks with the threshold before running a tick's analysis); the Argo example as its 4th check fails. errorRate maxRatio 2; sequential minimum exposure ${DEFAULT_MIN_EXPOSURE} canary requests. Latency buckets: the demo app's (${BUCKETS.length}); stable latency lognormal, median 45 ms, shape 0.6.`,
    '',
    '## Checks from the issue',
    '',
    '| check | value | target | |',
    '| --- | ---: | --- | --- |',
    ...cs.map((c) => `| ${c.check} | ${fmt(c.value)} | ${c.target} | ${c.ok ? 'ok' : '**no**'} |`),
    '',
    '## Per scenario and judge',
    '',
    "Rollback rate is the false-rollback rate where versions are identical and the power where the canary regressed. Requests and errors are the canary's.",
    '',
    '| scenario | judge | rollback rate | decided | requests to decision | requests to rollback | errors before rollback | ratio to SPRT (sim) | ratio to SPRT (formula) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of SCENARIOS) {
    for (const j of JUDGES) {
      const x = f[s.name][j];
      lines.push(
        `| ${s.name} | ${JUDGE_TITLES[j]} | ${fmt(x.rollbackRate, 4)} | ${fmt(x.decidedRate)} | ${fmt(x.meanCanaryRequestsToDecision)} | ${fmt(x.meanCanaryRequestsToRollback)} | ${fmt(x.meanCanaryErrorsBeforeRollback)} | ${fmt(x.ratioToSprt)} | ${fmt(x.ratioToSprtFormula)} |`,
      );
    }
  }
  lines.push('', '## Scenarios', '', '| scenario | what | SPRT expected requests (Wald) |', '| --- | --- | ---: |');
  for (const s of SCENARIOS) lines.push(`| ${s.name} | ${s.description} | ${fmt(formula[s.name])} |`);
  lines.push(
    '',
    '## Matched-alpha threshold settings (tuned on identical versions, separate seeds)',
    '',
    '| traffic and metric | floor (errors) | ratio bound (latency) | false-rollback rate on calibration |',
    '| --- | ---: | ---: | ---: |',
  );
  for (const [k, c] of Object.entries(calibrations))
    lines.push(
      `| ${k} | ${c.floor ? fmt(c.floor, 5) : '—'} | ${Number.isFinite(c.latencyBound) ? fmt(c.latencyBound, 4) : '—'} | ${fmt(c.falseRollbackRate)} |`,
    );
  lines.push(...horizonLines(horizons, f['2x'].sequential.meanCanaryErrorsBeforeRollback), '');
  return lines.join('\n');
}

export function writeJudgementResults(r: {
  runs: number;
  quick: boolean;
  seconds: number;
  totals: Map<string, Record<JudgeName, Tally>>;
  calibrations: Record<string, Calibration>;
  horizons: HorizonRow[];
}): void {
  const formula: Record<string, number | null> = Object.fromEntries(SCENARIOS.map((s) => [s.name, sprtFormula(s)]));
  const f: Record<string, Record<JudgeName, JudgeFigures>> = {};
  for (const s of SCENARIOS) {
    const t = r.totals.get(s.name) as Record<JudgeName, Tally>;
    f[s.name] = Object.fromEntries(JUDGES.map((j) => [j, figures(t[j], t.sprt, formula[s.name])])) as Record<
      JudgeName,
      JudgeFigures
    >;
    // Latency scenarios draw no errors: there is no blast radius in errors to show.
    if (s.metric.kind === 'latency') for (const j of JUDGES) f[s.name][j].meanCanaryErrorsBeforeRollback = null;
  }
  const cs = checks(f);
  const meta = {
    benchmark: 'judgement',
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    runs: r.runs,
    quick: r.quick,
    seconds: r.seconds,
  };
  const setting = {
    p0: P0,
    share: SHARE,
    alpha: ALPHA,
    beta: DEFAULT_BETA,
    intervalSeconds: INTERVAL_S,
    horizonMinutes: HORIZON_MIN,
    minExposure: DEFAULT_MIN_EXPOSURE,
  };
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const scenarios = SCENARIOS.map((s) => ({
    name: s.name,
    description: s.description,
    rpm: s.rpm,
    metric: s.metric,
    sprtExpectedRequests: formula[s.name],
    judges: f[s.name],
  }));
  writeFileSync(
    join(dir, 'judgement.json'),
    JSON.stringify(
      { ...meta, setting, checks: cs, calibrations: r.calibrations, matchedByHorizon: r.horizons, scenarios },
      null,
      2,
    ) + '\n',
  );
  const md = markdown(meta, f, formula, cs, r.calibrations, r.horizons);
  writeFileSync(join(dir, 'judgement.md'), md);
  process.stdout.write(md + '\n');
}
