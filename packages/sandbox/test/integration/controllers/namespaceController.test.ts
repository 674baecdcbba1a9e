import { deploymentBody, eventually, rolloutComplete, startCluster, T, type TestCluster } from './cluster';
import { PodSimulator } from './podSimulator';

describe('namespace controller', () => {
  let cluster: TestCluster;
  let sim: PodSimulator | undefined;

  beforeEach(() => {
    cluster = startCluster();
  });

  afterEach(async () => {
    sim?.stop();
    sim = undefined;
    await cluster.close();
    expect(cluster.errors).toEqual([]);
  });

  it('empties a deleted namespace, then removes it', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    registry.ensureNamespace('team');
    registry.create(T.deployments, 'team', deploymentBody('web', { replicas: 2 }));
    registry.create(T.services, 'team', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    registry.create(T.configmaps, 'team', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings' },
      data: { a: 'b' },
    });
    registry.create(T.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'elsewhere' } });
    await eventually(
      () =>
        rolloutComplete(registry.tryGet(T.deployments, 'team', 'web')) &&
        registry.list(T.endpointslices, { namespace: 'team' }).items.length === 1,
      'running',
    );

    registry.delete(T.namespaces, undefined, 'team');
    expect(registry.get(T.namespaces, undefined, 'team').status).toMatchObject({ phase: 'Terminating' });
    await eventually(() => registry.tryGet(T.namespaces, undefined, 'team') === undefined, 'the namespace removed');
    for (const t of Object.values(T)) {
      if (t.namespaced) expect(registry.list(t, { namespace: 'team' }).items).toEqual([]);
    }
    expect(registry.tryGet(T.configmaps, 'default', 'elsewhere')).toBeDefined();
  });
});
