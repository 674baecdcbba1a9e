/** `npm run bench -- <name> [--quick]`: runs one benchmark (or all) and writes bench/results/. */
import { runSandboxBench } from './sandbox';
import { memoryProbe, runControlPlanesBench } from './controlPlanes';
import { runEngineBench } from './engine';
import { runApiBench } from './api';
import { runApiAbuseBench } from './apiAbuse';
import { runApiFuzzBench } from './apiFuzz';
import { runJudgementBench } from './judgement';
import { runReactionBench } from './reaction';
import { runStrategiesBench } from './strategies';
import { runNotificationsBench } from './notifications';
import { ProcessTracker } from '@ramp/sandbox';

const BENCHES: Record<string, (quick: boolean, args: readonly string[]) => Promise<void>> = {
  sandbox: runSandboxBench,
  'control-planes': runControlPlanesBench,
  engine: runEngineBench,
  api: runApiBench,
  'api-abuse': runApiAbuseBench,
  'api-fuzz': runApiFuzzBench,
  judgement: runJudgementBench,
  reaction: runReactionBench,
  strategies: runStrategiesBench,
  notifications: runNotificationsBench,
};

// Sandboxes' pods, Prometheus and Redis are detached processes: on Ctrl-C or a kill they would outlive
// the benchmark, so they go with it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const killed = ProcessTracker.killStartedHere();
    process.stderr.write(`bench: ${signal}, stopped ${killed} sandbox process(es)\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // The control-planes benchmark measures memory in a child process of its own.
  if (args[0] === 'control-planes-memory')
    return memoryProbe(args[1] === 'kubernetes' ? 'kubernetes' : 'home-made', Number(args[2]));
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHES[n]);
  if (unknown.length) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  for (const n of names.length ? names : Object.keys(BENCHES)) await BENCHES[n](quick, args);
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
