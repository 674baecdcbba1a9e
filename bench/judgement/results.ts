/**
 * The judgement benchmark's figures per judge and scenario, the issue's checks on them, and the files:
 * bench/results/judgement.json, a Markdown report beside it and the rollback-probability curve
 * (judgement-curve.svg).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { resultsDir } from '../report';
import {
  ALPHA,
  DETECT_INCREASE,
  DETECT_RATIO,
  HISTORY_MIN,
  HORIZON_MIN,
  LOOK_S,
  MAX_INCREASE,
  MAX_RATIO,
  P0,
  SCENARIOS,
  SHARE,
  SWEEP,
  type Scenario,
} from './scenarios';
import { JUDGES, sprtRates, type JudgeName, type Tally } from './runner';
import { sprtExpectedRequests } from './sprt';
import { curveSvg, type CurveSeries } from './curve';
import { DEFAULT_BETA, DEFAULT_MIN_EXPOSURE } from '../../src/analysis/judges/sequentialSettings';

export interface JudgeFigures {
  runs: number;
  rollbackRate: number;
  decidedRate: number;
  medianMinutesToDecision: number;
  medianMinutesToPass: number | null;
  medianMinutesToRollback: number | null;
  meanCanaryRequestsToRollback: number | null;
  meanCanaryErrorsBeforeRollback: number | null;
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function figures(t: Tally): JudgeFigures {
  return {
    runs: t.runs,
    rollbackRate: t.rollbacks / t.runs,
    decidedRate: t.decided / t.runs,
    medianMinutesToDecision: median(t.minutes) ?? Infinity,
    medianMinutesToPass: median(t.passMinutes),
    medianMinutesToRollback: median(t.rollbackMinutes),
    meanCanaryRequestsToRollback: t.rollbacks ? t.requestsToRollback / t.rollbacks : null,
    meanCanaryErrorsBeforeRollback: t.rollbacks ? t.errorsBeforeRollback / t.rollbacks : null,
  };
}

/** Wald's formula for the SPRT of the judge's hypotheses, where the truth is one of them and rates are constant. */
export function sprtFormula(s: Scenario): number | null {
  if (s.metric.kind !== 'errors' || s.name === 'spike' || s.name === 'ramp') return null;
  const r = sprtRates(s);
  const p0 = r.p0(0);
  const p1 = r.p1(0);
  const canary = s.canaryErrorRate(0);
  if (Math.abs(canary - p1) < 1e-12) return sprtExpectedRequests(p0, p1, 'p1', ALPHA);
  if (Math.abs(canary - p0) < 1e-12) return sprtExpectedRequests(p0, p1, 'p0', ALPHA);
  return null;
}

interface Check {
  check: string;
  value: string;
  target: string;
  ok: boolean;
}

const fmt = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || Number.isNaN(x)
    ? '—'
    : !Number.isFinite(x)
      ? '∞'
      : Math.abs(x) >= 100
        ? x.toFixed(0)
        : x.toPrecision(digits);
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;

type Figures = Record<string, Record<JudgeName, JudgeFigures>>;

function checks(f: Figures, only: readonly Scenario[]): Check[] {
  const seq = (s: string) => f[s]?.sequential;
  const out: Check[] = [];
  const tolerated = only.filter((s) => s.truth === 'tolerated');
  const worst = tolerated.reduce<Scenario | undefined>(
    (a, s) => (a === undefined || seq(s.name).rollbackRate > seq(a.name).rollbackRate ? s : a),
    undefined,
  );
  const over = tolerated.filter((s) => seq(s.name).rollbackRate > ALPHA);
  out.push({
    check: `false rollbacks in every tolerated scenario (${tolerated.length}: true ratio ≤ maxRatio or within maxIncrease)`,
    value: worst
      ? `max ${pct(seq(worst.name).rollbackRate)} (${worst.name})${over.length ? `; over: ${over.map((s) => s.name).join(', ')}` : ''}`
      : '—',
    target: '≤ 1% each',
    ok: over.length === 0,
  });
  if (seq('r2.0')) {
    out.push({
      check: `power at detectRatio (${DETECT_RATIO}×)`,
      value: pct(seq('r2.0').rollbackRate),
      target: '≥ 95%',
      ok: seq('r2.0').rollbackRate >= 0.95,
    });
    const ratio =
      (seq('r2.0').meanCanaryRequestsToRollback ?? NaN) / (f['r2.0'].sprt.meanCanaryRequestsToRollback ?? NaN);
    out.push({
      check: `canary requests to rollback at 2×, Ramp / Wald's SPRT of the same hypotheses (${fmt(seq('r2.0').meanCanaryRequestsToRollback)} / ${fmt(f['r2.0'].sprt.meanCanaryRequestsToRollback)})`,
      value: fmt(ratio),
      target: '≤ 1.5',
      ok: ratio <= 1.5,
    });
  }
  for (const s of [30, 60]) {
    for (const x of ['1.0', '5.0']) {
      const name = `scrape${s}s-r${x}`;
      if (!seq(name)) continue;
      const undecided = 1 - seq(name).decidedRate;
      out.push({
        check: `undecided, ${s} s scrapes, ${x}×`,
        value: pct(undecided),
        target: '≤ 1%',
        ok: undecided <= 0.01,
      });
    }
    const five = seq(`scrape${s}s-r5.0`);
    if (five)
      out.push({
        check: `5× rolled back, ${s} s scrapes`,
        value: pct(five.rollbackRate),
        target: '≥ 99%',
        ok: five.rollbackRate >= 0.99,
      });
  }
  for (const name of ['p0-0-identical', 'p0-0.1%-identical']) {
    if (!seq(name)) continue;
    const m = seq(name).medianMinutesToDecision;
    out.push({
      check: `median minutes to pass, ${name} (600 req/min, 10% share)`,
      value: fmt(m),
      target: '≤ 10',
      ok: m <= 10,
    });
    out.push({
      check: `false rollbacks, ${name}`,
      value: pct(seq(name).rollbackRate),
      target: '≤ 1%',
      ok: seq(name).rollbackRate <= 0.01,
    });
  }
  return out;
}

const JUDGE_TITLES: Record<JudgeName, string> = {
  sequential: 'Ramp sequential',
  plain: 'Ramp, no pod/dispersion allowance',
  flagger: 'Flagger-style (≥ 99%, 1 m, 5 checks)',
  argo: 'Argo example (≥ 95%, 5 m, failureLimit 3)',
  sprt: "Wald's SPRT (knows the stable's rate)",
};

const GROUP_TITLES: Record<string, string> = {
  ratios: 'True ratios (base: 9 stable pods + 1 canary pod, 5 s scrapes)',
  scrapes: 'Scrape intervals (per-pod phases)',
  pods: 'Pods that differ (9 stable pods; CV of the per-pod multiplier)',
  bursts: 'Rates that move over time',
  rare: 'Rare errors and low traffic',
  combined: 'All at once',
  latency: 'Latency (1 pod each, 5 s scrapes)',
};

function groupTable(
  group: string,
  f: Figures,
  formula: Record<string, number | null>,
  only: readonly Scenario[],
): string[] {
  const lines = [
    '',
    `### ${GROUP_TITLES[group] ?? group}`,
    '',
    '| scenario | truth | judge | rollback rate | decided | median min to decision | median min to pass | mean canary requests to rollback | ÷ SPRT |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of only.filter((x) => x.group === group)) {
    for (const j of JUDGES) {
      const x = f[s.name][j];
      const sprt = f[s.name].sprt.meanCanaryRequestsToRollback;
      const ratio = x.meanCanaryRequestsToRollback !== null && sprt ? x.meanCanaryRequestsToRollback / sprt : null;
      lines.push(
        `| ${s.name} | ${s.truth} | ${JUDGE_TITLES[j]} | ${fmt(x.rollbackRate, 4)} | ${fmt(x.decidedRate)} | ${fmt(x.medianMinutesToDecision)} | ${fmt(x.medianMinutesToPass)} | ${fmt(x.meanCanaryRequestsToRollback)} | ${fmt(ratio)} |`,
      );
    }
  }
  void formula;
  return lines;
}

/** What the allowances for pods and dispersion cost at 2× (and what their absence costs where they are needed). */
function costLines(f: Figures): string[] {
  const rows: [string, string][] = [
    ['base (5 s, no spread)', 'r2.0'],
    ['60 s scrapes', 'scrape60s-r2.0'],
    ['pods CV 0.25, 1 canary pod', 'spread0.25-c1-r2.0'],
    ['pods CV 0.25, 2 canary pods', 'spread0.25-c2-r2.0'],
    ['pods CV 0.5, 1 canary pod', 'spread0.5-c1-r2.0'],
    ['pods CV 0.5, 2 canary pods', 'spread0.5-c2-r2.0'],
    ['per-version bursts CV 0.5', 'burst-perVersion0.5-r2.0'],
    ['per-version bursts CV 1', 'burst-perVersion1-r2.0'],
  ];
  const lines = [
    '',
    '## What the allowances for pods that differ and rates that move cost at 2×',
    '',
    'The same judge with the pod-spread bound and the dispersion held at 1 ("no allowance") beside it: at 2× its canary requests to rollback, and at the tolerance (1.5×, where a rollback is false) its rollback rate.',
    '',
    '| setting | power at 2×: with / without | canary requests to rollback at 2×: with / without (ratio) | false rollbacks at 1.5×: with / without |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [title, name] of rows) {
    const x = f[name];
    const tol = f[name.replace(/r2\.0$/, 'r1.5')];
    if (!x) continue;
    const w = x.sequential.meanCanaryRequestsToRollback;
    const wo = x.plain.meanCanaryRequestsToRollback;
    lines.push(
      `| ${title} | ${pct(x.sequential.rollbackRate)} / ${pct(x.plain.rollbackRate)} | ${fmt(w)} / ${fmt(wo)} (${fmt(w !== null && wo ? w / wo : null)}) | ${tol ? `${pct(tol.sequential.rollbackRate)} / ${pct(tol.plain.rollbackRate)}` : '—'} |`,
    );
  }
  return lines;
}

/** The curves: rollback probability against the true ratio, per setting. */
function curves(f: Figures): CurveSeries[] {
  const pick = (title: string, names: (x: number) => string, judge: JudgeName = 'sequential'): CurveSeries => ({
    title,
    points: SWEEP.map((x) => ({ x, name: names(x) }))
      .filter((p) => f[p.name])
      .map((p) => ({ x: p.x, y: f[p.name][judge].rollbackRate })),
  });
  const r = (x: number) => `r${x.toFixed(1)}`;
  return [
    pick('Ramp, 5 s scrapes', r),
    pick('Ramp, 60 s scrapes', (x) => `scrape60s-${r(x)}`),
    pick('Ramp, pods CV 0.5, 2 canary pods', (x) => `spread0.5-c2-${r(x)}`),
    pick('Ramp, pods CV 0.5, 1 canary pod', (x) => `spread0.5-c1-${r(x)}`),
    pick('Ramp, per-version bursts CV 1', (x) => `burst-perVersion1-${r(x)}`),
    pick("Wald's SPRT (knows the stable's rate)", r, 'sprt'),
    pick('Flagger-style', r, 'flagger'),
  ].filter((c) => c.points.length > 1);
}

function curveTable(series: readonly CurveSeries[]): string[] {
  const lines = [
    '',
    '## Rollback probability by true ratio (maxRatio 1.5, detectRatio 2)',
    '',
    '![rollback probability by true ratio](judgement-curve.svg)',
    '',
    `| setting | ${SWEEP.map((x) => `${x}×`).join(' | ')} |`,
    `| --- | ${SWEEP.map(() => '---:').join(' | ')} |`,
  ];
  for (const c of series)
    lines.push(
      `| ${c.title} | ${SWEEP.map((x) => c.points.find((p) => p.x === x))
        .map((p) => (p ? pct(p.y) : '—'))
        .join(' | ')} |`,
    );
  return lines;
}

export interface Outlook {
  /** The judge's own estimate, 10 minutes in, of the minutes a pass still needs (median over runs), and what it took. */
  predictedMinutes: number | null;
  actualMinutes: number | null;
}

function markdown(
  meta: Record<string, unknown>,
  f: Figures,
  formula: Record<string, number | null>,
  cs: Check[],
  series: CurveSeries[],
  only: readonly Scenario[],
  outlook: Outlook | undefined,
): string {
  const lines = [
    '# judgement benchmark',
    '',
    `${meta.date as string}, Node ${meta.node as string}, ${meta.cpus as number} CPUs, ${meta.runs as number} runs per scenario${meta.quick ? ' (quick)' : ''}, ${fmt(meta.seconds as number)} s. Rerun: \`npm run bench -- judgement\` (\`--quick\`: 1000 runs; \`--runs=n\`, \`--only=a,b\`).`,
    '',
    `Setting: a cluster as Prometheus sees it (bench/judgement/scenarios.ts): 6,000 requests/min unless said, stable error rate ${P0 * 100}%, the canary at a ${SHARE * 100}% share on 1 pod beside 9 stable pods, each pod scraped every 5 s at its own phase unless said, Ramp looking every ${LOOK_S} s and cutting aligned windows (every pod scraped since the last window); the stable's last ${HISTORY_MIN} min as the baseline; alpha ${ALPHA}, β ${DEFAULT_BETA}, \`maxRatio: ${MAX_RATIO}\` (detectRatio ${DETECT_RATIO}, maxIncrease ${MAX_INCREASE * 100}%, detectIncrease ${DETECT_INCREASE * 100}% by default), minimum exposure ${DEFAULT_MIN_EXPOSURE} canary requests; at most ${HORIZON_MIN} min of analysis per run (threshold judges promote at the end; sequential and SPRT runs undecided by then count as not rolled back; minutes to a decision of an undecided run count as ∞ in medians). "truth": tolerated (a rollback is false), regression (at or beyond detectRatio/detectIncrease: a rollback is right), between (either is acceptable).`,
    '',
    '## Checks from the issue',
    '',
    '| check | value | target | |',
    '| --- | --- | --- | --- |',
    ...cs.map((c) => `| ${c.check} | ${c.value} | ${c.target} | ${c.ok ? 'ok' : '**no**'} |`),
    ...curveTable(series),
    ...costLines(f),
  ];
  if (outlook && f['rpm5-identical'])
    lines.push(
      '',
      '## Low traffic: what the judge says early',
      '',
      `At 5 requests/min (0.5 canary requests/min, scraped every 30 s), 10 minutes in, the judge's verdict says a pass of identical versions will come at minute ${fmt(outlook.predictedMinutes)} (median over runs); watched for up to ten days, it came at minute ${fmt(outlook.actualMinutes)} (median). Within the benchmark's hour its rollback rate is ${pct(f['rpm5-identical'].sequential.rollbackRate)} and ${pct(1 - f['rpm5-identical'].sequential.decidedRate)} of runs are undecided at ${HORIZON_MIN} min, where the verdict turns inconclusive (decideWithin, default 1 h) and the rollout follows onInconclusive.`,
    );
  lines.push('', '## Per scenario and judge', '', "Requests and errors are the canary's.");
  for (const g of [...new Set(only.map((s) => s.group))]) lines.push(...groupTable(g, f, formula, only));
  lines.push(
    '',
    '## Scenarios',
    '',
    '| scenario | what | truth | SPRT expected requests (Wald) |',
    '| --- | --- | --- | ---: |',
  );
  for (const s of only) lines.push(`| ${s.name} | ${s.description} | ${s.truth} | ${fmt(formula[s.name])} |`);
  lines.push('');
  return lines.join('\n');
}

export function writeJudgementResults(r: {
  runs: number;
  quick: boolean;
  seconds: number;
  totals: Map<string, Record<JudgeName, Tally>>;
  outlook?: Outlook;
  scenarios?: readonly Scenario[];
}): void {
  const only = r.scenarios ?? SCENARIOS;
  const formula: Record<string, number | null> = Object.fromEntries(only.map((s) => [s.name, sprtFormula(s)]));
  const f: Figures = {};
  for (const s of only) {
    const t = r.totals.get(s.name) as Record<JudgeName, Tally>;
    f[s.name] = Object.fromEntries(JUDGES.map((j) => [j, figures(t[j])])) as Record<JudgeName, JudgeFigures>;
    if (s.metric.kind === 'latency') for (const j of JUDGES) f[s.name][j].meanCanaryErrorsBeforeRollback = null;
  }
  const cs = checks(f, only);
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
    lookSeconds: LOOK_S,
    horizonMinutes: HORIZON_MIN,
    historyMinutes: HISTORY_MIN,
    maxRatio: MAX_RATIO,
    detectRatio: DETECT_RATIO,
    maxIncrease: MAX_INCREASE,
    detectIncrease: DETECT_INCREASE,
    minExposure: DEFAULT_MIN_EXPOSURE,
  };
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  const series = curves(f);
  const scenarios = only.map((s) => ({
    name: s.name,
    group: s.group,
    description: s.description,
    truth: s.truth,
    ratio: s.ratio,
    rpm: s.rpm,
    pods: s.pods,
    scrapeSeconds: s.scrapeS,
    bursts: s.bursts ?? null,
    metric: s.metric,
    sprtExpectedRequests: formula[s.name],
    judges: f[s.name],
  }));
  writeFileSync(
    join(dir, 'judgement.json'),
    JSON.stringify({ ...meta, setting, checks: cs, outlook: r.outlook ?? null, scenarios }, null, 2) + '\n',
  );
  writeFileSync(
    join(dir, 'judgement-curve.svg'),
    curveSvg(series, { maxRatio: MAX_RATIO, detectRatio: DETECT_RATIO, alpha: ALPHA }),
  );
  const md = markdown(meta, f, formula, cs, series, only, r.outlook);
  writeFileSync(join(dir, 'judgement.md'), md);
  process.stdout.write(md + '\n');
}
