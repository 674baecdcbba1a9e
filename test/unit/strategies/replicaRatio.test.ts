/**
 * Canary without a router (replicaRatio): the new revision's share of requests is its share of ready
 * pods. Over replica counts 1–20 and weights 0–100, with canary pods that become ready or never do, the
 * canary's share of ready pods never exceeds the weight the current step allows, and stable gives up a
 * pod only once a ready canary pod has taken its place. Weights the replica count cannot express are
 * refused by the plan's checks, naming the field and the nearest weight it can.
 */
import { PlanValidationError } from '../../../src/errors';
import fc from 'fast-check';
import { validatePlan } from '../../../src/plan/parse';
import type { Plan } from '../../../src/plan/schema';
import { podsForWeight } from '../../../src/strategies/canary/pods';
import { canaryState } from '../../helpers/canaryState';
import { initialRecord, simulate } from './simulator';

function plan(replicas: number, steps: Record<string, unknown>[], metrics = false): Plan {
  return validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'checkout' } },
      image: 'ramp.dev/demo-app:v2',
      service: { name: 'checkout', port: 80 },
      strategy: { canary: { steps } },
      analysis: { interval: '5s', metrics: metrics ? [{ name: 'errors', errorRate: { maxRatio: 1.5 } }] : [] },
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

/** A weight `replicas` pods can give at least one pod for (what the plan's checks accept). */
const expressible = (replicas: number, w: number): number => (podsForWeight(replicas, w) === 0 ? 0 : w);

describe('canary without a router (replicaRatio)', () => {
  it('refuses a weight the replica count cannot give a pod for, naming the nearest it can', () => {
    expect(problems(() => plan(1, [{ setWeight: 10 }]))).toEqual([
      "spec.strategy.canary.steps[0].setWeight: without a router the new revision's share of requests is its share of ready pods, and 1 replica cannot give 10%: the nearest it can is 0% or 100% (1 pod of 1); use one of those, more replicas, or a router that splits by weight (gatewayApi)",
    ]);
    expect(problems(() => plan(10, [{ setWeight: 5 }, { setWeight: 10 }]))[0]).toMatch(
      /^spec\.strategy\.canary\.steps\[0\]\.setWeight: .*10 replicas cannot give 5%: the nearest it can is 0% or 10% \(1 pod of 10\)/,
    );
    expect(problems(() => plan(3, [{ setCanaryScale: { replicas: 1 } }, { setWeight: 34 }]))).toEqual([
      'spec.strategy.canary.steps[0].setCanaryScale: setCanaryScale needs a router that splits traffic by weight (gatewayApi): without one the canary’s pods are its traffic',
    ]);
    expect(problems(() => plan(3, [{ setWeight: 34 }, { setWeight: 67 }, { setWeight: 100 }]))).toEqual([]);
  });

  it('says when a weight is rounded down to whole pods: 34% of 3 replicas is 1 pod (33.3%)', () => {
    const p = plan(3, [{ setWeight: 34 }, { pause: { duration: '5s' } }]);
    const r = simulate(p, initialRecord(p));
    expect(r.events.find((e) => e.type === 'StepStarted')?.message).toBe(
      'step 1/2: setWeight 34 (1 of 3 pods: 33.3%, rounded down)',
    );
    expect(r.record.phase).toBe('Succeeded');
  });

  it('keeps the canary’s share of ready pods within the step and stable’s pods until they are replaced (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
        (replicas, raw, neverReady, monotone, failAtSec) => {
          const weights = (monotone ? [...raw].sort((a, b) => a - b) : raw).map((w) => expressible(replicas, w));
          const steps = weights.flatMap((w) => [{ setWeight: w }, { pause: { duration: '3s' } }]);
          const judged = failAtSec !== undefined && weights.some((w) => w > 0);
          const p = plan(replicas, steps, judged);
          let worst = 0;
          const r = simulate(p, initialRecord(p), {
            neverReady: neverReady ? ['c1'] : [],
            analysis: (now) => (failAtSec !== undefined && now >= failAtSec * 1000 ? 'fail' : 'pass'),
            maxMs: 600_000,
            observe: ({ record, replicaSets }) => {
              const canary = replicaSets.get('c1')?.ready ?? 0;
              const stable = replicaSets.get('s1')?.ready ?? 0;
              const state = canaryState(record);
              if (record.phase === 'Promoting' || record.phase === 'Succeeded') return;
              // The most any step entered so far allows (a rollback keeps the canary at most there until stable is back).
              worst = Math.max(
                worst,
                record.phase === 'RollingBack' || record.phase === 'RolledBack' ? worst : state.weight,
              );
              const allowed = record.phase === 'RollingBack' || record.phase === 'RolledBack' ? worst : state.weight;
              if (canary + stable > 0) expect((100 * canary) / (canary + stable)).toBeLessThanOrEqual(allowed + 1e-9);
              // Stable lets a pod go only for a ready canary pod (decreasing steps shrink the canary first, on purpose).
              if (monotone) expect(stable + canary).toBeGreaterThanOrEqual(replicas);
              if (neverReady) expect(stable).toBe(replicas);
            },
          });
          expect(['Succeeded', 'RolledBack']).toContain(r.record.phase);
          if (neverReady && weights.some((w) => w > 0)) expect(r.record.phase).toBe('RolledBack');
        },
      ),
      { seed: 11, numRuns: 400 },
    );
  });
});
