import { applyPatchOfType, mergePatch } from '../../../src/apiServer/patch';
import { resource } from '../../../src/apiServer/resources';
import type { KubeObject } from '../../../src/apiServer/types';

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a'] },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'demo:v1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 8080 }],
            },
            { name: 'sidecar', image: 'side:v1' },
          ],
        },
      },
    },
  };
}

const deployments = resource('deployments');

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, replaces lists, deletes with null', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
  });
});

describe('strategic merge patch', () => {
  it('merges containers by name, as `kubectl set image` sends it', () => {
    const out = applyPatchOfType(deployments, 'strategic', deployment(), {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'demo:v2' }] } } },
    });
    const containers = (
      out.spec as { template: { spec: { containers: { name: string; image: string; env?: unknown[] }[] } } }
    ).template.spec.containers;
    expect(containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=demo:v2', 'sidecar=side:v1']);
    expect(containers[0].env).toHaveLength(2);
  });

  it('merges env by name and honours $patch: delete and $setElementOrder', () => {
    const out = applyPatchOfType(deployments, 'strategic', deployment(), {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'web',
                env: [
                  { name: 'B', $patch: 'delete' },
                  { name: 'C', value: '3' },
                ],
                '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }],
              },
            ],
          },
        },
      },
    });
    const env = (out.spec as { template: { spec: { containers: { env: { name: string }[] }[] } } }).template.spec
      .containers[0].env;
    expect(env.map((e) => e.name)).toEqual(['C', 'A']);
  });

  it('replaces lists without a merge strategy and honours $retainKeys', () => {
    const out = applyPatchOfType(deployments, 'strategic', deployment(), {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
    });
    expect((out.spec as { strategy: unknown }).strategy).toEqual({ type: 'Recreate' });
  });

  it('unions merge lists of primitives and deletes from them', () => {
    const added = applyPatchOfType(deployments, 'strategic', deployment(), { metadata: { finalizers: ['b'] } });
    expect(added.metadata.finalizers).toEqual(['a', 'b']);
    const removed = applyPatchOfType(deployments, 'strategic', added, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    });
    expect(removed.metadata.finalizers).toEqual(['b']);
  });

  it('is refused for custom resources, as Kubernetes does', () => {
    const route: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: {},
    };
    expect(() => applyPatchOfType(resource('httproutes'), 'strategic', route, { spec: {} })).toThrow(
      'strategic merge patch format is not supported',
    );
  });
});

describe('JSON patch', () => {
  it('applies operations and reports a failed test as a conflict', () => {
    const out = applyPatchOfType(deployments, 'json', deployment(), [
      { op: 'replace', path: '/spec/replicas', value: 5 },
    ]);
    expect((out.spec as { replicas: number }).replicas).toBe(5);
    expect(() =>
      applyPatchOfType(deployments, 'json', deployment(), [{ op: 'test', path: '/spec/replicas', value: 9 }]),
    ).toThrow(/rejected/);
    expect(() => applyPatchOfType(deployments, 'json', deployment(), { op: 'add' })).toThrow(/array/);
  });
});
