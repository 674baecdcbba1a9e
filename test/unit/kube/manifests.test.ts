import type { V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import { replicaSetChanges, replicaSetManifest } from '../../../src/kube/replicaSets';
import { serviceChanges, serviceManifest } from '../../../src/kube/services';

const desiredRs = {
  namespace: 'shop',
  app: 'web',
  revision: 'r1',
  template: {
    metadata: { labels: { app: 'web' } },
    spec: { containers: [{ name: 'app', image: 'ramp.dev/demo-app:v1' }] },
  },
  selector: { app: 'web' },
  replicas: 2,
  role: 'canary' as const,
  rolloutId: 'ro-1',
};

describe('replicaSetManifest / replicaSetChanges', () => {
  it('names, labels, annotates and selects as DESIGN §3 says, without changing the given template', () => {
    const rs = replicaSetManifest(desiredRs);
    const labels = { 'app.kubernetes.io/name': 'web', 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' };
    expect(rs.metadata).toEqual({
      name: 'web-r1',
      namespace: 'shop',
      labels,
      annotations: { 'ramp.dev/rollout': 'ro-1', 'ramp.dev/role': 'canary' },
    });
    expect(rs.spec?.selector).toEqual({ matchLabels: { app: 'web', 'ramp.dev/revision': 'r1' } });
    expect(rs.spec?.template?.metadata?.labels).toEqual({ app: 'web', ...labels });
    expect(desiredRs.template.metadata.labels).toEqual({ app: 'web' });
  });

  it('patches only what differs among replicas, role and rollout', () => {
    const current: V1ReplicaSet = replicaSetManifest(desiredRs);
    expect(replicaSetChanges(current, desiredRs)).toBeUndefined();
    expect(replicaSetChanges(current, { ...desiredRs, replicas: 3 })).toEqual({ spec: { replicas: 3 } });
    expect(replicaSetChanges(current, { ...desiredRs, role: 'stable' })).toEqual({
      metadata: { annotations: { 'ramp.dev/role': 'stable' } },
    });
    expect(
      replicaSetChanges({ ...current, spec: { ...current.spec!, replicas: undefined } }, { ...desiredRs, replicas: 1 }),
    ).toBeUndefined();
  });
});

describe('serviceManifest / serviceChanges', () => {
  const d = {
    namespace: 'shop',
    name: 'web',
    selector: { 'ramp.dev/app': 'web', 'ramp.dev/revision': 'r1' },
    port: 80,
    targetPort: 'http',
  };

  it('makes a one-port Service with exactly the selector', () => {
    expect(serviceManifest(d).spec).toEqual({
      selector: d.selector,
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }],
    });
  });

  it('removes selector keys with null, keeps other ports and fields, and sees a defaulted Service as unchanged', () => {
    const current: V1Service = {
      metadata: { name: 'web', labels: { team: 'a' } },
      spec: {
        clusterIP: '10.96.0.9',
        selector: d.selector,
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }],
      },
    };
    expect(serviceChanges(current, d)).toBeUndefined();
    expect(serviceChanges(current, { ...d, selector: { 'ramp.dev/app': 'web' } })).toEqual({
      spec: { selector: { 'ramp.dev/revision': null } },
    });
    expect(serviceChanges(current, { ...d, targetPort: 8080 })).toEqual({
      spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }] },
    });
    expect(serviceChanges(current, { ...d, labels: { team: 'a', tier: 'web' } })).toEqual({
      metadata: { labels: { tier: 'web' } },
    });
    const twoPorts: V1Service = {
      ...current,
      spec: {
        ...current.spec,
        ports: [
          { name: 'metrics', port: 9090 },
          { name: 'web', port: 80, targetPort: 8080 },
        ],
      },
    };
    expect(serviceChanges(twoPorts, { ...d, targetPort: 8080 })).toBeUndefined();
    expect(serviceChanges(twoPorts, { ...d, port: 81 })).toEqual({
      spec: {
        ports: [
          { name: 'metrics', port: 9090 },
          { name: 'web', port: 80, targetPort: 8080 },
          { name: 'http', protocol: 'TCP', port: 81, targetPort: 'http' },
        ],
      },
    });
  });
});
