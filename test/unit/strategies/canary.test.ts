import fc from 'fast-check';
import { compilePlan } from '../../../src/plan/compile';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { bindStrategy } from '../../../src/strategies/registry';
import { initialRecord, simulate, type SimResult } from './simulator';

function plan(
  steps: Record<string, unknown>[],
  opts: {
    router?: 'gatewayApi' | 'replicaRatio';
    metrics?: boolean;
    replicas?: number;
    onInconclusive?: 'pause' | 'rollback';
  } = {},
): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas: opts.replicas ?? 10,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy: {
        canary: {
          router: opts.router === 'replicaRatio' ? { replicaRatio: {} } : { gatewayApi: { httpRoute: 'checkout' } },
          steps,
          scaleDownDelay: '30s',
        },
      },
      analysis: {
        interval: '5s',
        inconclusiveAfter: '30s',
        onInconclusive: opts.onInconclusive ?? 'pause',
        metrics: opts.metrics === false ? [] : [{ name: 'errors', errorRate: { maxRatio: 1.5 } }],
      },
      progressDeadline: '1m',
    },
  });
}

const STANDARD = [
  { setWeight: 5 },
  { analyze: { min: '10s' } },
  { setWeight: 25 },
  { pause: { duration: '5s' } },
  { setWeight: 50 },
  { pause: { duration: '5s' } },
];

function routeWeights(r: SimResult): number[] {
  return r.changes.filter((c) => c.kind === 'route').map((c) => Number(c.value));
}

describe('canary strategy (simulated cluster)', () => {
  it('goes 5% → 25% → 50% → promoted, switches the stable Service, then scales the old revision down', () => {
    const p = plan(STANDARD);
    const r = simulate(p, initialRecord(p));
    expect(r.record.phase).toBe('Succeeded');
    expect(r.record.outcome).toBe('promoted');
    expect(r.record.revisions.stable).toBe('c1');
    expect(routeWeights(r)).toEqual([5, 25, 50, 100, 0]);
    expect(r.changes.filter((c) => c.kind === 'service').map((c) => c.value)).toEqual(['c1']);
    const oldDown = r.changes.find((c) => c.kind === 'replicas' && c.revision === 's1' && c.value === 0);
    const promotedAt = r.events.find((e) => e.type === 'Promoted')?.at ?? 0;
    expect(oldDown?.at).toBeGreaterThanOrEqual(promotedAt + 30_000);
    expect(r.record.scaleDownAt).toBeUndefined();
    expect(r.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['StepStarted', 'WeightChanged', 'Promoting', 'Promoted']),
    );
  });

  it('rolls back a failing canary: route to stable first, then the canary loses its pods', () => {
    const p = plan(STANDARD);
    const r = simulate(p, initialRecord(p), { analysis: (now) => (now >= 20_000 ? 'fail' : 'continue') });
    expect(r.record.phase).toBe('RolledBack');
    expect(r.record.outcome).toBe('rolledBack');
    const routeZero = r.changes.find((c) => c.kind === 'route' && c.value === 0 && c.phase === 'RollingBack');
    const canaryDown = r.changes.find((c) => c.kind === 'replicas' && c.revision === 'c1' && c.value === 0);
    expect(routeZero).toBeDefined();
    expect(canaryDown!.at).toBeGreaterThanOrEqual(routeZero!.at);
    expect(r.changes.indexOf(canaryDown!)).toBeGreaterThan(r.changes.indexOf(routeZero!));
    expect(r.changes.some((c) => c.revision === 's1' && Number(c.value) < 10)).toBe(false);
  });

  it('never promotes without a pass: an analyze step waits, and the end of the steps waits too', () => {
    const p = plan([{ setWeight: 10 }, { analyze: { min: '5s' } }]);
    const r = simulate(p, initialRecord(p), { analysis: () => 'continue', maxMs: 60_000 });
    expect(r.record.phase).toBe('Progressing');
    expect(r.record.strategy.stepIndex).toBe(1);
    const p2 = plan([{ setWeight: 10 }]);
    const r2 = simulate(p2, initialRecord(p2), { analysis: () => 'continue', maxMs: 60_000 });
    expect(r2.record.phase).toBe('Progressing');
    expect(r2.record.strategy.stepIndex).toBe(1);
    expect(r2.record.message).toContain('waiting for the analysis to pass');
  });

  it('never promotes on a pass from before the last step began (the metrics went away since)', () => {
    const p = plan([{ setWeight: 10 }, { pause: { duration: '11s' } }]);
    // Passes while data comes in, then nothing conclusive: the last pass is from before the pause ended.
    const r = simulate(p, initialRecord(p), {
      analysis: (now) => (now < 12_500 ? 'pass' : 'inconclusive'),
      maxMs: 60_000,
    });
    expect(r.phases).not.toContain('Promoting');
    expect(r.events.some((e) => e.type === 'Promoted')).toBe(false);
  });

  it('rolls back at the progress deadline when the canary never becomes ready', () => {
    const p = plan(STANDARD);
    const r = simulate(p, initialRecord(p), { neverReady: ['c1'] });
    expect(r.record.phase).toBe('RolledBack');
    expect(r.record.rollback?.reason).toContain('progress deadline');
    expect(routeWeights(r).filter((w) => w > 0)).toEqual([]);
  });

  it('pauses when the analysis stays inconclusive, resumes when it is conclusive again, and never promotes meanwhile', () => {
    const p = plan(STANDARD);
    const outage = (now: number) => (now >= 10_000 && now < 120_000 ? 'inconclusive' : 'pass');
    const r = simulate(p, initialRecord(p), { analysis: outage });
    expect(r.phases).toEqual(['Pending', 'Progressing', 'Paused', 'Progressing', 'Promoting', 'Succeeded']);
    const promotedAt = r.events.find((e) => e.type === 'Promoting')!.at;
    expect(promotedAt).toBeGreaterThanOrEqual(120_000);
    const rb = simulate(plan(STANDARD, { onInconclusive: 'rollback' }), initialRecord(p), { analysis: outage });
    expect(rb.record.phase).toBe('RolledBack');
  });

  it('pauses once when an analyze step runs out of time, and goes on only when the analysis passes', () => {
    const p = plan([{ setWeight: 10 }, { analyze: { min: '5s', max: '20s' } }, { setWeight: 50 }]);
    const r = simulate(p, initialRecord(p), { analysis: (now) => (now < 90_000 ? 'continue' : 'pass') });
    expect(r.phases).toEqual(['Pending', 'Progressing', 'Paused', 'Progressing', 'Promoting', 'Succeeded']);
    expect(r.events.filter((e) => e.type === 'Paused')).toHaveLength(1);
    expect(r.events.find((e) => e.type === 'Resumed')!.at).toBeGreaterThanOrEqual(90_000);
  });

  it('waits at a manual pause until promoted, then continues', () => {
    const p = plan([{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }], { metrics: false });
    let promoted = false;
    const r = simulate(p, initialRecord(p), {
      operate: (rec, now) => {
        if (!promoted && rec.phase === 'Paused' && now >= 30_000) {
          promoted = true;
          return bindStrategy(compilePlan(p)).operate(rec, 'promote', now).record;
        }
        return undefined;
      },
    });
    expect(r.phases).toEqual(['Pending', 'Progressing', 'Paused', 'Progressing', 'Promoting', 'Succeeded']);
    expect(routeWeights(r)).toEqual([20, 60, 100, 0]);
  });

  it('deploys an app with no stable revision straight to full size, without analysis', () => {
    const p = plan(STANDARD);
    const r = simulate(p, initialRecord(p, { stable: undefined }));
    expect(r.record.phase).toBe('Succeeded');
    expect(r.record.revisions.stable).toBe('c1');
    expect(r.changes.filter((c) => c.kind === 'replicas')).toEqual([
      expect.objectContaining({ revision: 'c1', value: 10 }),
    ]);
  });

  it('with replicaRatio, shifts by pods: stable + canary stay at the size asked, and a rollback restores stable first', () => {
    const p = plan(
      [{ setWeight: 20 }, { pause: { duration: '5s' } }, { setWeight: 50 }, { pause: { duration: '5s' } }],
      { router: 'replicaRatio', metrics: false },
    );
    const r = simulate(p, initialRecord(p));
    expect(r.record.phase).toBe('Succeeded');
    const replicas = r.changes.filter((c) => c.kind === 'replicas').map((c) => `${c.revision}=${c.value}`);
    expect(replicas).toEqual(['c1=2', 's1=8', 'c1=5', 's1=5', 'c1=10', 's1=0']);
    const pf = plan([{ setWeight: 50 }, { analyze: { min: '30s' } }], { router: 'replicaRatio' });
    const rb = simulate(pf, initialRecord(pf), { analysis: (now) => (now > 10_000 ? 'fail' : 'continue') });
    const down = rb.changes.filter((c) => c.phase === 'RollingBack').map((c) => `${c.revision}=${c.value}`);
    expect(down).toEqual(['s1=10', 'c1=0']);
  });

  it('keeps its invariants for any plan and any moment of failure (property)', () => {
    const stepArb = fc.oneof(
      fc.integer({ min: 1, max: 100 }).map((w) => ({ setWeight: w })),
      fc.integer({ min: 1, max: 20 }).map((s) => ({ pause: { duration: `${s}s` } })),
      fc.integer({ min: 1, max: 20 }).map((s) => ({ analyze: { min: `${s}s` } })),
    );
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 100 }), fc.array(stepArb, { maxLength: 5 }))
          .map(([w, rest]) => [{ setWeight: w }, ...rest]),
        fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }),
        fc.constantFrom<'gatewayApi' | 'replicaRatio'>('gatewayApi', 'replicaRatio'),
        (generated, failAtSec, router) => {
          // Without a router 10 replicas give weights in tens (a smaller one is refused by the plan's checks).
          const steps = generated.map((s) =>
            'setWeight' in s && router === 'replicaRatio' ? { setWeight: Math.max(10, s.setWeight) } : s,
          );
          const p = plan(steps, { router });
          const r = simulate(p, initialRecord(p), {
            analysis: (now) => (failAtSec !== undefined && now >= failAtSec * 1000 ? 'fail' : 'pass'),
            maxMs: 600_000,
          });
          // Exactly one outcome.
          expect(['Succeeded', 'RolledBack']).toContain(r.record.phase);
          // Traffic never exceeds what the steps entered so far allow (100 only while promoting).
          let allowed = 0;
          const stepWeights = steps.flatMap((s) => ('setWeight' in s ? [s.setWeight] : []));
          for (const c of r.changes.filter((x) => x.kind === 'route')) {
            if (c.phase === 'Promoting') continue;
            allowed = Math.max(allowed, ...stepWeights.slice(0, stepWeights.indexOf(Number(c.value)) + 1));
            expect(stepWeights.includes(Number(c.value)) || c.value === 0).toBe(true);
            expect(Number(c.value)).toBeLessThanOrEqual(allowed);
          }
          if (router === 'gatewayApi') {
            // Stable keeps its pods until promotion completed; the canary loses pods only after the route left it.
            expect(r.changes.some((c) => c.revision === 's1' && Number(c.value) < 10 && c.phase !== 'Succeeded')).toBe(
              false,
            );
            const lastRouteZero = r.changes.filter((c) => c.kind === 'route' && c.value === 0).pop();
            const canaryDown = r.changes.find((c) => c.revision === 'c1' && c.value === 0);
            if (r.record.phase === 'RolledBack' && canaryDown && routeWeights(r).some((w) => w > 0))
              expect(lastRouteZero!.at).toBeLessThanOrEqual(canaryDown.at);
          }
          if (r.record.phase === 'Succeeded') expect(r.record.revisions.stable).toBe('c1');
        },
      ),
      { seed: 7, numRuns: 150 },
    );
  });
});
