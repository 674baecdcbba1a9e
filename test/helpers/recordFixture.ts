/** A valid rollout record for store tests, created (and last updated) at `at`; Pending, version 0 (the store sets it). */
import type { RolloutRecord } from '../../src/engine/record';

export function recordFixture(namespace: string, app: string, seq: number, at: number): RolloutRecord {
  return {
    id: `${namespace}.${app}.${seq}`,
    namespace,
    app,
    seq,
    version: 0,
    createdAt: at,
    updatedAt: at,
    plan: { spec: { replicas: 3 } },
    template: { spec: { containers: [{ name: 'app', image: `ramp.dev/demo-app:v${seq}` }] } },
    revisions: { stable: 'aaaaaaaaaa', canary: `c${String(seq).padStart(9, '0')}` },
    firstDeploy: false,
    phase: 'Pending',
    message: 'created',
    stepIndex: 0,
    stepStartedAt: at,
    weight: 0,
    analysis: { metrics: {} },
    attempt: 1,
  };
}
