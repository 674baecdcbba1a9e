import type { KubeObject } from '../../../src/apiServer/types';
import {
  deploymentBody,
  eventually,
  podsOf,
  replicaSetsOf,
  rolloutComplete,
  startCluster,
  T,
  type TestCluster,
} from './cluster';
import { finishDeletion, PodSimulator } from './podSimulator';

const NS = 'default';

describe('garbage collector', () => {
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

  const dep = () => cluster.registry.tryGet(T.deployments, NS, 'web');
  const allPods = () => cluster.registry.list(T.pods, { namespace: NS }).items;
  const allRSs = () => cluster.registry.list(T.replicasets, { namespace: NS }).items;

  async function rolledOut(): Promise<{ d: KubeObject; rs: KubeObject }> {
    cluster.registry.create(T.deployments, NS, deploymentBody('web', { replicas: 3 }));
    await eventually(() => rolloutComplete(dep()), 'rolled out');
    const d = dep()!;
    return { d, rs: replicaSetsOf(cluster.registry, NS, d.metadata.uid ?? '')[0] };
  }

  it('Background: deleting a Deployment removes its ReplicaSets and pods', async () => {
    sim = new PodSimulator(cluster.registry).start();
    await rolledOut();
    const result = cluster.registry.delete(T.deployments, NS, 'web', { propagationPolicy: 'Background' });
    expect(result.removed).toBe(true);
    await eventually(() => allRSs().length === 0 && allPods().length === 0, 'ReplicaSets and pods gone');
  });

  it('Foreground: the Deployment stays until its dependents are gone', async () => {
    const { registry } = cluster;
    // Pods terminate only when the test says so, as a kubelet with a slow process would.
    sim = new PodSimulator(registry, { finishDeletions: false }).start();
    const { rs } = await rolledOut();
    registry.delete(T.deployments, NS, 'web', { propagationPolicy: 'Foreground' });
    await eventually(
      () => allPods().length === 3 && allPods().every((p) => p.metadata.deletionTimestamp),
      'every pod terminating',
    );
    expect(dep()?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(dep()?.metadata.deletionTimestamp).toBeDefined();
    const deletingRS = registry.get(T.replicasets, NS, rs.metadata.name ?? '');
    expect(deletingRS.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Nothing replaces the terminating pods: their ReplicaSet is being deleted.
    await new Promise((r) => setTimeout(r, 100));
    expect(allPods()).toHaveLength(3);

    for (const p of allPods().slice(0, 2)) finishDeletion(registry, p);
    await new Promise((r) => setTimeout(r, 50));
    expect(dep()).toBeDefined();
    finishDeletion(registry, allPods()[0]);
    await eventually(
      () => dep() === undefined && allRSs().length === 0 && allPods().length === 0,
      'all gone, owner last',
    );
  });

  it('Orphan: dependents stay, without the reference to the deleted owner', async () => {
    const { registry } = cluster;
    sim = new PodSimulator(registry).start();
    const { rs } = await rolledOut();
    const podUids = podsOf(registry, NS, rs.metadata.uid)
      .map((p) => p.metadata.uid)
      .sort();
    registry.delete(T.deployments, NS, 'web', { propagationPolicy: 'Orphan' });
    await eventually(() => dep() === undefined, 'the deployment gone');
    const left = registry.get(T.replicasets, NS, rs.metadata.name ?? '');
    expect(left.metadata.uid).toBe(rs.metadata.uid);
    expect(left.metadata.ownerReferences).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(
      podsOf(registry, NS, rs.metadata.uid)
        .map((p) => p.metadata.uid)
        .sort(),
    ).toEqual(podUids);
  });

  it('deletes an object whose owner does not exist, and keeps one with a live owner', async () => {
    const { registry } = cluster;
    const owner = registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'owner' },
    }).object;
    const ref = (name: string, uid: string) => [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid }];
    registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'kept', ownerReferences: ref('owner', owner.metadata.uid ?? '') },
    });
    registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dangling', ownerReferences: ref('ghost', '00000000-0000-0000-0000-000000000000') },
    });
    await eventually(() => registry.tryGet(T.configmaps, NS, 'dangling') === undefined, 'the dangling one deleted');
    expect(registry.tryGet(T.configmaps, NS, 'kept')).toBeDefined();
    registry.delete(T.configmaps, NS, 'owner');
    await eventually(() => registry.tryGet(T.configmaps, NS, 'kept') === undefined, 'the dependent follows its owner');
  });

  it('a dependent with another live owner loses only the reference', async () => {
    const { registry } = cluster;
    const a = registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
    }).object;
    const b = registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'b' },
    }).object;
    registry.create(T.configmaps, NS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'shared',
        ownerReferences: [a, b].map((o) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: o.metadata.name,
          uid: o.metadata.uid,
        })),
      },
    });
    registry.delete(T.configmaps, NS, 'a');
    await eventually(
      () => registry.tryGet(T.configmaps, NS, 'shared')?.metadata.ownerReferences?.length === 1,
      'one reference left',
    );
    expect(registry.get(T.configmaps, NS, 'shared').metadata.ownerReferences?.[0].uid).toBe(b.metadata.uid);
  });
});
