/**
 * The engine end to end on the sandbox: real pods, the real Prometheus judging them, the gateway
 * carrying load; a healthy canary is promoted, a bad one rolled back with traffic moved before pods —
 * the order read from watches on the API server under test (on the kubernetes lane, the real one).
 */
import { createRollout } from '../../../src/engine/rollouts';
import { LoadGenerator, waitFor } from '@ramp/sandbox';
import { recordChanges, type Change } from '../../helpers/clusterChanges';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

describe('canary rollouts on the sandbox', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('canary');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function firstDeploy(ns: string): Promise<{ host: string; load: LoadGenerator }> {
    const host = await prepareNamespace(h.sb, ns);
    const r = await createRollout(h.deps, demoPlan({ namespace: ns, version: 'v1' }));
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'Failed', 'RolledBack']);
    expect(done.phase).toBe('Succeeded');
    expect(done.firstDeploy).toBe(true);
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed: 3 });
    load.start();
    return { host, load };
  }

  it('promotes a healthy canary: 10% → 50% → promoted, old ReplicaSet scaled down, events tell the story', async () => {
    const ns = 'good';
    const { load } = await firstDeploy(ns);
    const watch = await recordChanges(h.sb, ns);
    const r = await createRollout(h.deps, demoPlan({ namespace: ns, version: 'v2' }));
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
    const weights = (): (number | undefined)[] =>
      watch
        .changes()
        .filter((c) => c.kind === 'route')
        .map((c) => c.canaryWeight);
    // Watch events arrive after the writes they tell of: wait for the route's last change.
    await waitFor(() => weights().length >= 4, 'the route changes to arrive', 10_000, 100).catch(() => undefined);
    watch.stop();
    const report = await load.stop();
    expect(done.phase).toBe('Succeeded');
    expect(done.outcome).toBe('promoted');
    expect(weights()).toEqual([10, 50, 100, 0]);
    const oldRs = `checkout-${done.revisions.previousStable}`;
    await waitFor(
      async () => {
        const rs = await h.deps.kube.apps.readNamespacedReplicaSet({ name: oldRs, namespace: ns });
        return rs.spec?.replicas === 0;
      },
      'the old ReplicaSet to be scaled to 0',
      20_000,
      200,
    );
    const svc = await h.deps.kube.core.readNamespacedService({ name: 'checkout', namespace: ns });
    expect(svc.spec?.selector?.['ramp.dev/revision']).toBe(done.revisions.new);
    const events = (await h.deps.events.read(r.id)).map((e) => e.event.type);
    expect(events).toEqual(
      expect.arrayContaining(['Created', 'StepStarted', 'WeightChanged', 'Analysis', 'Promoting', 'Promoted']),
    );
    const bad = Object.values(report.byRevision).reduce((n, x) => n + x.errors5xx, 0);
    expect(bad).toBe(0);
    expect(report.transportErrors).toBe(0);
  }, 180_000);

  it('rolls back a canary with 20% errors: the route sends 100% to stable before the canary ReplicaSet shrinks', async () => {
    const ns = 'bad';
    const { load } = await firstDeploy(ns);
    const watch = await recordChanges(h.sb, ns);
    const r = await createRollout(
      h.deps,
      demoPlan({
        namespace: ns,
        version: 'v2',
        errorRate: 0.2,
        steps: [{ setWeight: 20 }, { analyze: { min: '30s' } }, { setWeight: 50 }],
      }),
    );
    const done = await waitForPhase(h.deps, r.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
    const canaryRs = `checkout-${done.revisions.new}`;
    const shrinkIndex = (changes: Change[]): number =>
      changes.findIndex(
        (c, i) =>
          c.kind === 'rs' &&
          c.name === canaryRs &&
          (c.replicas ?? 0) <
            (changes
              .slice(0, i)
              .reverse()
              .find((p) => p.kind === 'rs' && p.name === canaryRs)?.replicas ?? 0),
      );
    // Watch events arrive after the writes they tell of: give the last ones a moment.
    await waitFor(() => shrinkIndex(watch.changes()) >= 0, 'the canary ReplicaSet to shrink', 20_000, 100);
    const changes = watch.changes();
    watch.stop();
    await load.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(/analysis failed/);
    const lastRouteToZero = changes.findIndex((c) => c.kind === 'route' && c.canaryWeight === 0);
    const canaryShrinks = shrinkIndex(changes);
    expect(lastRouteToZero).toBeGreaterThanOrEqual(0);
    expect(canaryShrinks).toBeGreaterThan(lastRouteToZero);
    expect(changes.filter((c) => c.kind === 'route').every((c) => (c.canaryWeight ?? 0) <= 20)).toBe(true);
  }, 180_000);
});
