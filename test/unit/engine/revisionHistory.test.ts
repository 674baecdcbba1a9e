/**
 * The old-revision decisions (src/engine/revisionHistory.ts), without a cluster: which ReplicaSets lose
 * the `stable` role and which are deleted beyond revisionHistoryLimit — never the stable one, what a
 * Service selects, an active rollout's revisions, or one with replicas or pods; exactly min(limit, n) of
 * the rest kept, newest first; and a second look after acting decides nothing.
 */
import fc from 'fast-check';
import { planActions } from '../../../src/engine/actions';
import type { Phase } from '../../../src/engine/record';
import { isTerminal } from '../../../src/engine/phase';
import {
  demotable,
  isEmpty,
  prunable,
  protectedRevisions,
  retirement,
  revisionsInUse,
  rolloutSettled,
  type HistoryInput,
} from '../../../src/engine/revisionHistory';
import type { ReplicaSetRole } from '../../../src/kube/names';
import type { ObservedReplicaSet } from '../../../src/kube/observe';
import type { DesiredState, StrategyObserved } from '../../../src/strategies/strategy';
import { STABLE_ONLY } from '../../../src/strategies/traffic';

const APP = 'checkout';
const T0 = Date.parse('2025-01-01T00:00:00Z');

interface RsSpec {
  revision: string;
  /** Seconds after T0. */
  at: number;
  replicas?: number;
  ready?: number;
  statusReplicas?: number;
  role?: ReplicaSetRole;
  name?: string;
}

function rs(s: RsSpec): ObservedReplicaSet {
  return {
    name: s.name ?? `${APP}-${s.revision}`,
    uid: `uid-${s.revision}`,
    revision: s.revision,
    ...(s.role ? { role: s.role } : {}),
    replicas: s.replicas ?? 0,
    status: {
      replicas: s.statusReplicas ?? s.ready ?? 0,
      readyReplicas: s.ready ?? 0,
      availableReplicas: s.ready ?? 0,
    },
    generation: 1,
    observedGeneration: 1,
    template: {},
    createdAt: new Date(T0 + s.at * 1000).toISOString(),
    resourceVersion: `rv-${s.revision}`,
  };
}

function input(over: Partial<HistoryInput> & Pick<HistoryInput, 'replicaSets'>): HistoryInput {
  return {
    app: APP,
    pods: {},
    terminating: {},
    record: { phase: 'Succeeded', revisions: { stable: 'r5', new: 'r5', previousStable: 'r4' } },
    limit: 2,
    ...over,
  };
}

const names = (list: readonly ObservedReplicaSet[]) => list.map((r) => r.name);

/** Five revisions rolled out one after the other; r5 is stable, the others empty. */
const fiveRollouts = [
  rs({ revision: 'r1', at: 0, role: 'stable' }),
  rs({ revision: 'r2', at: 10, role: 'stable' }),
  rs({ revision: 'r3', at: 20, role: 'canary' }),
  rs({ revision: 'r4', at: 30, role: 'stable' }),
  rs({ revision: 'r5', at: 40, replicas: 3, ready: 3, role: 'stable' }),
];

describe('pruning old ReplicaSets', () => {
  it('keeps the newest `limit` old ones and deletes the rest, newest first; the stable one stays', () => {
    expect(names(prunable(input({ replicaSets: fiveRollouts, limit: 2 })))).toEqual(['checkout-r2', 'checkout-r1']);
    expect(names(prunable(input({ replicaSets: fiveRollouts, limit: 0 })))).toEqual([
      'checkout-r4',
      'checkout-r3',
      'checkout-r2',
      'checkout-r1',
    ]);
    expect(prunable(input({ replicaSets: fiveRollouts, limit: 10 }))).toEqual([]);
  });

  it('deletes nothing until the rollout has ended and its scale-down delay is over', () => {
    for (const phase of ['Progressing', 'Paused', 'Promoting', 'RollingBack'] as Phase[])
      expect(
        prunable(
          input({ replicaSets: fiveRollouts, limit: 0, record: { ...input({ replicaSets: [] }).record, phase } }),
        ),
      ).toEqual([]);
    const waiting = {
      phase: 'Succeeded' as const,
      revisions: { stable: 'r5', new: 'r5', previousStable: 'r4' },
      scaleDownAt: T0,
    };
    expect(prunable(input({ replicaSets: fiveRollouts, limit: 0, record: waiting }))).toEqual([]);
  });

  it('never deletes one with replicas, counted pods, listed pods or pods shutting down, nor the one the stable Service selects', () => {
    const sets = [
      rs({ revision: 'a', at: 0, replicas: 1 }),
      rs({ revision: 'b', at: 1, statusReplicas: 1 }),
      rs({ revision: 'c', at: 2 }),
      rs({ revision: 'd', at: 3 }),
      rs({ revision: 'e', at: 4 }),
      rs({ revision: 'r5', at: 5, replicas: 3, ready: 3 }),
    ];
    const pods = { c: [{ name: 'checkout-c-x', phase: 'Running', ready: false, restarts: 0 }] };
    const got = prunable(input({ replicaSets: sets, limit: 0, pods, terminating: { d: 1 }, stableSelects: 'e' }));
    expect(got).toEqual([]);
  });

  it('counts an old one that still has pods among the newest, deleting an older empty one; keeps one with pods beyond the limit', () => {
    const sets = [
      rs({ revision: 'r1', at: 0 }),
      rs({ revision: 'r2', at: 10 }),
      rs({ revision: 'r3', at: 20 }),
      rs({ revision: 'r4', at: 30 }),
      rs({ revision: 'r5', at: 40, replicas: 1, ready: 1, role: 'stable' }),
    ];
    // r4's pods are still shutting down: it is one of the two newest all the same, so r2 and r1 go.
    expect(names(prunable(input({ replicaSets: sets, limit: 2, terminating: { r4: 1 } })))).toEqual([
      'checkout-r2',
      'checkout-r1',
    ]);
    // r2's are: it stays until a later rollout finds it empty.
    expect(names(prunable(input({ replicaSets: sets, limit: 2, terminating: { r2: 1 } })))).toEqual(['checkout-r1']);
  });

  it('touches only the ReplicaSets Ramp made for the app (named <app>-<revision>)', () => {
    const sets = [
      rs({ revision: 'x', at: 0, name: 'someone-elses' }),
      rs({ revision: '', at: 1, name: 'checkout-' }),
      ...fiveRollouts,
    ];
    expect(names(prunable(input({ replicaSets: sets, limit: 3 })))).toEqual(['checkout-r1']);
  });

  it('deletes nothing when the record knows no stable revision (a first deploy that failed)', () => {
    const record = { phase: 'Failed' as const, revisions: { new: 'r5' } };
    expect(prunable(input({ replicaSets: fiveRollouts, limit: 0, record }))).toEqual([]);
  });
});

describe('roles of old revisions', () => {
  it('annotates old every revision marked stable but the stable one, and the ended rollout’s empty canary', () => {
    const record = { phase: 'RolledBack' as const, revisions: { stable: 'r5', new: 'r6' } };
    const sets = [...fiveRollouts, rs({ revision: 'r6', at: 50, role: 'canary' })];
    expect(names(demotable(input({ replicaSets: sets, record })))).toEqual([
      'checkout-r1',
      'checkout-r2',
      'checkout-r3',
      'checkout-r4',
      'checkout-r6',
    ]);
  });

  it('demotes the previous stable as soon as another is stable, while it keeps its pods through the delay', () => {
    const record = {
      phase: 'Succeeded' as const,
      revisions: { stable: 'r5', new: 'r5', previousStable: 'r4' },
      scaleDownAt: T0 + 1,
    };
    const sets = [
      rs({ revision: 'r4', at: 0, replicas: 3, ready: 3, role: 'stable' }),
      rs({ revision: 'r5', at: 1, replicas: 3, ready: 3, role: 'stable' }),
    ];
    // r4 is protected from deletion through the delay, but not from losing the stable role.
    expect(protectedRevisions(input({ replicaSets: sets, record })).has('r4')).toBe(true);
    expect(names(demotable(input({ replicaSets: sets, record })))).toEqual(['checkout-r4']);
  });

  it('leaves an active rollout’s canary, a running orphan canary and revisions already old alone', () => {
    const record = { phase: 'Progressing' as const, revisions: { stable: 'r5', new: 'r6' } };
    const sets = [
      rs({ revision: 'r1', at: 0, role: 'old' }),
      rs({ revision: 'r2', at: 1, replicas: 1, role: 'canary' }),
      rs({ revision: 'r5', at: 5, replicas: 3, ready: 3, role: 'stable' }),
      rs({ revision: 'r6', at: 6, replicas: 0, role: 'canary' }),
    ];
    expect(demotable(input({ replicaSets: sets, record }))).toEqual([]);
  });
});

// --- properties -------------------------------------------------------------------------------------

const REVS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const PHASES: Phase[] = ['Progressing', 'Paused', 'Promoting', 'Succeeded', 'RollingBack', 'RolledBack', 'Failed'];

// Mostly empty ReplicaSets and ended rollouts, so that deleting is what most runs decide on.
const rsArb = (revision: string) =>
  fc.record({
    at: fc.integer({ min: 0, max: 20 }),
    empty: fc.integer({ min: 0, max: 9 }).map((n) => n < 7),
    replicas: fc.integer({ min: 0, max: 3 }),
    ready: fc.integer({ min: 0, max: 3 }),
    role: fc.option(fc.constantFrom<ReplicaSetRole>('stable', 'canary', 'preview', 'old'), { nil: undefined }),
    pods: fc.integer({ min: 0, max: 1 }),
    terminating: fc.integer({ min: 0, max: 1 }),
    foreign: fc.boolean().map((b) => b && revision === 'r7'),
  });

const inputArb: fc.Arbitrary<HistoryInput> = fc
  .record({
    present: fc.subarray(REVS, { minLength: 0 }),
    sets: fc.tuple(...REVS.map(rsArb)),
    phase: fc.oneof(fc.constantFrom(...PHASES), fc.constantFrom<Phase>('Succeeded', 'RolledBack')),
    stable: fc.option(fc.constantFrom(...REVS), { nil: undefined, freq: 6 }),
    rev: fc.constantFrom(...REVS),
    previousStable: fc.option(fc.constantFrom(...REVS), { nil: undefined }),
    delayed: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    stableSelects: fc.option(fc.constantFrom(...REVS, '*'), { nil: undefined }),
    limit: fc.integer({ min: 0, max: 6 }),
  })
  .map((g) => {
    const chosen = REVS.map((revision, i) => ({ revision, s: g.sets[i] }))
      .filter((x) => g.present.includes(x.revision))
      .map((x) => (x.s.empty ? { ...x, s: { ...x.s, replicas: 0, ready: 0, pods: 0, terminating: 0 } } : x));
    const pods: HistoryInput['pods'] = Object.fromEntries(
      chosen
        .filter((x) => x.s.pods > 0)
        .map((x) => [x.revision, [{ name: `${APP}-${x.revision}-p`, phase: 'Running', ready: true, restarts: 0 }]]),
    );
    const terminating = Object.fromEntries(chosen.filter((x) => x.s.terminating > 0).map((x) => [x.revision, 1]));
    return {
      app: APP,
      replicaSets: chosen.map((x) =>
        rs({
          revision: x.revision,
          at: x.s.at,
          replicas: x.s.replicas,
          ready: x.s.ready,
          role: x.s.role,
          ...(x.s.foreign ? { name: `other-${x.revision}` } : {}),
        }),
      ),
      pods,
      terminating,
      record: {
        phase: g.phase,
        revisions: { stable: g.stable, new: g.rev, previousStable: g.previousStable },
        ...(g.delayed ? { scaleDownAt: T0 } : {}),
      },
      stableSelects: g.stableSelects,
      limit: g.limit,
    };
  });

/** The cluster after the retirement is carried out: deleted ones gone, demoted ones annotated old (a new version). */
function carriedOut(i: HistoryInput): HistoryInput {
  const r = retirement(i, { prune: true });
  const gone = new Set(names(r.prune));
  const demoted = new Set(names(r.demote));
  const replicaSets = i.replicaSets
    .filter((x) => !gone.has(x.name))
    .map((x) => (demoted.has(x.name) ? { ...x, role: 'old' as const, resourceVersion: `${x.resourceVersion}+1` } : x));
  return { ...i, replicaSets };
}

const newer = (a: ObservedReplicaSet, b: ObservedReplicaSet) =>
  a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.name > b.name);

describe('retirement properties', () => {
  it('never deletes the stable revision, the one the stable Service selects, an active rollout’s, or one with replicas or pods; keeps the newest min(limit, n) of the rest and deletes the older empty ones', () => {
    let pruning = 0;
    fc.assert(
      fc.property(inputArb, (i) => {
        const pruned = prunable(i);
        if (pruned.length > 0) pruning++;
        const { stable, new: rev, previousStable } = i.record.revisions;
        for (const p of pruned) {
          expect(p.revision).not.toBe(stable);
          expect(p.revision).not.toBe(i.stableSelects);
          if (!isTerminal(i.record.phase)) expect(p.revision).not.toBe(rev);
          if (!rolloutSettled(i.record)) expect(p.revision).not.toBe(previousStable);
          expect(isEmpty(i, p)).toBe(true);
          expect(p.name).toBe(`${APP}-${p.revision}`);
        }
        if (!rolloutSettled(i.record) || !stable) {
          expect(pruned).toEqual([]);
          return;
        }
        const keep = protectedRevisions(i);
        const rest = i.replicaSets.filter((x) => x.name === `${APP}-${x.revision}` && !keep.has(x.revision));
        const newest = rest.filter((x) => rest.filter((y) => newer(y, x)).length < i.limit);
        expect(newest).toHaveLength(Math.min(i.limit, rest.length));
        // Beyond the newest `limit`, exactly the empty ones go, newest first.
        const older = rest.filter((x) => !newest.includes(x));
        expect([...pruned].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
          older.filter((x) => isEmpty(i, x)).sort((a, b) => a.name.localeCompare(b.name)),
        );
        for (let k = 1; k < pruned.length; k++) expect(newer(pruned[k - 1], pruned[k])).toBe(true);
      }),
      { seed: 16, numRuns: 2000 },
    );
    // The generator reaches the interesting case often enough for the property to mean something.
    expect(pruning).toBeGreaterThan(100);
  });

  it('demotes no revision in use and nothing it deletes, and only what is not already old', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const r = retirement(i, { prune: true });
        const keep = revisionsInUse(i);
        const pruned = new Set(names(r.prune));
        for (const d of r.demote) {
          expect(keep.has(d.revision)).toBe(false);
          expect(pruned.has(d.name)).toBe(false);
          expect(d.role).not.toBe('old');
          expect(d.role === 'stable' || d.replicas === 0).toBe(true);
        }
        if (i.record.revisions.stable === undefined) expect(r.demote).toEqual([]);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });

  it('is idempotent: once carried out, a second look decides nothing', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        expect(retirement(carriedOut(i), { prune: true })).toEqual({ demote: [], prune: [] });
      }),
      { seed: 18, numRuns: 2000 },
    );
  });
});

describe('planActions with a retirement', () => {
  it('demotes after the new stable is ensured and before any shrink, deletes last, and does not ensure a retired revision back', () => {
    const observed: StrategyObserved = {
      revisions: [
        { revision: 'r4', specReplicas: 3, readyReplicas: 3 },
        { revision: 'r5', specReplicas: 3, readyReplicas: 3 },
        { revision: 'r6', specReplicas: 0, readyReplicas: 0 },
      ],
      services: { stable: 'r5' },
    };
    const desired: DesiredState = {
      services: { stable: 'r5' },
      replicaSets: [
        { revision: 'r5', role: 'stable', replicas: 3 },
        { revision: 'r6', role: 'canary', replicas: 0 },
      ],
      traffic: STABLE_ONLY,
    };
    const r4 = rs({ revision: 'r4', at: 0, replicas: 3, role: 'stable' });
    const r6 = rs({ revision: 'r6', at: 2, role: 'canary' });
    const r1 = rs({ revision: 'r1', at: -5 });
    const actions = planActions(desired, observed, STABLE_ONLY, { demote: [r4, r6], prune: [r1] });
    expect(actions.map((a) => `${a.kind} ${'revision' in a ? a.revision : 'name' in a ? a.name : ''}`)).toEqual([
      'ensureService r5',
      'scaleUp r5',
      'demote checkout-r4',
      'demote checkout-r6',
      'scaleDown r4',
      'prune checkout-r1',
    ]);
    expect(actions.at(-1)).toEqual({
      kind: 'prune',
      name: 'checkout-r1',
      seen: { uid: 'uid-r1', resourceVersion: 'rv-r1' },
    });
  });
});
