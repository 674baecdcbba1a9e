/** Where the pod policy is enforced: plans at the API, resolved templates in the worker, ReplicaSets about to be created. */
import { PlanValidationError, PodPolicyError } from '../../../src/errors';
import { enforcePlanPodPolicy, enforceReplicaSetPodPolicy, podPolicyRefusal } from '../../../src/policy/enforce';
import { PodPolicy } from '../../../src/policy/podPolicy';
import { validatePlan } from '../../../src/plan/parse';
import { demoPlanInput } from '../../../src/cli/demoPlan';

const privileged = { spec: { containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }] } };

describe('enforcing the pod policy', () => {
  it('refuses a plan with PlanValidationError naming the field; an image: plan is left to the worker', () => {
    const input = demoPlanInput({
      namespace: 'a',
      version: 'v1',
      replicas: 1,
      steps: [{ setWeight: 50 }],
      scaleDownDelay: '1s',
      analysis: {},
    });
    const plan = validatePlan(input);
    expect(() => enforcePlanPodPolicy(new PodPolicy(), plan)).not.toThrow();
    const bad = validatePlan({
      ...input,
      spec: { ...(input.spec as object), template: { ...privileged, metadata: { labels: { app: 'checkout' } } } },
    });
    expect(() => enforcePlanPodPolicy(new PodPolicy(), bad)).toThrow(PlanValidationError);
    expect(() => enforcePlanPodPolicy(new PodPolicy({ level: 'privileged' }), bad)).not.toThrow();
    const { template: _t, ...imageOnly } = input.spec as Record<string, unknown>;
    expect(() =>
      enforcePlanPodPolicy(new PodPolicy(), validatePlan({ ...input, spec: { ...imageOnly, image: 'app=x:v2' } })),
    ).not.toThrow();
  });

  it('says why a resolved template is refused, with the namespace and its level', () => {
    expect(podPolicyRefusal(new PodPolicy(), 'a', privileged)).toBe(
      'the pod policy of namespace a (baseline) refuses the new pod template: spec.template.spec.containers[0].securityContext.privileged: container app may not be privileged (Pod Security Standards, baseline: Privileged Containers)',
    );
    expect(
      podPolicyRefusal(new PodPolicy(), 'a', { spec: { containers: [{ name: 'app', image: 'x' }] } }),
    ).toBeUndefined();
  });

  it('throws PodPolicyError (bad input) before a ReplicaSet is created from a refused template', () => {
    expect(() => enforceReplicaSetPodPolicy(new PodPolicy(), 'a', privileged)).toThrow(PodPolicyError);
    try {
      enforceReplicaSetPodPolicy(new PodPolicy(), 'a', privileged);
    } catch (e) {
      expect((e as PodPolicyError).badInput).toBe(true);
      expect((e as PodPolicyError).problems[0].path).toBe(
        'spec.template.spec.containers[0].securityContext.privileged',
      );
    }
  });
});
