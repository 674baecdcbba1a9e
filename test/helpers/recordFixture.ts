/** A valid rollout record for store tests, created (and last updated) at `at`; Pending, version 0 (the store sets it). */
import type { RolloutRecord } from '../../src/engine/record';
import { newRecord } from '../../src/engine/rollouts';
import { compilePlan } from '../../src/plan/compile';
import { validatePlan } from '../../src/plan/parse';

export function recordFixture(namespace: string, app: string, seq: number, at: number): RolloutRecord {
  const plan = validatePlan({
    apiVersion: 'ramp.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: app, namespace },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app } },
      image: `ramp.dev/demo-app:v${seq}`,
      service: { name: app, port: 80 },
      strategy: { canary: { steps: [{ setWeight: 100 }] } },
    },
  });
  return {
    ...newRecord(plan, compilePlan(plan), seq, at, 1),
    version: 0,
    template: { spec: { containers: [{ name: 'app', image: `ramp.dev/demo-app:v${seq}` }] } },
    revisions: { stable: 'aaaaaaaaaa', new: `c${String(seq).padStart(9, '0')}` },
    message: 'created',
  };
}
