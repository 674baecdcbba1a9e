/**
 * The rolling strategy on the simulated cluster: batches in order with their gates, maxSurge and
 * maxUnavailable held at every tick (pods asked for never above replicas + maxSurge, ready pods never
 * below replicas − maxUnavailable, even when pods are slow to become ready and a scale-down takes ready
 * pods first), a rollback that brings the old revision back to full size, ready, before the new one loses
 * a pod — and the plans it refuses, with their field paths.
 */
import fc from 'fast-check';
import { PlanValidationError } from '../../../src/errors';
import { compilePlan } from '../../../src/plan/compile';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { bindStrategy } from '../../../src/strategies/registry';
import { resolveBounds } from '../../../src/strategies/rolling/spec';
import type { RollingConfig } from '../../../src/strategies/rolling/spec';
import { initialRecord, simulate, type SimOptions, type SimResult, type SimTick } from './simulator';

function plan(rolling: Record<string, unknown>, opts: { replicas?: number; metrics?: boolean } = {}): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: opts.replicas ?? 10,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy: { rolling },
      analysis: {
        interval: '5s',
        inconclusiveAfter: '30s',
        metrics: opts.metrics === false ? [] : [{ name: 'errors', errorRate: { maxRatio: 1.5 } }],
      },
      progressDeadline: '1m',
    },
  });
}

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

interface Watched {
  result: SimResult;
  /** Ready pods of both revisions at the end of every tick while the rollout ran. */
  minReady: number;
  maxSpec: number;
  /** Ticks where the new revision lost pods during a rollback while the old one was not back at full size, ready. */
  earlyShrinks: number;
  /** Ticks where an old pod was removed while fewer new pods were ready than the old one had lost (maxUnavailable 0). */
  unreplaced: number;
}

function run(p: Plan, opts: SimOptions = {}): Watched {
  const replicas = p.spec.replicas;
  let minReady = Infinity;
  let maxSpec = 0;
  let earlyShrinks = 0;
  let unreplaced = 0;
  let prevNew = 0;
  const result = simulate(p, initialRecord(p), {
    ...opts,
    observe: (t: SimTick) => {
      const old = t.replicaSets.get('s1') ?? { spec: 0, ready: 0 };
      const fresh = t.replicaSets.get('c1') ?? { spec: 0, ready: 0 };
      minReady = Math.min(minReady, old.ready + fresh.ready);
      // A rollback brings the old revision back to full size beside the new pods: maxSurge binds the rollout itself.
      if (t.record.phase !== 'RollingBack' && t.record.phase !== 'RolledBack')
        maxSpec = Math.max(maxSpec, old.spec + fresh.spec);
      if (t.record.phase === 'RollingBack' && fresh.spec < prevNew && old.ready < replicas) earlyShrinks++;
      if (replicas - old.spec > fresh.ready && t.record.phase !== 'RollingBack' && t.record.phase !== 'RolledBack')
        unreplaced++;
      prevNew = fresh.spec;
      opts.observe?.(t);
    },
  });
  return { result, minReady, maxSpec, earlyShrinks, unreplaced };
}

const replicaChanges = (r: SimResult, rev: string) =>
  r.changes.filter((c) => c.kind === 'replicas' && c.revision === rev).map((c) => Number(c.value));

describe('rolling strategy (simulated cluster)', () => {
  it('replaces the pods batch by batch, one surge at a time with maxUnavailable 0, and ends with only the new revision', () => {
    const p = plan({ maxSurge: 1, maxUnavailable: 0, batches: ['10%', { replicas: '50%' }, '100%'] });
    const w = run(p);
    expect(w.result.record.phase).toBe('Succeeded');
    expect(w.result.record.revisions.stable).toBe('c1');
    expect(replicaChanges(w.result, 'c1')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(replicaChanges(w.result, 's1')).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(w.minReady).toBeGreaterThanOrEqual(10);
    expect(w.maxSpec).toBeLessThanOrEqual(11);
    expect(w.unreplaced).toBe(0);
    expect(w.result.changes.filter((c) => c.kind === 'service').map((c) => c.value)).toEqual([]);
    expect(w.result.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['StepStarted', 'WeightChanged', 'Promoting', 'Promoted']),
    );
    // Events carry the new pods' share the batch asks for.
    expect([...new Set(w.result.events.filter((e) => e.type === 'WeightChanged').map((e) => e.weight))]).toEqual([
      10, 50,
    ]);
  });

  it('without batches rolls like a Deployment (25%/25% by default): 3 up, 2 down at a time', () => {
    const p = plan({}, { metrics: false });
    const w = run(p);
    expect(w.result.record.phase).toBe('Succeeded');
    expect(resolveBounds(compilePlan(p).strategy.config as RollingConfig, 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(w.minReady).toBeGreaterThanOrEqual(8);
    expect(w.maxSpec).toBeLessThanOrEqual(13);
    expect(replicaChanges(w.result, 'c1')[0]).toBe(3);
    expect(replicaChanges(w.result, 's1')[0]).toBe(8);
  });

  it('waits at an analyze gate until the judge passes, and the last batch waits for a pass too', () => {
    const p = plan({ maxSurge: 2, maxUnavailable: 0, batches: [{ replicas: 2, analyze: { min: '10s' } }, 10] });
    const r = run(p, { analysis: () => 'continue', maxMs: 120_000 }).result;
    expect(r.record.phase).toBe('Progressing');
    expect(r.record.strategy.stepIndex).toBe(1);
    expect(replicaChanges(r, 'c1')).toEqual([2]);
    const passing = run(p, { analysis: (now) => (now >= 60_000 ? 'pass' : 'continue') }).result;
    expect(passing.record.phase).toBe('Succeeded');
    expect(passing.events.find((e) => e.type === 'Promoting')!.at).toBeGreaterThanOrEqual(60_000);
  });

  it('rolls a bad batch back: the old revision back at full size, ready, before the first new pod goes', () => {
    const p = plan({
      maxSurge: '25%',
      maxUnavailable: '25%',
      batches: ['30%', { replicas: '60%', analyze: { min: '1m' } }, '100%'],
    });
    const w = run(p, { analysis: (now) => (now >= 20_000 ? 'fail' : 'continue') });
    expect(w.result.record.phase).toBe('RolledBack');
    expect(w.earlyShrinks).toBe(0);
    expect(w.minReady).toBeGreaterThanOrEqual(8);
    const back = w.result.changes.filter((c) => c.phase === 'RollingBack').map((c) => `${c.revision}=${c.value}`);
    expect(back[0]).toBe('s1=10');
    expect(back[back.length - 1]).toBe('c1=0');
  });

  it('rolls back at the progress deadline when the new pods never become ready, never below maxUnavailable', () => {
    const p = plan({ maxSurge: 0, maxUnavailable: 1, batches: ['50%', '100%'] }, { metrics: false });
    const w = run(p, { neverReady: ['c1'] });
    expect(w.result.record.phase).toBe('RolledBack');
    expect(w.result.record.rollback?.reason).toContain('progress deadline');
    expect(w.minReady).toBeGreaterThanOrEqual(9);
  });

  it('rolls back a batch whose pods crash-loop at once, naming the pod, the old revision back first', () => {
    const p = plan({ maxSurge: 1, maxUnavailable: 0, batches: ['30%', '100%'] }, { metrics: false });
    const w = run(p, { crashLooping: (rev) => rev === 'c1' });
    const r = w.result.record;
    expect(r.phase).toBe('RolledBack');
    expect(r.rollback?.reason).toMatch(/^pod checkout-c1-\d+ cannot run: CrashLoopBackOff \(exit code 1, 3 restarts\)/);
    expect(w.result.endedAt).toBeLessThan(10_000);
    expect(w.minReady).toBe(10);
    expect(w.earlyShrinks).toBe(0);
  });

  it('with onPodFailure: pause, a last batch whose pods crash-loop pauses, and resume goes back to promoting', () => {
    const p = plan({ maxSurge: 2, maxUnavailable: 0, batches: ['50%', '100%'] }, { metrics: false });
    p.spec.onPodFailure = 'pause';
    const strategy = bindStrategy(compilePlan(p));
    let fixed = false;
    let resumedPhase: string | undefined;
    const w = run(p, {
      crashLooping: (rev, _now, rec) => rev === 'c1' && !fixed && (rec.phase === 'Promoting' || rec.phase === 'Paused'),
      operate: (rec, now) => {
        if (rec.phase !== 'Paused' || rec.pause?.kind !== 'podFailure' || now < rec.pause.since + 10_000)
          return undefined;
        expect(rec.message).toMatch(/^paused: pod checkout-c1-\d+ cannot run: CrashLoopBackOff/);
        // Whatever made the pods crash is over (a missing Secret created, say): resume.
        fixed = true;
        const resumed = strategy.operate(rec, 'resume', now).record;
        resumedPhase = resumed.phase;
        return resumed;
      },
    });
    expect(resumedPhase).toBe('Promoting');
    expect(w.result.record.phase).toBe('Succeeded');
    expect(w.result.phases).toEqual(['Pending', 'Progressing', 'Promoting', 'Paused', 'Promoting', 'Succeeded']);
    expect(w.minReady).toBe(10);
  });

  it('waits at a pause until promoted; promote --full goes to the last batch at once', () => {
    const p = plan({ maxSurge: 1, maxUnavailable: 0, batches: [{ replicas: 1, pause: {} }, 10] }, { metrics: false });
    const strategy = bindStrategy(compilePlan(p));
    let promoted = false;
    const r = run(p, {
      operate: (rec, now) => {
        if (promoted || rec.phase !== 'Paused' || now < 30_000) return undefined;
        promoted = true;
        return strategy.operate(rec, 'promote', now).record;
      },
    }).result;
    expect(r.phases).toEqual(['Pending', 'Progressing', 'Paused', 'Promoting', 'Succeeded']);
    const pm = plan({
      maxSurge: 1,
      maxUnavailable: 0,
      batches: ['10%', { replicas: '50%', analyze: { min: '5m' } }, '100%'],
    });
    const full = run(pm, {
      analysis: () => 'continue',
      operate: (rec, now) =>
        now === 15_000 && rec.phase === 'Progressing'
          ? bindStrategy(compilePlan(pm)).operate(rec, 'promoteFull', now).record
          : undefined,
    });
    expect(full.result.record.phase).toBe('Succeeded');
    expect(full.minReady).toBeGreaterThanOrEqual(10);
  });

  it('promote during the last batch changes nothing and says so', () => {
    const p = plan({ maxSurge: 1, maxUnavailable: 0, batches: ['50%', '100%'] }, { metrics: false });
    const strategy = bindStrategy(compilePlan(p));
    const seen: (string | undefined)[] = [];
    const w = run(p, {
      operate: (rec, now) => {
        if (seen.length || rec.phase !== 'Promoting') return undefined;
        for (const op of ['promote', 'promoteFull'] as const) {
          const t = strategy.operate(rec, op, now);
          expect(t.record).toEqual(rec);
          expect(t.events).toEqual([]);
          seen.push(t.unchanged);
        }
        return undefined;
      },
    });
    expect(seen).toEqual(Array(2).fill('it is already promoting: the last batch is under way'));
    expect(w.result.record.phase).toBe('Succeeded');
  });

  it('aborts mid-batch by restoring the old revision first', () => {
    const p = plan({ maxSurge: 2, maxUnavailable: 1, batches: ['50%', '100%'] }, { metrics: false });
    const w = run(p, {
      operate: (rec, now) =>
        now === 3000 && rec.phase === 'Progressing'
          ? bindStrategy(compilePlan(p)).operate(rec, 'abort', now).record
          : undefined,
    });
    expect(w.result.record.outcome).toBe('aborted');
    expect(w.earlyShrinks).toBe(0);
  });

  it('refuses bad plans with the field path', () => {
    expect(problems(() => plan({ maxSurge: 0, maxUnavailable: '0%' }, { metrics: false }))).toEqual([
      'spec.strategy.rolling.maxSurge: maxSurge and maxUnavailable are both 0: no pod could be replaced (no pod above spec.replicas, none below); allow one of them',
    ]);
    expect(problems(() => plan({ batches: ['50%', '30%', '100%'] }))).toEqual([
      'spec.strategy.rolling.batches[1]: expected more new pods than the batch before: 30% of 10 replicas is 3 pods, and the batch before already has 5',
    ]);
    expect(problems(() => plan({ batches: ['10%', { replicas: '50%' }] }))).toEqual([
      'spec.strategy.rolling.batches[1].replicas: expected the last batch to be 100% (or 10): a rolling update ends with every pod replaced',
    ]);
    expect(problems(() => plan({ batches: [2, 12] }))[0]).toBe(
      'spec.strategy.rolling.batches[1]: expected at most spec.replicas (10) pods',
    );
    expect(problems(() => plan({ batches: ['50%', { replicas: '100%', analyze: {} }] }))[0]).toMatch(
      /^spec\.strategy\.rolling\.batches\[1\]\.analyze: no gate after the last batch/,
    );
    expect(problems(() => plan({}))[0]).toMatch(/^spec\.strategy\.rolling\.batches: the metrics compare the new pods/);
    expect(problems(() => plan({ batches: [{ replicas: 1, analyze: {}, pause: {} }, 10] }))).toEqual([
      'spec.strategy.rolling.batches[0]: expected at most one gate: analyze or pause',
    ]);
    expect(problems(() => plan({ router: { replicaRatio: {} } }, { metrics: false }))).toEqual([
      'spec.strategy.rolling.router: unknown field',
    ]);
    expect(
      problems(() =>
        validatePlan({
          ...plan({ batches: ['50%', '100%'] }),
          spec: {
            ...plan({ batches: ['50%', '100%'] }).spec,
            strategy: { canary: { steps: [{ setWeight: 10 }] }, rolling: {} },
          },
        }),
      ),
    ).toEqual(['spec.strategy: expected exactly one strategy: canary, blueGreen, rolling, gray']);
  });

  it('keeps maxSurge, maxUnavailable and the rollback order for any plan, readiness and moment of failure (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 3 }),
        fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
        fc.double({ min: 0.2, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (replicas, surge, unavailable, percents, failAtSec, readyChance, seed) => {
          const u = surge === 0 && unavailable === 0 ? 1 : unavailable;
          // Increasing batches by their pods, then 100%; with one batch only, no metrics (the plan check).
          const sizes = [...new Set(percents.map((x) => Math.ceil((replicas * x) / 100 - 1e-9)))]
            .filter((n) => n >= 1 && n < replicas)
            .sort((a, b) => a - b);
          const batches = [...sizes, replicas];
          const metrics = batches.length > 1;
          const p = plan({ maxSurge: surge, maxUnavailable: u, batches }, { replicas, metrics });
          const w = run(p, {
            analysis: (now) => (failAtSec !== undefined && now >= failAtSec * 1000 ? 'fail' : 'pass'),
            readyChance,
            seed,
            removeReadyFirst: true,
            maxMs: 900_000,
          });
          const r = w.result.record;
          expect(['Succeeded', 'RolledBack']).toContain(r.phase);
          expect(w.maxSpec).toBeLessThanOrEqual(replicas + surge);
          expect(w.minReady).toBeGreaterThanOrEqual(replicas - u);
          expect(w.earlyShrinks).toBe(0);
          if (r.phase === 'Succeeded') expect(r.revisions.stable).toBe('c1');
        },
      ),
      { seed: 11, numRuns: 200 },
    );
  });
});
