import type { DeploymentStatus } from 'kubernetes-types/apps/v1';
import {
  deploymentComplete,
  deploymentTimedOut,
  newCondition,
  setCondition,
  stuckRecheckDelay,
} from '../../../src/controllers/deploymentStatus';
import type { DeploymentObject } from '../../../src/controllers/objects';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function deployment(status: DeploymentStatus, progressDeadlineSeconds = 10): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation: 2 },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: {}, progressDeadlineSeconds },
    status,
  };
}

describe('deployment conditions', () => {
  it('keeps a condition whose status and reason are unchanged, and the transition time across reasons', () => {
    const status: DeploymentStatus = {};
    setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'created', T0));
    setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'no', T0));
    setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'again', T0 + 5000));
    expect(status.conditions?.find((c) => c.type === 'Progressing')?.message).toBe('created');
    setCondition(status, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'moving', T0 + 5000));
    const p = status.conditions?.find((c) => c.type === 'Progressing');
    expect(p).toMatchObject({
      reason: 'ReplicaSetUpdated',
      lastUpdateTime: '2026-01-01T00:00:05Z',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    });
    expect(status.conditions?.map((c) => c.type)).toEqual(['Available', 'Progressing']);
  });

  it('times out progressDeadlineSeconds after the last progress, never once complete', () => {
    const moving = { conditions: [newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'moving', T0)] };
    const d = deployment(moving);
    expect(deploymentTimedOut(d, moving, T0 + 10_000)).toBe(false);
    expect(deploymentTimedOut(d, moving, T0 + 10_001)).toBe(true);
    expect(stuckRecheckDelay(d, moving, T0 + 4000)).toBe(7000);
    const done = { conditions: [newCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'done', T0)] };
    expect(deploymentTimedOut(deployment(done), done, T0 + 60_000)).toBe(false);
  });

  it('is complete only with every replica updated and available at the current generation', () => {
    const d = deployment({});
    expect(
      deploymentComplete(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 2 }),
    ).toBe(true);
    expect(
      deploymentComplete(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 }),
    ).toBe(false);
    expect(
      deploymentComplete(d, { replicas: 4, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 2 }),
    ).toBe(false);
    expect(
      deploymentComplete(d, { replicas: 3, updatedReplicas: 3, availableReplicas: 2, observedGeneration: 2 }),
    ).toBe(false);
  });
});
