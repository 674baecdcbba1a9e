/**
 * Rolling end to end on the sandbox, under steady load through the gateway, with the API server's watch
 * history as evidence: at every pod event the ready pods of both revisions are at least
 * replicas − maxUnavailable; with maxUnavailable 0 no old pod goes before its replacement is ready; a
 * good rollout ends with only the new ReplicaSet scaled up; a bad batch rolls back, and the old revision
 * is at full ready size before the first new pod is removed.
 */
import { createRollout } from '../../../src/engine/rollouts';
import { LoadGenerator } from '@ramp/sandbox';
import { ClusterHistory, revisionOf, type HistoryEvent } from '../../helpers/clusterHistory';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

const REPLICAS = 4;
const ENDED = ['Succeeded', 'RolledBack', 'Failed'] as const;

function rollingPlan(
  ns: string,
  version: string,
  rolling: Record<string, unknown>,
  errorRate = 0,
  metrics = true,
  o: { env?: Record<string, string>; progressDeadline?: string } = {},
) {
  return demoPlan({
    namespace: ns,
    version,
    replicas: REPLICAS,
    errorRate,
    metrics: metrics ? undefined : [],
    strategy: { rolling },
    ...o,
  });
}

/** The first event at which a pod of `revision` is terminating or gone. */
function terminations(history: ClusterHistory, revision: string): HistoryEvent[] {
  const seen = new Set<string>();
  return history.events.filter((e) => {
    if (e.kind !== 'Pod' || revisionOf(e.object) !== revision || seen.has(e.name)) return false;
    const gone = e.type === 'DELETED' || !!e.object.metadata.deletionTimestamp;
    if (gone) seen.add(e.name);
    return gone;
  });
}

describe('rolling updates on the sandbox', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness('rolling');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  async function scene(ns: string): Promise<{ history: ClusterHistory; load: LoadGenerator; stable: string }> {
    const host = await prepareNamespace(h.sb, ns);
    const first = await waitForPhase(h.deps, (await createRollout(h.deps, rollingPlan(ns, 'v1', {}, 0, false))).id, [
      ...ENDED,
    ]);
    expect(first.phase).toBe('Succeeded');
    await new Promise((res) => setTimeout(res, 500));
    const history = new ClusterHistory(h.sb, ns);
    const load = new LoadGenerator({ url: h.sb.urls.gateway, host, ratePerSecond: 100, seed: 9 });
    load.start();
    return { history, load, stable: first.revisions.new };
  }

  it('with maxUnavailable 0: never fewer than 4 ready pods, no old pod removed before its replacement is ready, only the new ReplicaSet left', async () => {
    const s = await scene('roll-good');
    const r = await createRollout(
      h.deps,
      rollingPlan('roll-good', 'v2', {
        maxSurge: 1,
        maxUnavailable: 0,
        batches: ['25%', { replicas: '50%', analyze: { min: '3s' } }, '100%'],
      }),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 180_000);
    await new Promise((res) => setTimeout(res, 1000));
    const report = await s.load.stop();
    s.history.stop();
    expect(done.phase).toBe('Succeeded');
    const rev = done.revisions.new;
    const counts = s.history.readyByRevision();
    const both = counts.map((c) => (c.ready.get(rev) ?? 0) + (c.ready.get(s.stable) ?? 0));
    expect(Math.min(...both)).toBeGreaterThanOrEqual(REPLICAS);
    // The k-th old pod goes only once k new pods are ready.
    const early = terminations(s.history, s.stable).filter(
      (e, k) => (counts.find((c) => c.event === e)!.ready.get(rev) ?? 0) < k + 1,
    );
    expect(early.map((e) => e.name)).toEqual([]);
    expect(s.history.replicas(`checkout-${rev}`)).toEqual([1, 2, 3, 4]);
    expect(s.history.replicas(`checkout-${s.stable}`)).toEqual([4, 3, 2, 1, 0]);
    const rs = await h.deps.kube.apps.listNamespacedReplicaSet({ namespace: 'roll-good' });
    expect(rs.items.filter((x) => (x.spec?.replicas ?? 0) > 0).map((x) => x.metadata?.name)).toEqual([
      `checkout-${rev}`,
    ]);
    const errors = Object.values(report.byRevision).reduce((n, x) => n + x.errors5xx, 0);
    process.stderr.write(
      `rolling: ${report.sent} requests, ${errors} 5xx, ${report.transportErrors} transport errors; min ready ${Math.min(...both)}\n`,
    );
  }, 240_000);

  it('rolls a bad batch back: never fewer than 3 ready with maxUnavailable 1, the old revision at 4 ready before a new pod goes', async () => {
    const s = await scene('roll-bad');
    const r = await createRollout(
      h.deps,
      rollingPlan(
        'roll-bad',
        'v2',
        { maxSurge: 1, maxUnavailable: 1, batches: [{ replicas: '50%', analyze: { min: '2m' } }, '100%'] },
        0.5,
      ),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 180_000);
    await new Promise((res) => setTimeout(res, 1000));
    await s.load.stop();
    s.history.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(/^analysis failed/);
    const rev = done.revisions.new;
    const counts = s.history.readyByRevision();
    const both = counts.map((c) => (c.ready.get(rev) ?? 0) + (c.ready.get(s.stable) ?? 0));
    expect(Math.min(...both)).toBeGreaterThanOrEqual(REPLICAS - 1);
    // The batch took old pods away; the rollback brought them back before the first new pod went.
    expect(Math.min(...s.history.replicas(`checkout-${s.stable}`))).toBeLessThan(REPLICAS);
    const firstNewGone = terminations(s.history, rev)[0];
    expect(firstNewGone).toBeDefined();
    const at = counts.find((c) => c.event === firstNewGone)!;
    expect(at.ready.get(s.stable) ?? 0).toBe(REPLICAS);
    expect(s.history.replicas(`checkout-${rev}`).at(-1)).toBe(0);
    expect(s.history.replicas(`checkout-${s.stable}`).at(-1)).toBe(REPLICAS);
  }, 240_000);

  it('rolls back a batch whose pods crash-loop within 30 s, naming the pod, never below replicas − maxUnavailable', async () => {
    const s = await scene('roll-crash');
    const started = Date.now();
    // A deadline far beyond the wait: a rollback inside it is the pod guard's, not the deadline's.
    const r = await createRollout(
      h.deps,
      rollingPlan('roll-crash', 'v2', { maxSurge: 1, maxUnavailable: 1, batches: ['50%', '100%'] }, 0, false, {
        env: { EXIT_AFTER_MS: '300', EXIT_CODE: '3' },
        progressDeadline: '10m',
      }),
    );
    const done = await waitForPhase(h.deps, r.id, [...ENDED], 30_000);
    const tookMs = Date.now() - started;
    await new Promise((res) => setTimeout(res, 1000));
    await s.load.stop();
    s.history.stop();
    expect(done.phase).toBe('RolledBack');
    expect(done.rollback?.reason).toMatch(
      new RegExp(
        `^pod checkout-${done.revisions.new}-\\w+ cannot run: CrashLoopBackOff \\(exit code 3, \\d+ restarts?\\)`,
      ),
    );
    const rev = done.revisions.new;
    const counts = s.history.readyByRevision();
    const both = counts.map((c) => (c.ready.get(rev) ?? 0) + (c.ready.get(s.stable) ?? 0));
    expect(Math.min(...both)).toBeGreaterThanOrEqual(REPLICAS - 1);
    expect(s.history.replicas(`checkout-${s.stable}`).at(-1)).toBe(REPLICAS);
    expect(s.history.replicas(`checkout-${rev}`).at(-1)).toBe(0);
    process.stderr.write(`rolling: crash-looping batch rolled back in ${tookMs} ms\n`);
  }, 90_000);
});
