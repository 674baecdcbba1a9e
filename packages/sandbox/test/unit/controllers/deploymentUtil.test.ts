import fc from 'fast-check';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import {
  canonicalJson,
  computeHash,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  scaledValue,
  setNewReplicaSetAnnotations,
  templateWithHash,
} from '../../../src/controllers/deploymentUtil';
import type { DeploymentObject, ReplicaSetObject } from '../../../src/controllers/objects';

function deployment(
  replicas: number,
  maxSurgeV?: number | string,
  maxUnavailableV?: number | string,
  type = 'RollingUpdate',
): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'a:1' }] } },
      strategy:
        type === 'RollingUpdate'
          ? { type, rollingUpdate: { maxSurge: maxSurgeV, maxUnavailable: maxUnavailableV } }
          : { type },
    },
  };
}

function rs(name: string, replicas: number, statusReplicas = replicas): ReplicaSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    status: { replicas: statusReplicas },
  };
}

describe('surge and unavailability', () => {
  it('rounds percentages like Kubernetes: surge up, unavailable down', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts('25%', '25%', 1)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts('10%', '10%', 5)).toEqual({ surge: 1, unavailable: 0 });
    expect(resolveFenceposts('50%', '50%', 3)).toEqual({ surge: 2, unavailable: 1 });
    expect(resolveFenceposts(2, 1, 10)).toEqual({ surge: 2, unavailable: 1 });
  });

  it('turns 0/0 into unavailable 1 so a rollout can move', () => {
    expect(resolveFenceposts(0, 0, 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts('0%', '10%', 5)).toEqual({ surge: 0, unavailable: 1 });
  });

  it('caps maxUnavailable at replicas, and is 0 for Recreate or zero replicas', () => {
    expect(maxUnavailable(deployment(2, 0, 5))).toBe(2);
    expect(maxUnavailable(deployment(0, 1, 1))).toBe(0);
    expect(maxUnavailable(deployment(4, 1, 1, 'Recreate'))).toBe(0);
    expect(maxSurge(deployment(4, 1, 1, 'Recreate'))).toBe(0);
    expect(maxSurge(deployment(4, '25%', undefined))).toBe(1);
  });

  it('refuses a malformed int-or-percent', () => {
    expect(() => scaledValue('ten', 10, true)).toThrow('invalid value for IntOrString');
    expect(scaledValue('3', 10, true)).toBe(3);
  });

  it('percentages: surge ≥ exact share ≥ unavailable, each within one of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1000 }), (pct, total) => {
        const exact = (pct * total) / 100;
        const up = scaledValue(`${pct}%`, total, true);
        const down = scaledValue(`${pct}%`, total, false);
        return up >= exact && up - exact < 1 && down <= exact && exact - down < 1;
      }),
      { seed: 42 },
    );
  });

  it('sizes the new ReplicaSet within maxSurge, counting old pods not yet gone', () => {
    const d = deployment(3, 1, 0);
    const newRS = rs('new', 0);
    expect(newRSNewReplicas(d, [rs('old', 3), newRS], newRS)).toBe(1);
    // The old ReplicaSet was told 2 but still reports 3 pods: no room yet.
    const grown = rs('new', 1);
    expect(newRSNewReplicas(d, [rs('old', 2, 3), grown], grown)).toBe(1);
    expect(newRSNewReplicas(d, [rs('old', 2, 2), grown], grown)).toBe(2);
    expect(newRSNewReplicas(deployment(3, 0, 1, 'Recreate'), [rs('old', 3), newRS], newRS)).toBe(3);
  });
});

describe('pod-template-hash', () => {
  const template: PodTemplateSpec = {
    metadata: { labels: { app: 'web', tier: 'front' } },
    spec: { containers: [{ name: 'app', image: 'a:1', env: [{ name: 'A', value: '1' }] }], restartPolicy: 'Always' },
  };

  it('is a short string in Kubernetes’ safe alphabet', () => {
    expect(computeHash(template)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });

  it('is stable whatever the order of keys', () => {
    const reordered: PodTemplateSpec = {
      spec: { restartPolicy: 'Always', containers: [{ env: [{ value: '1', name: 'A' }], image: 'a:1', name: 'app' }] },
      metadata: { labels: { tier: 'front', app: 'web' } },
    };
    expect(computeHash(reordered)).toBe(computeHash(template));
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 8 }),
        (labels) => {
          const reversed = Object.fromEntries(Object.entries(labels).reverse());
          return computeHash({ metadata: { labels } }) === computeHash({ metadata: { labels: reversed } });
        },
      ),
      { seed: 42 },
    );
  });

  it('changes with the template and with collisionCount', () => {
    const other = structuredClone(template);
    other.spec!.containers[0].image = 'a:2';
    expect(computeHash(other)).not.toBe(computeHash(template));
    expect(computeHash(template, 1)).not.toBe(computeHash(template));
    expect(computeHash(template, 1)).not.toBe(computeHash(template, 2));
  });

  it('compares templates ignoring the hash label', () => {
    const hashed = templateWithHash(template, computeHash(template));
    expect(hashed.metadata?.labels?.['pod-template-hash']).toBe(computeHash(template));
    expect(equalIgnoreHash(hashed, template)).toBe(true);
    expect(equalIgnoreHash(hashed, { ...template, spec: { ...template.spec!, restartPolicy: 'Never' } })).toBe(false);
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
});

describe('revision annotations', () => {
  it('gives a new ReplicaSet the next revision and the replica annotations', () => {
    const d = deployment(3, 1, 0);
    d.metadata.annotations = { 'kubernetes.io/change-cause': 'v2', 'deployment.kubernetes.io/revision': '1' };
    const target = rs('new', 0);
    expect(setNewReplicaSetAnnotations(d, target, 2, false)).toBe(true);
    expect(target.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '2',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
  });

  it('remembers the revisions a reused ReplicaSet had', () => {
    const d = deployment(3, 1, 0);
    const reused = rs('old', 0);
    reused.metadata.annotations = { 'deployment.kubernetes.io/revision': '1' };
    expect(setNewReplicaSetAnnotations(d, reused, 3, true)).toBe(true);
    expect(reused.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(setNewReplicaSetAnnotations(d, reused, 5, true)).toBe(true);
    expect(reused.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1,3');
    expect(setNewReplicaSetAnnotations(d, reused, 5, true)).toBe(false);
  });
});
