/**
 * Crash safety: 30 rollouts (two good for every bad one) run while a chaos loop kill -9s the worker
 * processes at random (seeded) moments and starts them again. Every rollout must end with the right
 * outcome, and the API server's watch history must show the invariants of DESIGN §6 held throughout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createRollout } from '../../../src/engine/rollouts';
import type { RolloutRecord } from '../../../src/engine/record';
import { createRng, type KubeObject, LoadGenerator } from '@ramp/sandbox';
import { testRedisUrl } from '../../helpers/redis';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

const CLI = resolve(__dirname, '..', '..', '..', 'bin', 'ramp');
const APPS = 30;

interface Change {
  at: number;
  kind: 'route' | 'rs';
  name: string;
  value: number;
}

function distinct(xs: number[]): number[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x);
}

describe('crash safety', () => {
  let h: EngineHarness;
  const workers: (ChildProcess | undefined)[] = [undefined, undefined];
  let kills = 0;

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
        '2000',
        '--concurrency',
        '16',
      ],
      { stdio: 'ignore', env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    workers[i] = child;
  }

  beforeAll(async () => {
    h = await startEngineHarness('crash', { worker: false });
    startWorker(0);
    startWorker(1);
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) w?.kill('SIGKILL');
    await h?.close();
  });

  it('ends every rollout right with workers killed at random, and keeps the invariants', async () => {
    const namespaces = Array.from({ length: APPS }, (_, i) => `crash-${String(i).padStart(2, '0')}`);
    const bad = (i: number) => i % 3 === 0;
    const hosts = await Promise.all(namespaces.map((ns) => prepareNamespace(h.sb, ns)));
    const firsts = await Promise.all(
      namespaces.map((ns) => createRollout(h.deps, demoPlan({ namespace: ns, version: 'v1', replicas: 1 }))),
    );
    for (const f of firsts)
      expect((await waitForPhase(h.deps, f.id, ['Succeeded', 'Failed'], 180_000)).phase).toBe('Succeeded');
    const loads = hosts.map(
      (host, i) => new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 6, seed: i + 1 }),
    );
    loads.forEach((l) => l.start());

    const changes = new Map<string, Change[]>(namespaces.map((ns) => [ns, []]));
    const watch = h.sb.store.watch(undefined, {}, (e) => {
      const o = e.object as KubeObject & { spec?: Record<string, unknown> };
      const list = changes.get(o.metadata.namespace ?? '');
      if (!list || e.type === 'DELETED') return;
      if (o.kind === 'HTTPRoute') {
        const refs = ((o.spec?.rules as { backendRefs?: { name: string; weight?: number }[] }[]) ?? []).flatMap(
          (r) => r.backendRefs ?? [],
        );
        list.push({
          at: Date.now(),
          kind: 'route',
          name: o.metadata.name ?? '',
          value: refs.find((b) => b.name.endsWith('-canary'))?.weight ?? 0,
        });
      }
      if (o.kind === 'ReplicaSet')
        list.push({ at: Date.now(), kind: 'rs', name: o.metadata.name ?? '', value: Number(o.spec?.replicas ?? 0) });
    });

    // Chaos: every 0.3–1.5 s (seeded) one of the two workers is killed -9 and started again.
    const rng = createRng(42);
    let chaos = true;
    const chaosLoop = (async () => {
      while (chaos) {
        await new Promise((r) => setTimeout(r, 300 + rng() * 1200));
        if (!chaos) break;
        const i = rng() < 0.5 ? 0 : 1;
        workers[i]?.kill('SIGKILL');
        kills++;
        await new Promise((r) => setTimeout(r, rng() * 500));
        startWorker(i);
      }
    })();

    const rollouts = await Promise.all(
      namespaces.map((ns, i) =>
        createRollout(
          h.deps,
          demoPlan({
            namespace: ns,
            version: 'v2',
            replicas: 1,
            errorRate: bad(i) ? 0.5 : 0,
            progressDeadline: '5m',
            steps: [{ setWeight: 50 }, { pause: { duration: '2s' } }],
            metrics: [{ name: 'errors', errorRate: { maxRatio: 1.5, minRequests: 10, judge: 'threshold' } }],
          }),
        ),
      ),
    );
    const done: RolloutRecord[] = [];
    for (const r of rollouts)
      done.push(await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 300_000));
    chaos = false;
    await chaosLoop;
    watch.stop();
    await Promise.all(loads.map((l) => l.stop()));
    expect(kills).toBeGreaterThanOrEqual(5);
    process.stderr.write(`crash test: ${kills} worker kills\n`);

    for (const [i, r] of done.entries()) {
      const ns = namespaces[i];
      const what = `${ns} (${bad(i) ? 'bad' : 'good'})`;
      // Exactly one, right, outcome.
      expect({ what, phase: r.phase }).toEqual({ what, phase: bad(i) ? 'RolledBack' : 'Succeeded' });
      const types = (await h.deps.events.read(r.id, { count: 1000 })).map((e) => e.event.type);
      expect(types.filter((t) => t === 'Promoted' || t === 'RolledBack')).toHaveLength(1);
      const list = changes.get(ns) ?? [];
      const route = distinct(list.filter((c) => c.kind === 'route').map((c) => c.value));
      const canary = distinct(
        list.filter((c) => c.kind === 'rs' && c.name === `checkout-${r.revisions.new}`).map((c) => c.value),
      );
      const stableName = `checkout-${bad(i) ? r.revisions.stable : r.revisions.previousStable}`;
      const stable = list.filter((c) => c.kind === 'rs' && c.name === stableName);
      if (bad(i)) {
        expect({ what, reason: r.rollback?.reason }).toEqual({
          what,
          reason: expect.stringMatching(/^analysis failed/),
        });
        // Invariant 1: never more than the step's 50%; invariant 2: route to 0 before the canary loses pods, stable untouched.
        expect({ what, route }).toEqual({ what, route: route.includes(50) ? [50, 0] : [] });
        expect({ what, canary }).toEqual({ what, canary: [1, 0] });
        const routeZero = list.find((c) => c.kind === 'route' && c.value === 0 && route.includes(50));
        const shrink = list.find((c) => c.kind === 'rs' && c.name === `checkout-${r.revisions.new}` && c.value === 0);
        if (routeZero && shrink) expect(list.indexOf(shrink)).toBeGreaterThan(list.indexOf(routeZero));
        expect(stable.every((c) => c.value >= 1)).toBe(true);
        expect(types).not.toContain('Promoting');
      } else {
        // Steps in order, promotion last: 50 → 100 → 0; no write undone and redone.
        expect({ what, route }).toEqual({ what, route: [50, 100, 0] });
        expect({ what, canary }).toEqual({ what, canary: [1] });
        const lastRouteZero = list.filter((c) => c.kind === 'route' && c.value === 0).pop();
        const stableDown = stable.find((c) => c.value === 0);
        if (stableDown && lastRouteZero) expect(list.indexOf(stableDown)).toBeGreaterThan(list.indexOf(lastRouteZero));
        expect(types.indexOf('Promoting')).toBeGreaterThan(types.lastIndexOf('StepStarted'));
      }
    }
  }, 600_000);
});
