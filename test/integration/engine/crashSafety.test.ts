/**
 * Crash safety: 24 rollouts — canary, blue-green, rolling and gray, six of each, two good for every bad one —
 * run while a chaos loop kill -9s the worker processes at random (seeded) moments and starts them again.
 * Every rollout must end with the right outcome, and the API server's watch history must show the
 * invariants of DESIGN §6 held throughout, as each strategy states them: traffic never beyond the step
 * (canary and gray: the route's weight, gray's slice judged first; blue-green: the stable Service never on the new revision before the switch,
 * and only when it is at full size, ready; rolling: never fewer ready pods than replicas − maxUnavailable),
 * traffic back on stable before the new revision loses a pod, exactly one outcome, no step skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { reconcileJobId } from '../../../src/engine/queue';
import { createRollout } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import { createRng, LoadGenerator } from '@ramp/sandbox';
import { testRedisUrl } from '../../helpers/redis';
import { ClusterHistory, revisionOf } from '../../helpers/clusterHistory';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

const CLI = resolve(__dirname, '..', '..', '..', 'bin', 'ramp');
const APPS = 24;
const KINDS = ['canary', 'blueGreen', 'rolling', 'gray'] as const;
type Kind = (typeof KINDS)[number];
/** Pods per app: rolling needs two to have a batch before the last. */
const REPLICAS: Record<Kind, number> = { canary: 1, blueGreen: 1, rolling: 2, gray: 1 };
const METRICS = [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 10, judge: 'threshold' } }];

function distinct(xs: number[]): number[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

const kindOf = (i: number): Kind => KINDS[i % KINDS.length];
/** One in three of each kind is bad. */
const isBad = (i: number): boolean => Math.floor(i / KINDS.length) % 3 === 0;

function plan(ns: string, i: number, version: string, bad: boolean) {
  const kind = kindOf(i);
  const base = {
    namespace: ns,
    version,
    replicas: REPLICAS[kind],
    errorRate: bad ? 0.5 : 0,
    progressDeadline: '5m',
    metrics: version === 'v1' ? [] : METRICS,
  };
  if (kind === 'canary') return demoPlan({ ...base, steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }] });
  if (kind === 'gray' && version !== 'v1')
    return demoPlan({
      ...base,
      strategy: {
        gray: {
          router: { gatewayApi: { httpRoute: 'checkout' } },
          steps: [
            { setSlice: { matches: [{ header: { name: 'x-beta', value: '1' } }] } },
            { analyze: { min: '2s' } },
            { setWeight: 50 },
            { pause: { duration: '2s' } },
          ],
        },
      },
    });
  if (kind === 'gray') return demoPlan(base);
  if (kind === 'blueGreen')
    return demoPlan({
      ...base,
      strategy: {
        blueGreen:
          version === 'v1'
            ? {}
            : {
                previewTraffic: { service: {} },
                prePromotionAnalysis: { min: '2s' },
                autoPromote: { after: '1s' },
                scaleDownDelay: '2s',
              },
      },
    });
  return demoPlan({
    ...base,
    strategy: {
      rolling:
        version === 'v1'
          ? {}
          : { maxSurge: 1, maxUnavailable: 0, batches: [{ replicas: 1, analyze: { min: '2s' } }, 2] },
    },
  });
}

describe('crash safety', () => {
  let h: EngineHarness;
  const workers: (ChildProcess | undefined)[] = [undefined, undefined];
  /** When each worker said it started (undefined before): a kill before that would only test process start-up. */
  const upSince: (number | undefined)[] = [undefined, undefined];
  /** How long each worker works before it may be killed (drawn, seeded, as it starts). */
  const lifetime = [0, 0];
  const lives = createRng(7);
  let kills = 0;
  let chaos = false;

  function startWorker(i: number): void {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'worker',
        '--redis-url',
        testRedisUrl(),
        '--kubeconfig',
        h.sb.kubeconfigPath,
        '--prometheus-url',
        h.sb.urls.prometheus ?? '',
        '--prefix',
        h.prefix,
        '--queue',
        h.queueName,
        '--lock-duration',
        '3000',
        '--concurrency',
        '16',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } },
    );
    workers[i] = child;
    upSince[i] = undefined;
    lifetime[i] = 1000 + lives() * 7000;
    // Its logs go to stderr: read them all (a pipe left unread would block it), look for its start.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (workers[i] === child && upSince[i] === undefined && chunk.includes('worker started')) upSince[i] = Date.now();
    });
  }

  /** A rollout that did not end right: its phase, message and cluster, and the state of its reconcile job. */
  async function whereItIs(what: string, r: RolloutRecord): Promise<string> {
    const job = await h.deps.queue.queue.getJob(reconcileJobId(r.id, r.version));
    const state = job ? `${await job.getState()}${job.failedReason ? ` (${job.failedReason})` : ''}` : 'none';
    return `${what} is ${r.phase}: ${r.message}; cluster ${JSON.stringify(r.cluster)}; job ${state}`;
  }

  beforeAll(async () => {
    h = await startEngineHarness('crash', { worker: false });
    startWorker(0);
    startWorker(1);
  }, 60_000);
  afterAll(async () => {
    // A failed test must not leave the chaos loop starting workers.
    chaos = false;
    for (const w of workers) w?.kill('SIGKILL');
    await h?.close();
  });

  it('ends every rollout right with workers killed at random, and keeps the invariants', async () => {
    const namespaces = Array.from({ length: APPS }, (_, i) => `crash-${String(i).padStart(2, '0')}`);
    const hosts = await Promise.all(namespaces.map((ns) => prepareNamespace(h.sb, ns)));
    const firsts = await Promise.all(namespaces.map((ns, i) => createRollout(h.deps, plan(ns, i, 'v1', false))));
    for (const f of firsts)
      expect((await waitForPhase(h.deps, f.id, ['Succeeded', 'Failed'], 180_000)).phase).toBe('Succeeded');
    const stables = await Promise.all(firsts.map(async (f) => (await h.deps.store.get(f.id))!.revisions.new));
    // Users on every app's route; the blue-green previews' test traffic on their preview Service.
    const loads = hosts.map(
      (host, i) => new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 6, seed: i + 1 }),
    );
    namespaces.forEach((ns, i) => {
      // Gray's beta testers: the slice the new revision is judged on first.
      if (kindOf(i) === 'gray')
        loads.push(
          new LoadGenerator({
            url: h.sb.urls.gateway,
            host: hosts[i],
            headers: { 'x-beta': '1' },
            ratePerSecond: 6,
            seed: 200 + i,
          }),
        );
      if (kindOf(i) === 'blueGreen')
        loads.push(
          new LoadGenerator({
            url: h.sb.urls.gateway,
            host: `checkout-preview.${ns}`,
            ratePerSecond: 6,
            seed: 100 + i,
          }),
        );
    });
    loads.forEach((l) => l.start());
    const histories = namespaces.map((ns) => new ClusterHistory(h.sb, ns));

    // Chaos: every 0.3–1.5 s (seeded) one of the two workers is killed -9 and started again, once it has
    // worked its lifetime (1–8 s, seeded) since it said it started. A fixed period alone would not do: on a
    // loaded machine start-up can take longer than the period, and a job a killed worker held is taken
    // over only by a worker alive past the lock (3 s) and the next stalled-job check — workers that never
    // live that long would stall every rollout, which tests nothing.
    const rng = createRng(42);
    chaos = true;
    const working = (i: number) => (upSince[i] ?? Infinity) <= Date.now() - lifetime[i];
    const chaosLoop = (async () => {
      while (chaos) {
        await new Promise((r) => setTimeout(r, 300 + rng() * 1200));
        if (!chaos) break;
        const pick = rng() < 0.5 ? 0 : 1;
        const i = working(pick) ? pick : working(1 - pick) ? 1 - pick : undefined;
        if (i === undefined) continue;
        workers[i]?.kill('SIGKILL');
        kills++;
        await new Promise((r) => setTimeout(r, rng() * 500));
        startWorker(i);
      }
    })();

    const rollouts = await Promise.all(namespaces.map((ns, i) => createRollout(h.deps, plan(ns, i, 'v2', isBad(i)))));
    // All waited for together, so a stuck one is reported with where it is rather than ending the test.
    const done: RolloutRecord[] = await Promise.all(
      rollouts.map((r) =>
        waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 420_000).catch(
          async () => (await h.deps.store.get(r.id)) as RolloutRecord,
        ),
      ),
    );
    // The old revision's pods go after the scale-down delay, after the outcome: wait for it to show.
    await new Promise((r) => setTimeout(r, 5000));
    chaos = false;
    await chaosLoop;
    histories.forEach((x) => x.stop());
    await Promise.all(loads.map((l) => l.stop()));
    process.stderr.write(`crash test: ${kills} worker kills\n`);

    // Every rollout that ended wrong, with where it is and its job, before any other check.
    const wrong: string[] = [];
    for (const [i, r] of done.entries())
      if (r.phase !== (isBad(i) ? 'RolledBack' : 'Succeeded'))
        wrong.push(await whereItIs(`${namespaces[i]} (${kindOf(i)}, ${isBad(i) ? 'bad' : 'good'})`, r));
    expect(wrong).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(5);

    for (const [i, r] of done.entries()) {
      const kind = kindOf(i);
      const bad = isBad(i);
      const what = `${namespaces[i]} (${kind}, ${bad ? 'bad' : 'good'})`;
      const history = histories[i];
      const stable = stables[i];
      const rev = r.revisions.new;
      // Exactly one, right, outcome.
      const events = (await h.deps.events.read(r.id, { count: 1000 })).map((e) => e.event);
      const types = events.map((e) => e.type);
      expect({ what, outcomes: types.filter((t) => t === 'Promoted' || t === 'RolledBack') }).toEqual({
        what,
        outcomes: [bad ? 'RolledBack' : 'Promoted'],
      });
      if (bad) {
        expect({ what, reason: r.rollback?.reason }).toEqual({
          what,
          reason: expect.stringMatching(/^analysis failed/),
        });
        expect({ what, promoting: types.includes('Promoting') }).toEqual({ what, promoting: false });
      } else {
        // No step skipped: steps start in order from the first, each once (blue-green's full size starts
        // with the promotion, told by Promoting), and the promotion after every step before it (blue-green's
        // switch and scale-down delay are steps of the promotion itself).
        const steps = events.filter((e) => e.type === 'StepStarted');
        // (canary's end of the steps, 'all steps done', is a StepStarted without a number)
        const numbers = steps.flatMap((e) => /^(?:promoting: )?step (\d+)\//.exec(e.message)?.[1] ?? []).map(Number);
        const ordered = numbers[0] === 1 && numbers.every((n, k) => k === 0 || n > numbers[k - 1]);
        expect({ what, numbers, ordered }).toEqual({ what, numbers, ordered: true });
        const before = events.filter((e) => e.type === 'StepStarted' && e.phase !== 'Promoting').pop();
        expect({ what, promotedAfterSteps: types.indexOf('Promoting') > events.indexOf(before!) }).toEqual({
          what,
          promotedAfterSteps: true,
        });
      }
      const newRs = distinct(history.replicas(`checkout-${rev}`));
      const oldRs = history.of('ReplicaSet', `checkout-${stable}`);
      if (kind === 'canary' || kind === 'gray') {
        // The weighted rule's share (gray's match rules, the canary alone, come first and carry no weight).
        const routes = history.of('HTTPRoute', 'checkout').map((e) => ({
          at: e.at,
          weight:
            (e.object.spec?.rules as { backendRefs?: { name: string; weight?: number }[] }[])
              .filter((x) => (x.backendRefs ?? []).length > 1)
              .flatMap((x) => x.backendRefs ?? [])
              .find((b) => b.name.endsWith('-canary'))?.weight ?? 0,
        }));
        const route = distinct(routes.map((x) => x.weight));
        while (route[0] === 0) route.shift();
        if (bad) {
          // Invariant 1: never more than the step's 50%; invariant 2: route to 0 before the canary loses pods, stable untouched.
          // Gray judges its beta slice first: a bad version never gets the weight.
          const expected = route.includes(50) && kind === 'canary' ? [50, 0] : [];
          expect({ what, route }).toEqual({ what, route: expected });
          expect({ what, newRs }).toEqual({ what, newRs: [1, 0] });
          const zero = routes.find((x, k) => x.weight === 0 && routes.slice(0, k).some((y) => y.weight === 50));
          const shrink = history.of('ReplicaSet', `checkout-${rev}`).find((e) => e.object.spec?.replicas === 0);
          if (zero && shrink) expect(shrink.at).toBeGreaterThanOrEqual(zero.at);
          expect(oldRs.every((e) => Number(e.object.spec?.replicas) >= 1)).toBe(true);
        } else {
          // Steps in order, promotion last: 50 → 100 → 0; no write undone and redone.
          expect({ what, route }).toEqual({ what, route: [50, 100, 0] });
          expect({ what, newRs }).toEqual({ what, newRs: [1] });
        }
      }
      if (kind === 'blueGreen') {
        const switches = history.selectorWrites('checkout');
        // The stable Service selects the new revision only by the one switch, and only of a good preview.
        expect({ what, switches: switches.map((w) => w.revision) }).toEqual({ what, switches: bad ? [] : [rev] });
        expect({ what, newRs }).toEqual({ what, newRs: bad ? [1, 0] : [1] });
        if (bad) {
          // Every Service back on the old revision before the preview lost its pod.
          const back = history.selectorWrites('checkout-preview').find((w) => w.revision === stable);
          const shrink = history.of('ReplicaSet', `checkout-${rev}`).find((e) => e.object.spec?.replicas === 0);
          expect({ what, order: !!back && !!shrink && back.at <= shrink.at }).toEqual({ what, order: true });
          expect(oldRs.every((e) => Number(e.object.spec?.replicas) >= 1)).toBe(true);
        } else {
          // The old revision keeps its pod until after the switch.
          const oldDown = oldRs.find((e) => e.object.spec?.replicas === 0);
          if (oldDown) expect(oldDown.at).toBeGreaterThan(switches[0].at);
        }
      }
      if (kind === 'rolling') {
        // Never fewer than replicas − maxUnavailable (2) pods ready across both revisions, at every pod event.
        const counts = history.readyByRevision();
        const ready = counts.map((c) => (c.ready.get(rev) ?? 0) + (c.ready.get(stable) ?? 0));
        expect({ what, min: Math.min(...ready) }).toEqual({ what, min: 2 });
        expect({ what, newRs }).toEqual({ what, newRs: bad ? [1, 0] : [1, 2] });
        if (bad) {
          // The old revision back at full ready size before the new pod went.
          const gone = history.events.find(
            (e) => e.kind === 'Pod' && revisionOf(e.object) === rev && !!e.object.metadata.deletionTimestamp,
          );
          const at = counts.find((c) => c.event === gone);
          expect({ what, oldReady: at?.ready.get(stable) }).toEqual({ what, oldReady: 2 });
        }
      }
    }
  }, 720_000);
});
