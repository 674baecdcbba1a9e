/**
 * Without a router (replicaRatio) the canary's share of requests is its share of ready pods. With one
 * replica and a canary that crash-loops, stable keeps its pod and serves every request until the canary
 * is rolled back (as soon as the kubelet reports CrashLoopBackOff) — nothing is scaled down for pods that
 * never become ready — and the rollout shows the share the pods really give (0%) beside the target (100%).
 */
import type { KubeObject } from '@ramp/sandbox';
import { LoadGenerator } from '@ramp/sandbox';
import { rolloutView } from '../../../src/api/views';
import { createRollout } from '../../../src/engine/rollouts';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

describe('canary without a router', () => {
  let h: EngineHarness;

  beforeAll(async () => {
    h = await startEngineHarness('ratio');
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('serves every request from stable while a one-replica canary crash-loops, then rolls it back', async () => {
    const ns = 'ratio-crash';
    const host = await prepareNamespace(h.sb, ns);
    const plan = (version: string, env?: Record<string, string>) =>
      demoPlan({
        namespace: ns,
        version,
        replicas: 1,
        router: 'replicaRatio',
        metrics: [],
        env,
        steps: [{ setWeight: 100 }, { pause: { duration: '2s' } }],
        progressDeadline: '60s',
      });
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, plan('v1'))).id, ['Succeeded', 'Failed']);
    expect(first.phase).toBe('Succeeded');
    const stable = first.revisions.new;
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 40, seed: 3 });
    load.start();
    await new Promise((r) => setTimeout(r, 1000));

    const stableReplicas: number[] = [];
    const watch = h.sb.store.watch(undefined, {}, (e) => {
      const o = e.object as KubeObject & { spec?: { replicas?: number } };
      if (o.kind === 'ReplicaSet' && o.metadata.namespace === ns && o.metadata.name === `checkout-${stable}`)
        stableReplicas.push(Number(o.spec?.replicas ?? 0));
    });
    // The new version's container never becomes ready and exits 3 s after it starts, then restarts with
    // back-off. The 3 s give the engine time to show the step at 100% before the crash loop rolls it back.
    const r = await createRollout(h.deps, plan('v2', { READY: 'false', EXIT_AFTER_MS: '3000', EXIT_CODE: '1' }));
    const stepping = await waitForPhase(h.deps, r.id, ['Progressing']);
    let seen = rolloutView(stepping);
    for (let i = 0; i < 400 && seen.phase === 'Progressing' && seen.traffic.actual === undefined; i++) {
      await new Promise((res) => setTimeout(res, 25));
      seen = rolloutView((await h.deps.store.get(r.id)) ?? stepping);
    }
    expect(seen.phase).toBe('Progressing');
    expect(seen.traffic).toEqual({ target: { weight: 100, matches: [] }, actual: { source: 'pods', weight: 0 } });

    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 90_000);
    watch.stop();
    const report = await load.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(/cannot run: CrashLoopBackOff/);
    // Stable never gave up its pod, and every request was answered by it, without an error.
    expect(stableReplicas.every((n) => n >= 1)).toBe(true);
    expect(Object.keys(report.byRevision)).toEqual([stable]);
    expect(report.byRevision[stable]?.errors5xx).toBe(0);
    expect(report.transportErrors).toBe(0);
    expect(report.completed).toBeGreaterThan(100);
  }, 150_000);
});
