/** Rollout views and events as the API sends them, for the CLI's pure tests. */
import type { EventView, RolloutView } from '../../../src/api/schemas';

export const T0 = Date.parse('2026-11-25T16:00:00Z');
export const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

export function view(over: Partial<RolloutView> = {}): RolloutView {
  return {
    id: 'shop.checkout.3',
    namespace: 'shop',
    name: 'checkout',
    attempt: 1,
    phase: 'Pending',
    message: 'created',
    createdAt: at(0),
    updatedAt: at(0),
    images: ['ramp.dev/demo-app:v2'],
    revisions: { stable: 'aaaaaaaaaa', new: 'bbbbbbbbbb' },
    weight: 0,
    strategy: 'canary',
    newRole: 'canary',
    router: 'gatewayApi',
    traffic: { target: { weight: 0, matches: [] } },
    pods: [],
    steps: [
      { index: 0, description: 'setWeight 10', state: 'pending' },
      { index: 1, description: 'pause 2s', state: 'pending' },
      { index: 2, description: 'setWeight 50', state: 'pending' },
      { index: 3, description: 'pause 2s', state: 'pending' },
    ],
    stepIndex: 0,
    analysis: { metrics: [{ name: 'errors' }] },
    version: 1,
    ...over,
  };
}

let seq = 0;
export function event(over: Partial<EventView> & { s: number }): EventView {
  const { s, ...rest } = over;
  seq += 1;
  return { id: `${T0 + s * 1000}-${seq}`, at: at(s), type: 'StepStarted', message: 'step', ...rest };
}

/** A healthy rollout's events, in order. */
export function goodStory(): EventView[] {
  return [
    event({ s: 0, type: 'Created', message: 'rollout created', phase: 'Pending', step: 0, weight: 0 }),
    event({ s: 1, type: 'StepStarted', message: 'step 1/4: setWeight 10', phase: 'Progressing', step: 0, weight: 10 }),
    event({
      s: 1,
      type: 'WeightChanged',
      message: 'canary weight 0% → 10%',
      phase: 'Progressing',
      step: 0,
      weight: 10,
    }),
    event({
      s: 2,
      type: 'Analysis',
      message: 'waiting on errors (passed: none)',
      phase: 'Progressing',
      step: 1,
      weight: 10,
      verdicts: [
        {
          name: 'errors',
          decision: 'continue',
          reason: 'not enough requests yet: 12 of 20',
          evidence: { canaryRequests: 12, canaryErrors: 0 },
        },
      ],
    }),
    event({ s: 2, type: 'StepStarted', message: 'step 2/4: pause 2s', phase: 'Progressing', step: 1, weight: 10 }),
    event({ s: 4, type: 'StepStarted', message: 'step 3/4: setWeight 50', phase: 'Progressing', step: 2, weight: 50 }),
    event({
      s: 4,
      type: 'WeightChanged',
      message: 'canary weight 10% → 50%',
      phase: 'Progressing',
      step: 2,
      weight: 50,
    }),
    event({ s: 6, type: 'Promoting', message: 'all steps done: promoting', phase: 'Promoting', step: 4, weight: 100 }),
    event({
      s: 8,
      type: 'Promoted',
      message: 'promoted: bbbbbbbbbb is stable',
      phase: 'Succeeded',
      step: 4,
      weight: 100,
    }),
  ];
}

export function finalGood(): RolloutView {
  return view({
    phase: 'Succeeded',
    outcome: 'promoted',
    message: 'promoted: bbbbbbbbbb is stable',
    updatedAt: at(8),
    // As the API shows a promoted rollout: the stable Service serves the new revision, the canary weight is 0 again.
    weight: 0,
    stepIndex: 4,
    steps: view().steps.map((s) => ({ ...s, state: 'done' as const })),
    analysis: {
      metrics: [
        {
          name: 'errors',
          decision: 'pass',
          reason: 'error ratio 0.5 within 1.5 | ok',
          evidence: { canaryRequests: 240, canaryErrors: 1, ratio: 0.51234567 },
        },
      ],
    },
    version: 12,
  });
}
