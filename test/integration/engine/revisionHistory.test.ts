/**
 * Old ReplicaSets on the sandbox (issue #16): only the stable revision is annotated `stable`, the others
 * `old`; once a rollout has settled, empty old ReplicaSets beyond the plan's revisionHistoryLimit are
 * deleted, newest kept — with the default (10) nothing goes after five rollouts, with 2 exactly two stay
 * beside the stable one. A rolled-back revision is old too, and undo returns to a revision whose
 * ReplicaSet was deleted (it runs the recorded plan again and creates it anew).
 */
import { resource, waitFor, type KubeObject } from '@ramp/sandbox';
import { listAppRollouts } from '../../../src/api/rolloutLookup';
import { createRollout } from '../../../src/engine/rollouts';
import { undoTarget } from '../../../src/engine/undo';
import type { RolloutRecord } from '../../../src/engine/record';
import { ANNOTATIONS, LABELS } from '../../../src/kube/names';
import type { Plan } from '../../../src/plan/schema';
import {
  demoPlan,
  prepareNamespace,
  startEngineHarness,
  waitForPhase,
  type EngineHarness,
} from '../../helpers/engineHarness';

interface ReplicaSetView {
  name: string;
  revision: string;
  role?: string;
  replicas: number;
}

describe('revision history', () => {
  let h: EngineHarness;
  const DEFAULT_NS = 'history-default';
  const LIMITED_NS = 'history-two';

  beforeAll(async () => {
    h = await startEngineHarness('history');
    await prepareNamespace(h.sb, DEFAULT_NS);
    await prepareNamespace(h.sb, LIMITED_NS);
  }, 90_000);
  afterAll(async () => {
    await h?.close();
  });

  const plan = (ns: string, version: string, limit?: number, env?: Record<string, string>): Plan => {
    const p = demoPlan({ namespace: ns, version, replicas: 1, steps: [{ setWeight: 100 }], metrics: [], env });
    return limit === undefined ? p : { ...p, spec: { ...p.spec, revisionHistoryLimit: limit } };
  };

  /** The app's ReplicaSets, oldest first. */
  async function replicaSets(ns: string): Promise<ReplicaSetView[]> {
    const items = (await h.sb.cluster.list(resource('replicasets'), { namespace: ns })) as (KubeObject & {
      spec?: { replicas?: number };
    })[];
    return items
      .filter((o) => o.metadata.labels?.[LABELS.app] === 'checkout')
      .sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)))
      .map((o) => ({
        name: o.metadata.name ?? '',
        revision: o.metadata.labels?.[LABELS.revision] ?? '',
        role: o.metadata.annotations?.[ANNOTATIONS.role],
        replicas: Number(o.spec?.replicas ?? 1),
      }));
  }

  /** Runs a rollout to its end and until its scale-down delay is over (nothing left for it to do). */
  async function settle(p: Plan, phase: RolloutRecord['phase'] = 'Succeeded'): Promise<RolloutRecord> {
    const created = await createRollout(h.deps, p);
    const ended = await waitForPhase(h.deps, created.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
    expect(ended.phase).toBe(phase);
    let last = ended;
    await waitFor(
      async () => {
        last = (await h.deps.store.get(created.id)) ?? last;
        return last.scaleDownAt === undefined;
      },
      `${created.id} to settle`,
      30_000,
      100,
    );
    return last;
  }

  /** Waits until the app's ReplicaSets are exactly `names` (any order), and answers them. */
  async function waitForReplicaSets(ns: string, names: string[], check?: (rs: ReplicaSetView[]) => boolean) {
    let seen: ReplicaSetView[] = [];
    const want = [...names].sort();
    await waitFor(
      async () => {
        seen = await replicaSets(ns);
        const have = seen.map((r) => r.name).sort();
        return JSON.stringify(have) === JSON.stringify(want) && (check?.(seen) ?? true);
      },
      `ReplicaSets ${want.join(', ')} in ${ns}`,
      30_000,
      100,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; there are ${JSON.stringify(seen)}`);
    });
    return seen;
  }

  /** The stable revision's ReplicaSet at 1 replica and annotated stable; every other at 0 and annotated old. */
  const rolesSettled = (stable: string) => (rs: ReplicaSetView[]) =>
    rs.every((r) =>
      r.revision === stable ? r.role === 'stable' && r.replicas === 1 : r.role === 'old' && r.replicas === 0,
    );

  const revisions: Record<string, string> = {};

  it('with the default limit keeps all five revisions, only the stable one annotated stable', async () => {
    const names: string[] = [];
    let last: RolloutRecord | undefined;
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5']) {
      last = await settle(plan(DEFAULT_NS, v));
      names.push(`checkout-${last.revisions.new}`);
    }
    const stable = last?.revisions.stable ?? '';
    const rs = await waitForReplicaSets(DEFAULT_NS, names, rolesSettled(stable));
    expect(rs.filter((r) => r.role === 'stable').map((r) => r.revision)).toEqual([stable]);
  }, 240_000);

  it('with revisionHistoryLimit 2, five rollouts leave the stable ReplicaSet and the two newest old ones at 0', async () => {
    for (const v of ['v1', 'v2', 'v3', 'v4', 'v5'])
      revisions[v] = (await settle(plan(LIMITED_NS, v, 2))).revisions.new ?? '';
    const rs = await waitForReplicaSets(
      LIMITED_NS,
      ['v3', 'v4', 'v5'].map((v) => `checkout-${revisions[v]}`),
      rolesSettled(revisions.v5),
    );
    expect(rs.map((r) => [r.revision, r.role, r.replicas])).toEqual([
      [revisions.v3, 'old', 0],
      [revisions.v4, 'old', 0],
      [revisions.v5, 'stable', 1],
    ]);
    // Long after the default-limit app's last reconcile: nothing of it was deleted.
    expect(await replicaSets(DEFAULT_NS)).toHaveLength(5);
  }, 240_000);

  it('annotates a rolled-back revision old once its rollout has ended, and keeps stable as it was', async () => {
    // The new version's container exits at once and restarts with back-off: a certain failure, rolled back.
    const failed = await settle(
      plan(LIMITED_NS, 'v6', 2, { READY: 'false', EXIT_AFTER_MS: '200', EXIT_CODE: '1' }),
      'RolledBack',
    );
    revisions.v6 = failed.revisions.new ?? '';
    expect(failed.revisions.stable).toBe(revisions.v5);
    // The two newest old ones are v6 and v4: v3 goes.
    await waitForReplicaSets(
      LIMITED_NS,
      ['v4', 'v5', 'v6'].map((v) => `checkout-${revisions[v]}`),
      rolesSettled(revisions.v5),
    );
  }, 120_000);

  it('undoes back to a revision whose ReplicaSet was deleted: the recorded plan runs again and creates it anew', async () => {
    expect((await replicaSets(LIMITED_NS)).map((r) => r.revision)).not.toContain(revisions.v1);
    const found = undoTarget(await listAppRollouts(h.deps, LIMITED_NS, 'checkout', 100), revisions.v1);
    if (!('rollout' in found)) throw new Error(`no undo target: ${found.why}`);
    const back = await createRollout(h.deps, found.rollout.plan, { undoOf: found.rollout.id });
    const done = await waitForPhase(h.deps, back.id, ['Succeeded', 'RolledBack', 'Failed'], 120_000);
    expect(done.phase).toBe('Succeeded');
    expect(done.revisions.stable).toBe(revisions.v1);
    await waitFor(async () => (await h.deps.store.get(back.id))?.scaleDownAt === undefined, 'undo to settle', 30_000);
    // v1 is stable again, in a new ReplicaSet; of the old ones, v6 and v5 are the newest: v4 goes.
    await waitForReplicaSets(
      LIMITED_NS,
      ['v5', 'v6', 'v1'].map((v) => `checkout-${revisions[v]}`),
      rolesSettled(revisions.v1),
    );
  }, 120_000);
});
