/**
 * The judgement benchmark (`npm run bench -- judgement [--quick] [--only=a,b] [--runs=n]`): seeded synthetic
 * clusters (pods, scrapes, bursts: judgement/scenarios.ts) fed to Ramp's sequential judge, to the same
 * judge without its allowances for pods that differ and rates that move, to threshold judges configured
 * like Flagger's defaults and Argo Rollouts' documented example, and to Wald's SPRT of the same
 * hypotheses knowing the stable's rate. Writes bench/results/judgement.{json,md} and judgement-curve.svg.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SCENARIOS } from './judgement/scenarios';
import { JUDGES, emptyTally, mergeTally, type JudgeName, type Tally } from './judgement/runner';
import type { Task } from './judgement/worker';
import { writeJudgementResults } from './judgement/results';
import { lowTrafficOutlook } from './judgement/outlook';

const FULL_RUNS = 10_000;
const QUICK_RUNS = 1_000;
const CHUNK = 250;

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

export async function runJudgementBench(quick: boolean, args: readonly string[] = []): Promise<void> {
  const runsArg = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length));
  const runs = Number.isInteger(runsArg) && runsArg > 0 ? runsArg : quick ? QUICK_RUNS : FULL_RUNS;
  const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const scenarios = onlyArg ? SCENARIOS.filter((s) => onlyArg.split(',').includes(s.name)) : SCENARIOS;
  const started = Date.now();
  const tasks: Task[] = scenarios.flatMap((s) =>
    Array.from({ length: Math.ceil(runs / CHUNK) }, (_, i) => ({
      scenario: s.name,
      from: i * CHUNK,
      to: Math.min(runs, (i + 1) * CHUNK),
    })),
  );
  const totals = new Map<string, Record<JudgeName, Tally>>(
    scenarios.map((s) => [
      s.name,
      Object.fromEntries(JUDGES.map((j) => [j, emptyTally()])) as Record<JudgeName, Tally>,
    ]),
  );
  let done = 0;
  await runTasks(tasks, (task, tallies) => {
    const into = totals.get(task.scenario) as Record<JudgeName, Tally>;
    for (const j of JUDGES) if (tallies[j]) into[j] = mergeTally(into[j], tallies[j]);
    if (++done % 20 === 0)
      process.stderr.write(
        `judgement: ${done}/${tasks.length} chunks, ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
  });
  const outlook = scenarios.some((s) => s.name === 'rpm5-identical') ? lowTrafficOutlook(quick ? 20 : 100) : undefined;
  writeJudgementResults({ runs, quick, seconds: (Date.now() - started) / 1000, totals, outlook, scenarios });
}
