/**
 * The judgement benchmark (`npm run bench -- judgement [--quick]`): seeded synthetic traffic fed to
 * Ramp's sequential judge, to threshold judges configured like Flagger's defaults and Argo Rollouts'
 * documented example, to the same threshold judge with its floor tuned to a 1% false-rollback rate,
 * and to Wald's SPRT knowing the true rates. Writes bench/results/judgement.{json,md}.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SCENARIOS, type Scenario } from './judgement/scenarios';
import { JUDGES, emptyTally, mergeTally, type JudgeName, type Matched, type Tally } from './judgement/runner';
import { calibrate, calibrationKey } from './judgement/calibrate';
import type { Task } from './judgement/worker';
import { writeJudgementResults } from './judgement/results';
import { matchedByHorizon } from './judgement/horizons';

/** Analysis lengths the matched judge's blast radius is also shown for. */
const HORIZONS = [15, 30, 60, 120, 240];

const FULL_RUNS = 10_000;
const QUICK_RUNS = 1_000;
const CHUNK = 500;

/** Runs every task on a pool of worker threads, one per CPU. */
async function runTasks(
  tasks: Task[],
  onResult: (task: Task, tallies: Record<JudgeName, Tally>) => void,
): Promise<void> {
  const size = Math.max(1, Math.min(cpus().length, tasks.length));
  const queue = [...tasks];
  const workers = Array.from({ length: size }, () => new Worker(join(__dirname, 'judgement', 'worker.js')));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const next = () => {
              const t = queue.shift();
              if (t) w.postMessage(t);
              else resolve();
            };
            w.on('message', (m: { task: Task; tallies: Record<JudgeName, Tally> }) => {
              onResult(m.task, m.tallies);
              next();
            });
            w.on('error', reject);
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function runJudgementBench(quick: boolean): Promise<void> {
  const runs = quick ? QUICK_RUNS : FULL_RUNS;
  const started = Date.now();
  const calibrations = new Map<string, ReturnType<typeof calibrate>>();
  for (const s of SCENARIOS)
    if (!calibrations.has(calibrationKey(s))) calibrations.set(calibrationKey(s), calibrate(s, runs));
  const matched = (s: Scenario): Matched => calibrations.get(calibrationKey(s)) as Matched;
  const tasks: Task[] = SCENARIOS.flatMap((s) =>
    Array.from({ length: Math.ceil(runs / CHUNK) }, (_, i) => ({
      scenario: s.name,
      matched: matched(s),
      from: i * CHUNK,
      to: Math.min(runs, (i + 1) * CHUNK),
    })),
  );
  const totals = new Map<string, Record<JudgeName, Tally>>(
    SCENARIOS.map((s) => [
      s.name,
      Object.fromEntries(JUDGES.map((j) => [j, emptyTally()])) as Record<JudgeName, Tally>,
    ]),
  );
  await runTasks(tasks, (task, tallies) => {
    const into = totals.get(task.scenario) as Record<JudgeName, Tally>;
    for (const j of JUDGES) into[j] = mergeTally(into[j], tallies[j]);
  });
  const byName = (n: string) => SCENARIOS.find((s) => s.name === n) as Scenario;
  const horizons = matchedByHorizon(byName('identical'), byName('2x'), runs, HORIZONS);
  writeJudgementResults({
    runs,
    quick,
    seconds: (Date.now() - started) / 1000,
    totals,
    calibrations: Object.fromEntries(calibrations),
    horizons,
  });
}
